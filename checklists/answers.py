"""Inspection answers: the accepted shapes and their canonical form.

An answer is given under its item's key, either bare or as an object:

- yes/no items: ``"pass"``, ``"fail"`` or ``"na"``, or
  ``{"result": "fail", "remark": "...", "photos": ["<sha256>", ...]}``;
- every other item: the value itself (a number, a list of numbers, a choice,
  text, an ISO date), or ``{"value": ..., "remark": ..., "photos": [...]}``;
  ``{"result": "na"}`` says the item does not apply;
- photo items: ``{"photos": [...]}``.

Both shapes become an ``Answer``; the service stores what it was given, and
judging it again gives the same result. Keys the checklist does not have are
refused, never ignored.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import msgspec

from checklists.errors import AnswerError, ReadingError
from checklists.model import Answer, Checklist, Item
from checklists.standards._numbers import number, numbers

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_RESULTS = ("pass", "fail", "na")


def normalize(checklist: Checklist, raw: dict[str, object]) -> dict[str, Answer]:
    """Answers by key in canonical form, each checked against its item."""
    known = {item.key: item for item in checklist.items}
    answers: dict[str, Answer] = {}
    for key, given in raw.items():
        item = known.get(key)
        if item is None:
            raise AnswerError(
                key,
                f"检查表“{checklist.title}”第{checklist.version}版没有检查项“{key}”，"
                f"应为：{'、'.join(known)}",
            )
        answers[key] = _checked(item, _answer(item, given))
    return answers


def _answer(item: Item, given: object) -> Answer:
    """The canonical Answer for a bare or object-shaped answer."""
    if isinstance(given, dict):
        try:
            return msgspec.convert(given, Answer)
        except msgspec.ValidationError as exc:
            raise AnswerError(
                item.key,
                f"“{item.key}”的答案对象只能有 value、result、remark、photos：{exc}",
            ) from exc
    if item.type == "yes_no":
        if given not in _RESULTS:
            raise ReadingError(item.key, "pass、fail 或 na", given)
        return Answer(result=given)  # type: ignore[arg-type]
    return Answer(value=given)


def _checked(item: Item, answer: Answer) -> Answer:
    """The answer, once its photos, result and value fit the item."""
    for photo in answer.photos:
        if not _SHA256.match(photo):
            raise ReadingError(item.key, "照片的SHA-256（64位小写十六进制）", photo)

    if item.type == "yes_no":
        if answer.result is None or answer.value is not None:
            raise ReadingError(item.key, "result 为 pass、fail 或 na 的是否项答案", answer.value)
        return answer
    if answer.result not in (None, "na"):
        message = f"“{item.key}”由规则判定，只接受 result 为 na，收到 {answer.result!r}"
        raise AnswerError(item.key, message)
    if answer.result == "na" or item.type == "photo":
        return answer
    _check_value(item, answer.value)
    return answer


def _check_value(item: Item, value: object) -> None:
    """Refuse a value of the wrong type or outside the item's range."""
    key = item.key
    if item.type == "number":
        _in_range(item, number(value, key, f"数值（{item.unit}）"), value)
    elif item.type == "numbers":
        for reading in numbers(value, key, f"数值（{item.unit}）的列表"):
            _in_range(item, reading, value)
    elif item.type == "choice" and value not in item.choices:
        raise ReadingError(key, f"{'、'.join(item.choices)} 之一", value)
    elif item.type == "text" and not isinstance(value, str):
        raise ReadingError(key, "文字", value)
    elif item.type == "date":
        parse_date(key, value)


def _in_range(item: Item, reading: Decimal, given: object) -> None:
    low, high = item.min, item.max
    if (low is not None and reading < Decimal(str(low))) or (
        high is not None and reading > Decimal(str(high))
    ):
        bounds = f"{'' if low is None else f'{low:g}'}至{'' if high is None else f'{high:g}'}"
        raise ReadingError(item.key, f"{bounds}之间的数值（{item.unit}）", given)


def parse_date(key: str, value: object) -> date:
    """An ISO date answer (YYYY-MM-DD)."""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ReadingError(key, "日期 YYYY-MM-DD", value)
