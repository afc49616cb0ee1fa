"""Checklists: versioned definitions, the standards' rules and limits, identifiers.

Pure Python: no I/O beyond reading the package's own data files.

    checklist = load_checklist("restaurant")
    judgement = judge(checklist, {"purifier_installed": "pass"}, on=date(2024, 5, 6))
    print(judgement_to_json(judgement))
"""

from __future__ import annotations

from checklists.catalog import list_kinds, list_versions, load_checklist
from checklists.errors import AnswerError, ChecklistError, LimitError, ReadingError
from checklists.judge import answers_from_json, judge, judgement_to_json
from checklists.model import Answer, Checklist, Finding, Item, ItemResult, Judgement

__all__ = [
    "Answer",
    "AnswerError",
    "Checklist",
    "ChecklistError",
    "Finding",
    "Item",
    "ItemResult",
    "Judgement",
    "LimitError",
    "ReadingError",
    "answers_from_json",
    "judge",
    "judgement_to_json",
    "list_kinds",
    "list_versions",
    "load_checklist",
]
