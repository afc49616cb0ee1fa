"""The rules that judge one answer, named by the ``rule`` of a checklist item.

Each rule reads its answer (and the inputs it names), asks a standard module
for the computation and the limit in force, and says what it found. The
standard modules hold the arithmetic and the limits; this module only words
the outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import msgspec

from checklists import identifiers
from checklists.answers import parse_date
from checklists.errors import ReadingError
from checklists.model import Answer, Item, ItemResult, Result, Status
from checklists.standards import dust, fumes, gb3847, gb18483, gb36886, limits, remote_sensing
from checklists.standards._numbers import ringelmann_grade, shown


class Context(msgspec.Struct, frozen=True):
    """Everything a rule may read besides its own answer."""

    answers: dict[str, Answer]
    on: date
    region: str
    standard: str | None = None

    def limit(self, select: Callable[..., limits.Limit]) -> limits.Limit:
        return select(region=self.region, on=self.on, standard=self.standard)


Rule = Callable[[Item, Answer, Context], ItemResult]
RULES: dict[str, Rule] = {}


def rule(name: str) -> Callable[[Rule], Rule]:
    def register(func: Rule) -> Rule:
        RULES[name] = func
        return func

    return register


def result(
    item: Item,
    outcome: Result,
    message: str,
    *,
    value: object = None,
    row: limits.Limit | None = None,
    limit: float | None = None,
) -> ItemResult:
    """An ItemResult whose basis and status come from the limit row when one was used."""
    status: Status = item.status if row is None else _weakest(item.status, row.status)
    return ItemResult(
        item=item.key,
        result=outcome,
        value=value,
        limit=limit,
        unit=item.unit if row is None else row.unit,
        basis=item.basis.text() if row is None else row.basis(),
        rule=item.rule,
        source_status=status,
        message=f"{item.label}：{message}",
    )


def _weakest(a: Status, b: Status) -> Status:
    return a if "VPU".index(a) >= "VPU".index(b) else b


def _input(ctx: Context, key: str, needed_by: str) -> object:
    """Another answer's value that a computation needs."""
    answer = ctx.answers.get(key)
    if answer is None or answer.result == "na":
        raise ReadingError(key, f"一个读数（计算“{needed_by}”需要）", None)
    return answer.value


def _size(ctx: Context, needed_by: str) -> gb18483.SizeClass:
    """The GB 18483 size class from the first class measure answered."""
    for measure in gb18483.CLASS_BOUNDS:
        answer = ctx.answers.get(measure)
        if answer is not None and answer.result != "na":
            return gb18483.size_class(measure, answer.value)
    expected = f"基准灶头数、总发热功率或排气罩投影面积之一（确定规模，“{needed_by}”需要）"
    raise ReadingError("reference_burners", expected, None)


def _compare(passed: bool) -> str:
    return "符合" if passed else "不符合"


@rule("yes_no")
def yes_no(item: Item, answer: Answer, ctx: Context) -> ItemResult:
    passed = answer.result == "pass"
    message = _compare(passed) if passed else f"不符合{_tail(item)}"
    return result(item, "pass" if passed else "fail", message, value=answer.result)


def _tail(item: Item) -> str:
    return f"，{item.fail_message}" if item.fail_message else ""


@rule("choice")
def choice(item: Item, answer: Answer, ctx: Context) -> ItemResult:
    failed = answer.value in item.fail_choices
    message = f"{answer.value}{_tail(item) if failed else ''}"
    return result(item, "fail" if failed else "pass", message, value=answer.value)


@rule("record")
def record(item: Item, answer: Answer, ctx: Context) -> ItemResult:
    return result(item, "na", f"{answer.value}{item.unit}（记录，不单独判定）", value=answer.value)


@rule("text_present")
def text_present(item: Item, answer: Answer, ctx: Context) -> ItemResult:
    text = str(answer.value).strip()
    if text:
        return result(item, "pass", text, value=text)
    return result(item, "fail", f"未见{_tail(item)}", value=text)


@rule("photo")
def photo(item: Item, answer: Answer, ctx: Context) -> ItemResult:
    count = len(answer.photos)
    if count:
        return result(item, "pass", f"已拍照 {count} 张", value=count)
    return result(item, "na", "未拍照", value=0)


@rule("date_within")
def date_within(item: Item, answer: Answer, ctx: Context) -> ItemResult:
    day = parse_date(item.key, answer.value)
    if day > ctx.on:
        raise ReadingError(item.key, f"不晚于检查日 {ctx.on.isoformat()} 的日期", answer.value)

    age, interval = (ctx.on - day).days, int(item.params["interval_days"])
    passed = age <= interval
    message = f"{day.isoformat()}，距检查日 {age} 天，规定不超过 {interval} 天，{_compare(passed)}"
    outcome: Result = "pass" if passed else "fail"
    return result(item, outcome, message, value=day.isoformat(), limit=interval)


@rule("size_class")
def size_class(item: Item, answer: Answer, ctx: Context) -> ItemResult:
    size = gb18483.size_class(item.key, answer.value)
    message = f"{answer.value}{item.unit}，规模为{gb18483.CLASS_NAMES[size]}（GB 18483 表1）"
    return result(item, "na", message, value=answer.value)


