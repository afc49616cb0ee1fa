"""Register imports: `xuncha import KIND FILE` for the seven kinds.

A file (.csv or .xlsx) is read, its headers matched to our columns (Chinese or
English, or through a map file), and every row checked. Rejected rows are
reported with file, row, column, value and what was expected. Then, in one
transaction, every row is upserted: a row identical to what is stored is left
alone, a changed one is updated. By default one rejected row stores nothing;
``skip_bad`` stores the good rows.

Rows that repeat a key within one file (an inspection history lists the same
establishment many times) collapse when they agree; when they disagree the
later row in file order wins and the earlier values are reported as a warning.

Columns a file does not have keep their stored values on update; an empty cell
in a column the file has clears that value.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import msgspec

from inspection import audit
from inspection._import_kinds import (
    SPECS,
    BadValue,
    Column,
    KindSpec,
    MapRules,
    Options,
    Table,
    as_text,
    load_map,
    local_day,
    read_table,
    template_fields,
)
from inspection.db import Database, Transaction, utcnow
from inspection.errors import ValidationError

logger = logging.getLogger(__name__)

KINDS = ("enterprises", "targets", "whitelist", "complaints", "violations", "inspections",
         "inspectors")
CHUNK = 500
PLAIN = Options()
SEVERITY_COUNTS = (("critical", "critical_count", "严重"), ("serious", "serious_count", "较重"),
                   ("minor", "minor_count", "轻微"))
REF_EXPECTED = {
    "enterprises": "企业名录中已有的统一社会信用代码（请先导入 enterprises）",
    "targets": "已登记的检查对象编号（请先导入 targets）",
}


class RowError(msgspec.Struct, frozen=True):
    """One problem with one cell: where it is, what it holds, what was expected.

    ``row`` is the row number a user sees in Excel; the header is row 1.
    """

    file: str
    row: int
    column: str
    value: str
    expected: str

    def __str__(self) -> str:
        where = f"{self.file} 第{self.row}行 “{self.column}” 列"
        return f"{where}：值“{self.value}”，应为 {self.expected}"


class ImportReport(msgspec.Struct):
    """What an import did. Counts are of distinct keys; ``rows`` of data rows read.

    When ``stored`` is False nothing was written and added/updated/unchanged are 0.
    ``details`` counts what was derived: violations from inspection counts,
    conflicts of interest from the inspectors' conflicts column.
    """

    kind: str
    file: str
    rows: int
    added: int
    updated: int
    unchanged: int
    rejected: list[RowError]
    warnings: list[RowError]
    stored: bool
    details: dict[str, int] = {}


class Field(msgspec.Struct, frozen=True):
    """Where one of our columns comes from in this file, and how it is rewritten."""

    column: Column
    header: str
    index: int | None = None
    constant: str | None = None
    fallback: str | None = None
    values: dict[str, str] = {}
    prefix: str = ""
    patterns: tuple[tuple[re.Pattern[str], str], ...] = ()


class Parsed(msgspec.Struct):
    """One accepted row: our column names to stored values (None when empty)."""

    row: int
    record: dict[str, Any]


class Checked(msgspec.Struct):
    """A file after row checks, before anything touches the database."""

    fields: list[Field]
    rows: list[Parsed]
    rejected: list[RowError]
    warnings: list[RowError]
    count: int


async def import_file(db: Database, kind: str, path: Path, *, mapping: Path | None = None,
                      skip_bad: bool = False, actor: str = "cli") -> ImportReport:
    """Import one register file; all or nothing unless ``skip_bad``.

    Raises ValidationError (or UnsupportedMediaError) for problems with the
    file as a whole: unknown kind, bad map file, unreadable encoding, a
    required column missing.
    """
    spec = kind_spec(kind)
    rules = load_map(mapping, kind) if mapping is not None else MapRules()
    table = read_table(path, rules)
    checked = check_rows(spec, rules, table, path.name)

    async with db.transaction() as tx:
        report = await _store(tx, spec, checked, path, skip_bad=skip_bad, actor=actor)

    logger.info("import %s from %s: %d rows, %d added, %d updated, %d rejected, stored=%s",
                kind, path.name, report.rows, report.added, report.updated,
                len(report.rejected), report.stored)
    return report


def kind_spec(kind: str) -> KindSpec:
    if kind not in SPECS:
        raise ValidationError(f"导入类型应为 {'、'.join(KINDS)} 之一，收到“{kind}”", field="kind")
    return SPECS[kind]


# ---- headers ---------------------------------------------------------------


def normalise(header: str) -> str:
    """A header as matched: no case, spaces, underscores or hyphens."""
    return "".join(ch for ch in header.strip().lstrip("\ufeff").casefold() if ch not in " _-")


def resolve_fields(spec: KindSpec, rules: MapRules, header: list[str], name: str) -> list[Field]:
    """Match the file's header to our columns; the map's names win over our aliases."""
    found = _explicit_columns(rules, header, spec, name)
    _alias_columns(spec, header, found, name)
    fields = [_field(spec.column(ours), rules, header, found.get(ours))
              for ours in [c.name for c in spec.columns]]
    present = [f for f in fields if f is not None]
    _check_required(spec, rules, present, name)
    _check_fallbacks(rules, header, name)
    return present


def _explicit_columns(rules: MapRules, header: list[str], spec: KindSpec,
                      name: str) -> dict[str, int]:
    found: dict[str, int] = {}
    exact = {h: i for i, h in reversed(list(enumerate(header)))}
    loose = {normalise(h): i for i, h in reversed(list(enumerate(header)))}
    for source, ours in rules.columns.items():
        index = exact.get(source.strip(), loose.get(normalise(source)))
        if index is not None:
            found.setdefault(ours, index)
    return found


def _alias_columns(spec: KindSpec, header: list[str], found: dict[str, int], name: str) -> None:
    claimed = set(found.values())
    for column in spec.columns:
        if column.name in found:
            continue
        aliases = {normalise(a) for a in (column.name, *column.aliases)}
        hits = [i for i, h in enumerate(header) if normalise(h) in aliases and i not in claimed]
        if len(hits) > 1:
            both = "”与“".join(header[i] for i in hits)
            raise ValidationError(
                f"{name}：列“{both}”都可作为“{column.label}”，请删去一列或用 --map 指明")
        if hits:
            found[column.name] = hits[0]
            claimed.add(hits[0])


def _field(column: Column, rules: MapRules, header: list[str], index: int | None) -> Field | None:
    constant = rules.constants.get(column.name) if index is None else None
    fallback = rules.fallback.get(column.name)
    if index is None and constant is None and fallback is None:
        return None
    shown = header[index] if index is not None else column.label
    patterns = tuple((re.compile(p), value)
                     for p, value in rules.patterns.get(column.name, {}).items())
    return Field(column, shown, index, constant, fallback,
                 rules.values.get(column.name, {}), rules.prefix.get(column.name, ""), patterns)


def _check_required(spec: KindSpec, rules: MapRules, fields: list[Field], name: str) -> None:
    have = {f.column.name for f in fields}
    for column in spec.columns:
        if not _required(column, rules) or column.name in have:
            continue
        names = "、".join(column.aliases)
        raise ValidationError(f"{name} 缺少必填列“{column.label}”，表头应含以下之一：{names}")


def _required(column: Column, rules: MapRules) -> bool:
    if column.name == "enterprise_uscc" and rules.allow_missing_enterprise:
        return False
    return column.required


def _check_fallbacks(rules: MapRules, header: list[str], name: str) -> None:
    for ours, template in rules.fallback.items():
        for source in template_fields(template):
            if source not in header:
                raise ValidationError(
                    f"映射文件 fallback.{ours} 用到的列“{source}”不在 {name} 的表头中")


# ---- rows ------------------------------------------------------------------


def check_rows(spec: KindSpec, rules: MapRules, table: Table, name: str) -> Checked:
    """Parse and check every row; nothing here reads the database."""
    fields = resolve_fields(spec, rules, table.header, name)
    options = Options(date_format=rules.date_format)
    checked = Checked(fields, [], [], [], len(table.rows))
    for number, cells in table.rows:
        record, errors, notes = _check_row(spec, rules, fields, options, table.header, number,
                                           cells, name)
        checked.rejected.extend(errors)
        checked.warnings.extend(notes)
        if not errors:
            checked.rows.append(Parsed(number, record))
    return checked


def _check_row(spec: KindSpec, rules: MapRules, fields: list[Field], options: Options,
               header: list[str], number: int, cells: list[Any],
               name: str) -> tuple[dict[str, Any], list[RowError], list[RowError]]:
    record: dict[str, Any] = {}
    errors: list[RowError] = []
    notes: list[RowError] = []
    for field in fields:
        raw = _raw_value(field, header, cells)
        if raw is None:
            if _required(field.column, rules):
                errors.append(RowError(name, number, field.header, "", "必填，不能为空"))
            record[field.column.name] = None
            continue
        warnings: list[str] = []
        try:
            record[field.column.name] = field.column.parse(raw, options, warnings)
        except BadValue as bad:
            errors.append(RowError(name, number, field.header, as_text(raw, PLAIN, []),
                                   bad.expected))
        notes.extend(RowError(name, number, field.header, as_text(raw, PLAIN, []), w)
                     for w in warnings)
    errors.extend(_row_rules(spec, fields, record, number, name))
    return record, errors, notes


def _raw_value(field: Field, header: list[str], cells: list[Any]) -> Any:
    """The cell after the map's constant, value map, fallback and prefix; None if empty."""
    raw: Any = None
    if field.index is not None and field.index < len(cells):
        raw = cells[field.index]
    if _empty(raw):
        raw = field.constant
    if not _empty(raw) and (field.values or field.patterns):
        raw = _mapped(field, raw)
    if _empty(raw) and field.fallback is not None:
        raw = field.fallback.format_map(_source_texts(header, cells))
    if _empty(raw):
        return None
    return f"{field.prefix}{as_text(raw, PLAIN, [])}" if field.prefix else raw


