"""The vocabulary of checklists: definitions, answers and judgements.

Definitions are read from TOML into these Structs; judgements are frozen
Structs that ``msgspec.json`` encodes as they are, so the service stores them
in ``inspections.judgement`` without a second shape.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

import msgspec

# "records" is a list of objects its rule reads (remote-sensing exceedances).
ItemType = Literal["yes_no", "number", "numbers", "choice", "text", "date", "photo", "records"]
Severity = Literal["critical", "serious", "minor", "administrative"]
Status = Literal["V", "P", "U"]
Result = Literal["pass", "fail", "void", "na"]
Verdict = Literal["pass", "fail", "void"]


class Basis(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The legal basis of an item: a standard or policy code and the clause."""

    code: str
    clause: str
    source: str = ""

    def text(self) -> str:
        return f"{self.code} {self.clause}"


class Item(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One checklist item; ``key`` is also the answer key."""

    key: str
    label: str
    type: ItemType
    rule: str
    severity: Severity
    basis: Basis
    status: Status
    fail_requires_photo: bool = False
    unit: str = ""
    choices: tuple[str, ...] = ()
    # Choices that fail the item, e.g. 国III and below for the emission stage.
    fail_choices: tuple[str, ...] = ()
    # Other answer keys the rule reads, e.g. the airflow for the fume samples.
    inputs: tuple[str, ...] = ()
    # Policy numbers the rule needs (cleaning interval in days ...).
    params: dict[str, float] = {}
    min: float | None = None
    max: float | None = None
    # Said when the item fails, e.g. why an emission stage is flagged.
    fail_message: str = ""
    help: str = ""


class Checklist(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A versioned checklist for one target kind."""

    id: str
    version: str
    kind: str
    title: str
    items: tuple[Item, ...]
    note: str = ""

    def item(self, key: str) -> Item:
        for item in self.items:
            if item.key == key:
                return item
        raise KeyError(key)


class Answer(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One inspection answer in its canonical shape.

    Yes/no items carry ``result`` ("pass", "fail" or "na"); every other item
    carries ``value`` and may carry ``result="na"`` when it does not apply.
    ``photos`` are SHA-256 digests of uploaded photos.
    """

    value: object = None
    result: Literal["pass", "fail", "na"] | None = None
    remark: str = ""
    photos: tuple[str, ...] = ()


class ItemResult(msgspec.Struct, frozen=True):
    """How one answer was judged, with the number, the limit and why."""

    item: str
    result: Result
    value: object
    limit: float | None
    unit: str
    basis: str
    rule: str
    source_status: Status
    message: str


class Finding(msgspec.Struct, frozen=True):
    """A failed item with the severity its checklist gives it."""

    item: str
    severity: Severity
    message: str


class Judgement(msgspec.Struct, frozen=True):
    """The verdict on one inspection's answers under one checklist version.

    ``verdict`` is "fail" when any item failed, else "void" when a measurement
    must be repeated, else "pass". ``unanswered`` lists items with no answer;
    ``missing_photos`` failed items that need a photo and have none.
    """

    verdict: Verdict
    checklist_id: str
    checklist_version: str
    results: tuple[ItemResult, ...]
    findings: tuple[Finding, ...]
    missing_photos: tuple[str, ...]
    on: date
    region: str
    standard: str | None = None
    unanswered: tuple[str, ...] = ()