@rule("fumes_concentration")
def fumes_concentration(item: Item, answer: Answer, ctx: Context) -> ItemResult:
    airflow = _input(ctx, "measured_airflow_m3_h", item.key)
    burners = _input(ctx, "working_burners", item.key)
    m = gb18483.measure(answer.value, airflow, burners)  # type: ignore[arg-type]
    size = _size(ctx, item.key)
    row = ctx.limit(fumes.fumes_limit)
    limit = row.value(size)
    dropped = f"，低于最大值¼剔除 {_list(m.dropped)}" if m.dropped else ""

    if m.reference is None:
        count = f"有效样本 {len(m.valid)} 个{dropped}，不足 {gb18483.MIN_VALID} 个"
        message = f"{count}，测定无效，须重新采样"
        return result(item, "void", message, row=row, limit=limit)
    passed = limits.within(m.reference, row, size)
    message = (
        f"有效样本 {_list(m.valid)}{dropped}，均值 {shown(m.mean or Decimal(0))}，"
        f"折算 C基 = C测×{airflow}/(2000×{burners}) = {shown(m.reference)} mg/m³，"
        f"{gb18483.CLASS_NAMES[size]}限值 {limit}，{_compare(passed)}"
    )
    outcome: Result = "pass" if passed else "fail"
    return result(item, outcome, message, value=shown(m.reference), row=row, limit=limit)


def _list(values: tuple[Decimal, ...]) -> str:
    return "、".join(str(v) for v in values)


@rule("purifier_efficiency")
def purifier_efficiency(item: Item, answer: Answer, ctx: Context) -> ItemResult:
    size = _size(ctx, item.key)
    row = ctx.limit(fumes.efficiency_limit)
    passed = fumes.efficiency_passes(answer.value, size, row)
    limit = row.value(size)
    message = f"{answer.value}%，{gb18483.CLASS_NAMES[size]}最低 {limit}%，{_compare(passed)}"
    outcome: Result = "pass" if passed else "fail"
    return result(item, outcome, message, value=answer.value, row=row, limit=limit)


@rule("opacity_mean")
def opacity_mean(item: Item, answer: Answer, ctx: Context) -> ItemResult:
    mean = gb3847.opacity_mean(answer.value)  # type: ignore[arg-type]
    row = ctx.limit(gb3847.opacity_limit)
    passed = limits.within(mean, row)
    readings = "、".join(str(v) for v in answer.value)  # type: ignore[attr-defined]
    message = f"三次读数 {readings}，均值 {shown(mean)} m⁻¹，限值 {row.value()}，{_compare(passed)}"
    outcome: Result = "pass" if passed else "fail"
    return result(item, outcome, message, value=shown(mean), row=row, limit=row.value())


def _ringelmann(item: Item, answer: Answer, row: limits.Limit) -> ItemResult:
    grade = ringelmann_grade(answer.value, item.key)
    passed = limits.within(Decimal(grade), row)
    message = f"林格曼 {grade} 级，限值 {int(row.value())} 级，{_compare(passed)}"
    outcome: Result = "pass" if passed else "fail"
    return result(item, outcome, message, value=grade, row=row, limit=row.value())


@rule("vehicle_ringelmann")
def vehicle_ringelmann(item: Item, answer: Answer, ctx: Context) -> ItemResult:
    return _ringelmann(item, answer, ctx.limit(gb3847.ringelmann_limit))


@rule("nonroad_ringelmann")
def nonroad_ringelmann(item: Item, answer: Answer, ctx: Context) -> ItemResult:
    return _ringelmann(item, answer, ctx.limit(gb36886.ringelmann_limit))


@rule("remote_sensing")
def remote_sensing_records(item: Item, answer: Answer, ctx: Context) -> ItemResult:
    records = remote_sensing.parse(answer.value, ctx.on)
    row = limits.select(remote_sensing.KEY, region=ctx.region, on=ctx.on, standard=ctx.standard)
    count, months = int(row.value("count")), int(row.value("window_months"))
    tally = remote_sensing.tally(records, ctx.on, window_months=months)
    over = sorted(p for p, n in tally.items() if n >= count)

    names = "、".join(remote_sensing.POLLUTANTS[p] for p in over)
    message = f"{months}个月内同一污染物超标{count}次及以上：{names}" if over else "未见重复超标"
    outcome: Result = "fail" if over else "pass"
    return result(item, outcome, message, value=tally, row=row, limit=count)


@rule("pm10")
def pm10(item: Item, answer: Answer, ctx: Context) -> ItemResult:
    row = ctx.limit(dust.pm10_limit)
    level = dust.pm10_level(answer.value, row, item.key)
    warning, alarm = row.value("warning"), row.value("alarm")
    words = {
        "normal": f"不高于预警值 {warning}",
        "warning": f"高于预警值 {warning}，未超过 {alarm}，应预警并加强措施",
        "alarm": f"高于 {alarm}，须现场核查，措施未落实的停工至低于 {warning}",
    }
    outcome: Result = "fail" if level == "alarm" else "pass"
    message = f"{answer.value} µg/m³，{words[level]}"
    return result(item, outcome, message, value=answer.value, row=row, limit=alarm)


_PLATE_KINDS = {
    "ordinary": "普通号牌",
    "trailer": "挂车号牌",
    "nev_small": "小型新能源号牌",
    "nev_large": "大型新能源号牌",
}


@rule("plate")
def plate(item: Item, answer: Answer, ctx: Context) -> ItemResult:
    check = identifiers.check_plate(str(answer.value))
    if not check.valid:
        return result(item, "fail", check.message, value=check.value)
    message = f"{check.value}（{_PLATE_KINDS.get(check.kind, check.kind)}）{check.warning}"
    return result(item, "pass", message, value=check.value)


@rule("vin")
def vin(item: Item, answer: Answer, ctx: Context) -> ItemResult:
    check = identifiers.check_vin(str(answer.value))
    if not check.valid:
        return result(item, "fail", check.message, value=check.value)
    return result(item, "pass", f"{check.value}，校验位正确", value=check.value)