def _mapped(field: Field, raw: Any) -> Any:
    """The map's value for a cell: an exact `values` entry, else the first matching pattern."""
    text = as_text(raw, PLAIN, [])
    if text in field.values:
        return field.values[text]
    for pattern, value in field.patterns:
        if pattern.search(text):
            return value
    return raw


def _source_texts(header: list[str], cells: list[Any]) -> dict[str, str]:
    padded = [*cells, *[None] * (len(header) - len(cells))]
    texts = ["" if c is None else as_text(c, PLAIN, []) for c in padded]
    return dict(zip(header, texts, strict=False))


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _row_rules(spec: KindSpec, fields: list[Field], record: dict[str, Any], number: int,
               name: str) -> list[RowError]:
    """Checks across columns of one row."""
    header = {f.column.name: f.header for f in fields}
    errors = []
    # A plate that failed its own check is already reported.
    no_plate = "plate" not in header or record.get("plate", "bad") is None
    if spec.kind == "targets" and record.get("kind") == "diesel_truck" and no_plate:
        errors.append(RowError(name, number, header.get("plate", "号牌号码"), "",
                               "柴油货车的号牌号码（必填）"))
    if spec.kind == "whitelist":
        start, end = record.get("valid_from"), record.get("valid_to")
        if start and end and end < start:
            errors.append(RowError(name, number, header["valid_to"], end,
                                   f"不早于有效期起（{start}）的日期"))
    return errors


