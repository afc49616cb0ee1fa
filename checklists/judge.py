"""Judge one inspection's answers under one checklist version.

The verdict depends only on the checklist version, the answers, the standard
asked for and the date, so an inspection is judged the same for ever. The
verdict is "fail" when any item failed (a finding stands even if a measurement
must be repeated), else "void" when a measurement was void, else "pass".
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import msgspec

from checklists.answers import normalize
from checklists.errors import AnswerError, LimitError
from checklists.model import Answer, Checklist, Finding, Item, ItemResult, Judgement, Verdict
from checklists.rules import RULES, Context, result
from checklists.standards import limits

LOCAL = ZoneInfo("Asia/Shanghai")


def judge(
    checklist: Checklist,
    answers: dict[str, object],
    *,
    standard: str | None = None,
    on: date | None = None,
    region: str = "henan",
) -> Judgement:
    """Judge answers; ``on`` is the inspection's local day (today when None)."""
    if standard is not None and standard not in limits.standards():
        known = "、".join(sorted(limits.standards()))
        raise LimitError(f"标准代号应为 {known} 之一，收到“{standard}”")
    day = on or datetime.now(LOCAL).date()
    given = normalize(checklist, answers)
    ctx = Context(answers=given, on=day, region=region, standard=standard)

    answered = [item for item in checklist.items if item.key in given]
    results = tuple(_judge_item(item, given[item.key], ctx) for item in answered)
    return Judgement(
        verdict=_verdict(results),
        checklist_id=checklist.id,
        checklist_version=checklist.version,
        results=results,
        findings=_findings(checklist, results, given),
        missing_photos=_missing_photos(answered, results, given),
        on=day,
        region=region,
        standard=standard,
        unanswered=tuple(item.key for item in checklist.items if item.key not in given),
    )


def _judge_item(item: Item, answer: Answer, ctx: Context) -> ItemResult:
    if answer.result == "na":
        return result(item, "na", "不适用", value=answer.value)
    return RULES[item.rule](item, answer, ctx)


def _verdict(results: tuple[ItemResult, ...]) -> Verdict:
    outcomes = {r.result for r in results}
    if "fail" in outcomes:
        return "fail"
    return "void" if "void" in outcomes else "pass"


def _findings(
    checklist: Checklist, results: tuple[ItemResult, ...], given: dict[str, Answer]
) -> tuple[Finding, ...]:
    """A finding per failed item, with its severity and the inspector's remark."""
    found = []
    for r in results:
        if r.result == "fail":
            remark = given[r.item].remark.strip()
            message = f"{r.message}（{remark}）" if remark else r.message
            found.append(Finding(r.item, checklist.item(r.item).severity, message))
    return tuple(found)


def _missing_photos(
    items: list[Item], results: tuple[ItemResult, ...], given: dict[str, Answer]
) -> tuple[str, ...]:
    """Failed items that need a photo, and photo items, that have none."""
    missing = []
    for item, r in zip(items, results, strict=True):
        answer = given[item.key]
        photo_item = item.type == "photo" and answer.result != "na"
        failed = r.result == "fail" and item.fail_requires_photo
        if (photo_item or failed) and not answer.photos:
            missing.append(item.key)
    return tuple(missing)


class _Row(msgspec.Struct):
    item: str
    result: str
    value: object
    limit: float | None
    basis: str


class _Output(msgspec.Struct):
    verdict: str
    results: list[_Row]


_encoder = msgspec.json.Encoder()


def judgement_to_json(judgement: Judgement) -> bytes:
    """The ``xuncha checklist judge`` output: verdict and one row per judged answer."""
    rows = [_Row(r.item, r.result, r.value, r.limit, r.basis) for r in judgement.results]
    return _encoder.encode(_Output(judgement.verdict, rows))


class _AnswersFile(msgspec.Struct, forbid_unknown_fields=True):
    answers: dict[str, object]


def answers_from_json(data: bytes) -> dict[str, object]:
    """The answers of a ``{"answers": {ITEM_KEY: VALUE, ...}}`` document."""
    try:
        return msgspec.json.decode(data, type=_AnswersFile).answers
    except msgspec.DecodeError as exc:
        expected = '答案文件应为 {"answers": {检查项: 答案}}'
        raise AnswerError("answers", f"{expected}：{exc}") from exc
