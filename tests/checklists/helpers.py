"""Helpers for judging one item of a checklist."""

from __future__ import annotations

from datetime import date

from checklists import ItemResult, judge, load_checklist


def judged(
    kind: str,
    answers: dict[str, object],
    item: str,
    *,
    on: date = date(2024, 6, 1),
    region: str = "henan",
    standard: str | None = None,
) -> ItemResult:
    """The result of one item when ``answers`` are judged."""
    judgement = judge(load_checklist(kind), answers, on=on, region=region, standard=standard)
    return next(r for r in judgement.results if r.item == item)