# ---- storing ---------------------------------------------------------------


class Plan(msgspec.Struct):
    """The writes one import makes, and its counts."""

    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    unchanged: list[tuple[Any, ...]] = []
    details: dict[str, int] = {}


async def _store(tx: Transaction, spec: KindSpec, checked: Checked, path: Path, *,
                 skip_bad: bool, actor: str) -> ImportReport:
    name = path.name
    rows = await _check_references(tx, spec, checked, name)
    rows = await _check_inspection_sources(tx, spec, rows, checked, name)
    report = ImportReport(spec.kind, name, checked.count, 0, 0, 0, checked.rejected,
                          checked.warnings, stored=False)
    if checked.rejected and not skip_bad:
        return report

    unique = _collapse(spec, rows, checked, name)
    present = {f.column.name for f in checked.fields}
    plan = await _plan(tx, spec, unique, present, actor)
    derived = await _write(tx, spec, plan, unique, present) & set(plan.unchanged)
    report.added, report.updated = len(plan.inserts), len(plan.updates) + len(derived)
    report.unchanged = len(plan.unchanged) - len(derived)
    report.details, report.stored = plan.details, True
    if report.added or report.updated:
        await audit.record(tx, actor, "import", spec.kind, name, _audit_detail(report, path,
                                                                               skip_bad))
    return report


