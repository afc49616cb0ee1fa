"""The scoring and roster policy: a TOML file read into frozen Structs.

Policy is data. `load_policy()` reads the default file shipped beside this
module (`default_policy.toml`) or a bureau's own file, checks every key and
fails with a message naming the key and the file. Every number in the file
is written as `{ value = ..., source = "..." }`; the sources are kept in
`Policy.sources` under the dotted key, so an explanation can cite them.

Tiers are ordered from lowest to highest risk: W (whitelist), L, M, E, H, X
(watchlist). The code relies on exactly these six codes: W is only given by
the whitelist, X is the watchlist that is must-visit when due.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import msgspec

_T = TypeVar("_T")

TIER_CODES: tuple[str, ...] = ("W", "L", "M", "E", "H", "X")
SEVERITIES: tuple[str, ...] = ("critical", "serious", "minor", "administrative")
INHERENT_OPS: tuple[str, ...] = ("eq", "in", "gt", "ge")
ALERT_LEVELS: tuple[str, ...] = ("yellow", "orange", "red")
DEFAULT_POLICY_FILE = "default_policy.toml"


class PolicyError(ValueError):
    """A policy file is missing a key or holds a value of the wrong shape."""


class TierPolicy(msgspec.Struct, frozen=True):
    """One tier: its band start, maximum interval and draw weight."""

    code: str
    label: str
    # Inclusive lower bound of behaviour points; None for W (whitelist only).
    min_points: float | None
    interval_days: int
    weight: float


class Lift(msgspec.Struct, frozen=True):
    """A severe factor that lifts the tier on its own, whatever the points."""

    code: str
    label: str
    # 'violations' (of the given severities) or 'complaints' (substantiated).
    records: str
    severities: tuple[str, ...]
    count: int
    window_days: int
    tier: str


class InherentRule(msgspec.Struct, frozen=True):
    """An inherent-hazard fact that keeps a target at or above a tier."""

    code: str
    label: str
    # Target kinds the rule applies to; empty means every kind.
    kinds: tuple[str, ...]
    # 'hazard', 'kind' or 'attributes.NAME'.
    field: str
    op: str
    value: str | float | tuple[str, ...]
    tier: str
    source: str


class WhitelistPolicy(msgspec.Struct, frozen=True):
    """Eligibility for the whitelist and what suspends an entry."""

    no_violation_days: int
    no_complaint_days: int
    clean_inspections: int
    suspend_severities: tuple[str, ...]
    suspend_on_complaint: bool
    # Added in policy 2025.2, with defaults so that stored rosters still decode.
    # Days an approved entry is valid, from its first day.
    validity_days: int = 365
    # An entry ending within this many days is put up for renewal or removal.
    review_notice_days: int = 30


class AlertPolicy(msgspec.Struct, frozen=True):
    """Which targets a heavy-pollution alert puts first, and by how much."""

    kinds: tuple[str, ...]
    # Values of the attribute performance_grade (绩效分级) that count.
    grades: tuple[str, ...]
    # Level ('yellow', 'orange', 'red') -> weight factor in the weighted draw.
    factors: dict[str, float]


class ReinspectionPolicy(msgspec.Struct, frozen=True):
    """When a re-inspection after a failed visit is due and who may do it."""

    earliest_days: int
    deadline_days: int
    # 'members': neither inspector of the failed visit; 'pair': not that pair.
    avoid: str


class RosterPolicy(msgspec.Struct, frozen=True):
    """Numbers of the daily draw."""

    visits_per_pair_per_day: int
    uniform_share: float
    never_inspected_overdue: bool
    never_inspected_weight_factor: float


class Policy(msgspec.Struct, frozen=True):
    """A complete, validated policy."""

    version: str
    description: str
    violation_window_days: int
    complaint_window_days: int
    severity_points: dict[str, float]
    complaint_points: float
    repeat_rule: str
    tiers: tuple[TierPolicy, ...]
    reviews_to_move_down: int
    lifts: tuple[Lift, ...]
    inherent: tuple[InherentRule, ...]
    whitelist: WhitelistPolicy
    reinspection: ReinspectionPolicy
    roster: RosterPolicy
    # Dotted key -> the source note written beside the number.
    sources: dict[str, str]
    path: str
    # Added in policy 2025.2; the default (no preference) reads rosters stored before it.
    alert: AlertPolicy = msgspec.field(default_factory=lambda: AlertPolicy((), (), {}))

    def tier(self, code: str) -> TierPolicy:
        """The tier with this code."""
        return self.tiers[TIER_CODES.index(code)]


def tier_rank(code: str) -> int:
    """Position of a tier from lowest (W = 0) to highest (X = 5)."""
    try:
        return TIER_CODES.index(code)
    except ValueError:
        raise ValueError(f"未知的监管等级 {code!r}，应为 {'/'.join(TIER_CODES)} 之一") from None


def load_policy(path: str | Path | None = None) -> Policy:
    """Read and validate a policy file; None reads the default one shipped here."""
    if path is None:
        resource = resources.files("scoring").joinpath(DEFAULT_POLICY_FILE)
        text, name = resource.read_text(encoding="utf-8"), f"scoring/{DEFAULT_POLICY_FILE}"
    else:
        name = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise PolicyError(f"无法读取策略文件 {name}：{exc.strerror or exc}") from exc

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"策略文件 {name} 不是有效的 TOML：{exc}") from exc
    return _build(_Table(data, "", name, {}), name)


def _build(root: _Table, name: str) -> Policy:
    window, points = root.table("window"), root.table("points")
    policy = Policy(
        version=root.text("version"),
        description=root.text("description", default=""),
        violation_window_days=window.integer("violation_days", minimum=1),
        complaint_window_days=window.integer("complaint_days", minimum=1),
        severity_points={s: points.number(s, minimum=0) for s in SEVERITIES},
        complaint_points=points.number("substantiated_complaint", minimum=0),
        repeat_rule=points.choice("repeat_rule", ("each",)),
        tiers=_tiers(root.table("tiers")),
        reviews_to_move_down=root.table("hysteresis").integer("reviews_to_move_down", minimum=1),
        lifts=tuple(_lift(t) for t in root.tables("lifts")),
        inherent=tuple(_inherent(t) for t in root.tables("inherent")),
        whitelist=_whitelist(root.table("whitelist")),
        alert=_alert(root.table("alert")),
        reinspection=_reinspection(root.table("reinspection")),
        roster=_roster(root.table("roster")),
        sources=root.sources,
        path=name,
    )
    for table in (root, window, points):
        table.finish()
    return policy


def _tiers(table: _Table) -> tuple[TierPolicy, ...]:
    table.require_keys(TIER_CODES)
    tiers = tuple(_tier(table.table(code), code) for code in TIER_CODES)

    # Monotone tables keep the promise that more risk never means less scrutiny.
    for low, high in zip(tiers[1:], tiers[2:], strict=False):
        if (high.min_points or 0) <= (low.min_points or 0):
            table.fail(f"{high.code}.min_points", f"大于 {low.code} 级的 {low.min_points}",
                       high.min_points)
    if tiers[1].min_points != 0:
        table.fail("L.min_points", "0（无违法记录即为 L 级）", tiers[1].min_points)
    for low, high in zip(tiers, tiers[1:], strict=False):
        if high.interval_days > low.interval_days:
            table.fail(f"{high.code}.interval_days", f"不大于 {low.code} 级的 {low.interval_days}",
                       high.interval_days)
        if high.weight < low.weight:
            table.fail(f"{high.code}.weight", f"不小于 {low.code} 级的 {low.weight}", high.weight)
    table.finish()
    return tiers


def _tier(table: _Table, code: str) -> TierPolicy:
    min_points = None if code == "W" else table.number("min_points", minimum=0)
    tier = TierPolicy(
        code=code,
        label=table.text("label"),
        min_points=min_points,
        interval_days=table.integer("interval_days", minimum=1),
        weight=table.number("weight", minimum=0, exclusive=True),
    )
    table.finish()
    return tier


def _lift(table: _Table) -> Lift:
    records = table.choice("records", ("violations", "complaints"), sourced=False)
    lift = Lift(
        code=table.text("code"),
        label=table.text("label"),
        records=records,
        severities=table.texts("severities", SEVERITIES),
        count=table.integer("count", minimum=1),
        window_days=table.integer("window_days", minimum=1),
        tier=table.choice("tier", TIER_CODES[1:], sourced=False),
    )
    if records == "violations" and not lift.severities:
        table.fail("severities", "至少一个违法等级", [])
    table.finish()
    return lift


def _inherent(table: _Table) -> InherentRule:
    op = table.choice("op", INHERENT_OPS, sourced=False)
    field = table.text("field")
    if field not in ("hazard", "kind") and not field.startswith("attributes."):
        table.fail("field", "hazard、kind 或 attributes.名称", field)
    rule = InherentRule(
        code=table.text("code"),
        label=table.text("label"),
        kinds=table.texts("kinds", None),
        field=field,
        op=op,
        value=_rule_value(table, op),
        tier=table.choice("tier", TIER_CODES[1:], sourced=False),
        source=table.text("source"),
    )
    table.finish()
    return rule


def _rule_value(table: _Table, op: str) -> str | float | tuple[str, ...]:
    if op == "in":
        return table.texts("value", None)
    if op in ("gt", "ge"):
        return table.plain_number("value")
    raw = table.raw("value")
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        table.fail("value", "文字或数字", raw)
    return raw if isinstance(raw, str) else float(raw)


def _whitelist(table: _Table) -> WhitelistPolicy:
    result = WhitelistPolicy(
        no_violation_days=table.integer("no_violation_days", minimum=1),
        no_complaint_days=table.integer("no_complaint_days", minimum=1),
        clean_inspections=table.integer("clean_inspections", minimum=0),
        suspend_severities=table.sourced("suspend_severities", _severity_list),
        suspend_on_complaint=table.sourced("suspend_on_complaint", _boolean),
        validity_days=table.integer("validity_days", minimum=1),
        review_notice_days=table.integer("review_notice_days", minimum=0),
    )
    table.finish()
    return result


def _alert(table: _Table) -> AlertPolicy:
    factors = {level: table.number(level, minimum=1) for level in ALERT_LEVELS}
    for low, high in zip(ALERT_LEVELS, ALERT_LEVELS[1:], strict=False):
        if factors[high] < factors[low]:
            table.fail(f"{high}.value", f"不小于 {low} 级的 {factors[low]:g}", factors[high])
    result = AlertPolicy(
        kinds=table.sourced("kinds", _text_list),
        grades=table.sourced("grades", _text_list),
        factors=factors,
    )
    table.finish()
    return result


def _reinspection(table: _Table) -> ReinspectionPolicy:
    result = ReinspectionPolicy(
        earliest_days=table.integer("earliest_days", minimum=0),
        deadline_days=table.integer("deadline_days", minimum=1),
        avoid=table.choice("avoid", ("members", "pair")),
    )
    if result.deadline_days < result.earliest_days:
        table.fail("deadline_days", f"不小于 earliest_days（{result.earliest_days}）",
                   result.deadline_days)
    table.finish()
    return result


def _roster(table: _Table) -> RosterPolicy:
    share = table.number("uniform_share", minimum=0)
    if share >= 1:
        table.fail("uniform_share", "0 到 1 之间（不含 1）的比例", share)
    result = RosterPolicy(
        visits_per_pair_per_day=table.integer("visits_per_pair_per_day", minimum=1),
        uniform_share=share,
        never_inspected_overdue=table.sourced("never_inspected_overdue", _boolean),
        never_inspected_weight_factor=table.number(
            "never_inspected_weight_factor", minimum=0, exclusive=True
        ),
    )
    table.finish()
    return result


def _boolean(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _text_list(value: Any) -> tuple[str, ...] | None:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        return None
    return tuple(value)


def _severity_list(value: Any) -> tuple[str, ...] | None:
    if not isinstance(value, list) or any(v not in SEVERITIES for v in value):
        return None
    return tuple(value)


class _Table:
    """A TOML table being read, remembering which keys were used."""

    def __init__(self, data: dict[str, Any], prefix: str, file: str,
                 sources: dict[str, str]) -> None:
        self.data, self.prefix, self.file, self.sources = data, prefix, file, sources
        self.used: set[str] = set()

    def fail(self, key: str, expected: str, got: Any) -> NoReturn:
        raise PolicyError(
            f"策略文件 {self.file} 中的键 {self.prefix}{key}：应为{expected}，实际为 {got!r}"
        )

    def raw(self, key: str) -> Any:
        if key not in self.data:
            raise PolicyError(f"策略文件 {self.file} 缺少键 {self.prefix}{key}")
        self.used.add(key)
        return self.data[key]

    def require_keys(self, keys: tuple[str, ...]) -> None:
        for key in keys:
            self.raw(key)

    def finish(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise PolicyError(f"策略文件 {self.file} 中有未知的键 {self.prefix}{unknown[0]}")

    def table(self, key: str) -> _Table:
        value = self.raw(key)
        if not isinstance(value, dict):
            self.fail(key, "一个表", value)
        return _Table(value, f"{self.prefix}{key}.", self.file, self.sources)

    def tables(self, key: str) -> list[_Table]:
        value = self.raw(key)
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.fail(key, "表的数组（[[...]]）", value)
        return [_Table(v, f"{self.prefix}{key}[{i}].", self.file, self.sources)
                for i, v in enumerate(value)]

    def text(self, key: str, *, default: str | None = None) -> str:
        if default is not None and key not in self.data:
            return default
        value = self.raw(key)
        if not isinstance(value, str) or not value.strip():
            self.fail(key, "非空文字", value)
        return value

    def texts(self, key: str, allowed: tuple[str, ...] | None) -> tuple[str, ...]:
        value = self.raw(key)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(key, "文字列表", value)
        if allowed is not None and any(v not in allowed for v in value):
            self.fail(key, f"取自 {', '.join(allowed)} 的列表", value)
        return tuple(value)

    def plain_number(self, key: str) -> float:
        value = self.raw(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(key, "数字", value)
        return float(value)

    def choice(self, key: str, allowed: tuple[str, ...], *, sourced: bool = True) -> str:
        def check(value: Any) -> str | None:
            return value if value in allowed else None

        if sourced:
            return self.sourced(key, check, expected=f"{'、'.join(allowed)} 之一")
        found = check(self.raw(key))
        if found is None:
            self.fail(key, f"{'、'.join(allowed)} 之一", self.raw(key))
        return found

    def number(self, key: str, *, minimum: float, exclusive: bool = False) -> float:
        def check(value: Any) -> float | None:
            if isinstance(value, bool) or not isinstance(value, int | float):
                return None
            if not math.isfinite(value) or value < minimum or (exclusive and value == minimum):
                return None
            return float(value)

        bound = f"大于 {minimum:g}" if exclusive else f"不小于 {minimum:g}"
        return self.sourced(key, check, expected=f"{bound}的数字")

    def integer(self, key: str, *, minimum: int) -> int:
        def check(value: Any) -> int | None:
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                return None
            return value

        return self.sourced(key, check, expected=f"不小于 {minimum} 的整数")

    def sourced(self, key: str, check: Callable[[Any], _T | None], *,
                expected: str = "符合要求的值") -> _T:
        """Read `{ value = ..., source = "..." }` and keep the source note."""
        entry = self.raw(key)
        if not isinstance(entry, dict) or set(entry) != {"value", "source"}:
            self.fail(key, '{ value = ..., source = "..." } 形式的表', entry)
        if not isinstance(entry["source"], str) or not entry["source"].strip():
            self.fail(f"{key}.source", "非空的来源说明", entry["source"])
        result = check(entry["value"])
        if result is None:
            self.fail(f"{key}.value", expected, entry["value"])
        self.sources[f"{self.prefix}{key}"] = entry["source"]
        return result