def _audit_detail(report: ImportReport, path: Path, skip_bad: bool) -> dict[str, Any]:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return {"file": report.file, "sha256": digest, "rows": report.rows, "added": report.added,
            "updated": report.updated, "unchanged": report.unchanged,
            "rejected": len(report.rejected), "warnings": len(report.warnings),
            "skip_bad": skip_bad, **report.details}


def _key(spec: KindSpec, record: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(record[k] for k in spec.key)


async def _check_references(tx: Transaction, spec: KindSpec, checked: Checked,
                            name: str) -> list[Parsed]:
    """Reject rows naming an enterprise or target that is not registered."""
    bad_rows: set[int] = set()
    for field in checked.fields:
        column, table = field.column, field.column.ref
        if not table:
            continue
        wanted = {v for r in checked.rows for v in _as_list(r.record[column.name])}
        known = await _known_keys(tx, "uscc" if table == "enterprises" else "id", table, wanted)
        for parsed in checked.rows:
            for value in _as_list(parsed.record[column.name]):
                if value not in known:
                    checked.rejected.append(RowError(name, parsed.row, field.header, value,
                                                     REF_EXPECTED[table or ""]))
                    bad_rows.add(parsed.row)
    checked.rejected.sort(key=lambda e: e.row)
    return [r for r in checked.rows if r.row not in bad_rows]


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


async def _known_keys(tx: Transaction, column: str, table: str, wanted: set[Any]) -> set[Any]:
    known: set[Any] = set()
    for chunk in _chunks(sorted(wanted)):
        marks = ",".join("?" * len(chunk))
        rows = await tx.fetchall(f"SELECT {column} FROM {table} WHERE {column} IN ({marks})",
                                 chunk)
        known.update(row[0] for row in rows)
    return known


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


async def _check_inspection_sources(tx: Transaction, spec: KindSpec, rows: list[Parsed],
                                    checked: Checked, name: str) -> list[Parsed]:
    """An import never overwrites an inspection submitted from the app."""
    if spec.kind != "inspections":
        return rows
    ids = {r.record["id"] for r in rows}
    taken: set[Any] = set()
    for chunk in _chunks(sorted(ids)):
        marks = ",".join("?" * len(chunk))
        found = await tx.fetchall(
            f"SELECT id FROM inspections WHERE source != 'import' AND id IN ({marks})", chunk)
        taken.update(row[0] for row in found)
    header = next(f.header for f in checked.fields if f.column.name == "id")
    for parsed in (r for r in rows if r.record["id"] in taken):
        checked.rejected.append(RowError(name, parsed.row, header, parsed.record["id"],
                                         "未被现场检查记录占用的编号"))
    checked.rejected.sort(key=lambda e: e.row)
    return [r for r in rows if r.record["id"] not in taken]


def _collapse(spec: KindSpec, rows: list[Parsed], checked: Checked,
              name: str) -> dict[tuple[Any, ...], Parsed]:
    """One row per key: identical repeats collapse, a differing later row wins with a warning."""
    headers = {f.column.name: f.header for f in checked.fields}
    unique: dict[tuple[Any, ...], Parsed] = {}
    for parsed in rows:
        key = _key(spec, parsed.record)
        earlier = unique.get(key)
        if earlier is not None and earlier.record != parsed.record:
            checked.warnings.append(_override_warning(earlier, parsed, headers, name))
        unique[key] = parsed
    return unique


def _override_warning(earlier: Parsed, later: Parsed, headers: dict[str, str],
                      name: str) -> RowError:
    column = next(c for c in later.record if later.record[c] != earlier.record.get(c))
    value, before = later.record[column], earlier.record.get(column)
    return RowError(name, later.row, headers[column], "" if value is None else str(value),
                    f"与第{earlier.row}行同一编号的“{'' if before is None else before}”一致"
                    "（取文件中靠后的本行）")


async def _plan(tx: Transaction, spec: KindSpec, unique: dict[tuple[Any, ...], Parsed],
                present: set[str], actor: str) -> Plan:
    """Sort every row into insert, update or unchanged against what is stored."""
    existing = await _existing_rows(tx, spec, list(unique))
    plan = Plan([], [], [], {})
    now = utcnow()
    for key, parsed in unique.items():
        old = existing.get(key)
        row = _table_row(spec, parsed.record, old, present)
        if old is None:
            row.update({column: now for column in spec.timestamps})
            if spec.kind == "inspections":
                row["submitted_by"] = actor
            plan.inserts.append(row)
        elif any(row[column] != old[column] for column in row):
            if "updated_at" in spec.timestamps:
                row["updated_at"] = now
            plan.updates.append(row)
        else:
            plan.unchanged.append(key)
    return plan


async def _existing_rows(tx: Transaction, spec: KindSpec,
                         keys: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], dict[str, Any]]:
    first = spec.key[0]
    found: dict[tuple[Any, ...], dict[str, Any]] = {}
    for chunk in _chunks(sorted({k[0] for k in keys})):
        marks = ",".join("?" * len(chunk))
        rows = await tx.fetchall(f"SELECT * FROM {spec.table} WHERE {first} IN ({marks})", chunk)
        for row in rows:
            stored = dict(zip(row.keys(), row, strict=True))
            if "attributes" in stored:
                stored["attributes"] = audit.canonical(json.loads(stored["attributes"]))
            found[tuple(stored[k] for k in spec.key)] = stored
    return found


def _table_row(spec: KindSpec, record: dict[str, Any], old: dict[str, Any] | None,
               present: set[str]) -> dict[str, Any]:
    """The stored row after this import: the old row (or defaults) with the file's columns."""
    row = dict(old) if old is not None else dict(spec.defaults)
    attributes = json.loads(row["attributes"]) if "attributes" in row else {}
    for column in spec.columns:
        if column.name not in present or column.virtual:
            continue
        value = record[column.name]
        if column.attribute and value is None:
            attributes.pop(column.name, None)
        elif column.attribute:
            attributes[column.name] = value
        else:
            row[column.name] = spec.defaults.get(column.name) if value is None else value
    if "attributes" in row:
        row["attributes"] = audit.canonical(attributes)
    if spec.kind == "inspections":
        _inspection_body(row, record, present)
    return row


def _inspection_body(row: dict[str, Any], record: dict[str, Any], present: set[str]) -> None:
    """Counts go to the judgement; body_sha256 covers the canonical row."""
    judgement = json.loads(row["judgement"])
    for severity, column, _ in SEVERITY_COUNTS:
        if column in present:
            judgement[severity] = record[column] or 0
    row["judgement"] = audit.canonical(judgement)
    body = {k: row[k] for k in ("id", "target_id", "inspected_at", "verdict", "remark",
                                "judgement")}
    row["body_sha256"] = hashlib.sha256(audit.canonical(body).encode("utf-8")).hexdigest()


def _writable(spec: KindSpec) -> list[str]:
    """The columns an update rewrites."""
    columns = [c.name for c in spec.columns
               if not c.virtual and not c.attribute and c.name not in spec.key]
    if spec.kind == "targets":
        columns.append("attributes")
    if spec.kind == "inspections":
        columns += ["judgement", "body_sha256"]
    return columns + [t for t in spec.timestamps if t == "updated_at"]


async def _write(tx: Transaction, spec: KindSpec, plan: Plan,
                 unique: dict[tuple[Any, ...], Parsed], present: set[str]) -> set[tuple[Any, ...]]:
    """Apply the plan; returns the keys whose derived rows changed."""
    if plan.inserts:
        columns = list(plan.inserts[0])
        await tx.executemany(
            f"INSERT INTO {spec.table} ({', '.join(columns)})"
            f" VALUES ({', '.join('?' * len(columns))})",
            [[row[c] for c in columns] for row in plan.inserts])
    if plan.updates:
        columns = _writable(spec)
        await tx.executemany(
            f"UPDATE {spec.table} SET {', '.join(f'{c} = ?' for c in columns)}"
            f" WHERE {' AND '.join(f'{k} = ?' for k in spec.key)}",
            [[row[c] for c in (*columns, *spec.key)] for row in plan.updates])
    records = [p.record for p in unique.values()]
    if spec.kind == "inspections":
        return await _derive_violations(tx, records, present, plan.details)
    if spec.kind == "inspectors" and "conflicts" in present:
        return await _sync_conflicts(tx, records, plan.details)
    return set()


async def _derive_violations(tx: Transaction, records: list[dict[str, Any]], present: set[str],
                             details: dict[str, int]) -> set[tuple[Any, ...]]:
    """Violations for an inspection's counts: ids '<inspection>-<severity>-<n>'."""
    severities = [s for s in SEVERITY_COUNTS if s[1] in present]
    if not severities:
        return set()
    desired = {v["id"]: v for r in records for v in _violations_of(r, severities)}
    stored = await _derived_violations(tx, [r["id"] for r in records], severities)
    added = [v for vid, v in desired.items() if vid not in stored]
    changed = [v for vid, v in desired.items()
               if vid in stored and any(stored[vid][k] != v[k] for k in v)]
    removed = [vid for vid in stored if vid not in desired]

    now = utcnow()
    await tx.executemany(
        "INSERT INTO violations (id, target_id, found_on, severity, description, inspection_id,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(v["id"], v["target_id"], v["found_on"], v["severity"], v["description"],
          v["inspection_id"], now) for v in added])
    await tx.executemany(
        "UPDATE violations SET target_id = ?, found_on = ?, description = ? WHERE id = ?",
        [(v["target_id"], v["found_on"], v["description"], v["id"]) for v in changed])
    await tx.executemany("DELETE FROM violations WHERE id = ?", [(vid,) for vid in removed])

    details.update(violations_added=len(added), violations_updated=len(changed),
                   violations_removed=len(removed))
    touched = [*(v["inspection_id"] for v in (*added, *changed)),
               *(stored[vid]["inspection_id"] for vid in removed)]
    return {(inspection_id,) for inspection_id in touched}


def _violations_of(record: dict[str, Any],
                   severities: list[tuple[str, str, str]]) -> Iterable[dict[str, Any]]:
    day = local_day(record["inspected_at"])
    for severity, column, label in severities:
        for n in range(1, (record[column] or 0) + 1):
            yield {"id": f"{record['id']}-{severity}-{n}", "target_id": record["target_id"],
                   "found_on": day, "severity": severity, "inspection_id": record["id"],
                   "description": f"检查记录 {record['id']} 记载的{label}问题 {n}（导入，无明细）"}


async def _derived_violations(tx: Transaction, inspection_ids: list[str],
                              severities: list[tuple[str, str, str]]) -> dict[str, dict[str, Any]]:
    """Stored violations made from these inspections' counts, for the given severities."""
    found: dict[str, dict[str, Any]] = {}
    wanted = {s[0] for s in severities}
    for chunk in _chunks(sorted(set(inspection_ids))):
        marks = ",".join("?" * len(chunk))
        rows = await tx.fetchall(
            "SELECT id, target_id, found_on, severity, description, inspection_id"
            f" FROM violations WHERE inspection_id IN ({marks})", chunk)
        for row in rows:
            prefix = f"{row['inspection_id']}-{row['severity']}-"
            if row["severity"] in wanted and row["id"].startswith(prefix):
                found[row["id"]] = dict(zip(row.keys(), row, strict=True))
    return found


async def _sync_conflicts(tx: Transaction, records: list[dict[str, Any]],
                          details: dict[str, int]) -> set[tuple[Any, ...]]:
    """The conflicts column is the whole list for each inspector in the file."""
    desired = {(r["id"], uscc) for r in records for uscc in r["conflicts"] or []}
    stored: set[tuple[str, str]] = set()
    for chunk in _chunks(sorted({r["id"] for r in records})):
        marks = ",".join("?" * len(chunk))
        rows = await tx.fetchall("SELECT inspector_id, enterprise_uscc FROM conflicts"
                                 f" WHERE inspector_id IN ({marks})", chunk)
        stored.update((row[0], row[1]) for row in rows)
    added, removed = sorted(desired - stored), sorted(stored - desired)

    await tx.executemany("INSERT INTO conflicts (inspector_id, enterprise_uscc, reason)"
                         " VALUES (?, ?, '导入')", added)
    await tx.executemany("DELETE FROM conflicts WHERE inspector_id = ? AND enterprise_uscc = ?",
                         removed)
    details.update(conflicts_added=len(added), conflicts_removed=len(removed))
    return {(inspector_id,) for inspector_id, _ in (*added, *removed)}
