"""`xuncha backtest`: Xuncha's order against random and real order on an imported history.

Reads the inspections made from FROM to TO (local days, void visits left
out), marks each as failing when a violation of a failing severity (default
critical: Chicago's critical violations, San Francisco's High Risk ones) was
found on the same target on the same day, scores every target with
``load_facts(db, FROM - 1 day)`` (only what was known by then: earlier
violations, complaints with their outcomes as decided by then, earlier
inspections and inherent hazard; never who inspected), and hands both to
scoring/backtest.py. Prints a table, optionally writes a CSV with one row per
ordering, and with ``--fairness`` prints inspection rate, mean tier and
inclusion probability by district and by target kind.
"""

from __future__ import annotations

import argparse
import csv
import logging
import sys
from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

import msgspec

from inspection.clock import day_argument, day_end_utc, local_date
from inspection.db import Database
from inspection.errors import ValidationError
from inspection.scores import load_facts
from scoring.backtest import (
    Backtest,
    GroupRow,
    TargetView,
    Visit,
    design_probabilities,
    fairness_rows,
    run_backtest,
)
from scoring.draw import Candidate, InspectorOnDuty, capacity_for, draw
from scoring.policy import Policy, load_policy
from scoring.risk import Score, TargetFacts, score_all

logger = logging.getLogger(__name__)

CSV_COLUMNS = ("ordering", "days_earlier_mean", "days_earlier_sd", "first_half_share",
               "first_half_share_sd", "runs", "inspections", "failures", "slots", "start", "end",
               "first_half_end", "dropped")
# The City of Chicago's published evaluation (shared/data/README.md and
# shared/domain/risk-policy.md §4): reference figures, not results of ours.
CHICAGO_WINDOW = (date(2014, 9, 2), date(2014, 10, 31))
CHICAGO_PUBLISHED = ("市政府公布结果（芝加哥 2014，仅供对照）：1,637 次检查，"
                     "按模型排序严重违规平均提前 7.44 天发现，首月发现 69%（实际顺序 55%）；"
                     "随机排序约晚 1.5 天，"
                     "仅用历史的简单规则提前 0.2–1.3 天")
# Chicago had about three dozen inspectors (risk-policy.md §4, chicago.github.io).
DEFAULT_INSPECTORS = 36


class Options(msgspec.Struct, frozen=True):
    """A backtest request, as the command line gives it."""

    db: Path
    start: date
    end: date
    runs: int = 200
    seed: str = "xuncha-backtest"
    csv: Path | None = None
    fairness: bool = False
    failing: tuple[str, ...] = ("critical",)
    inspectors: int = DEFAULT_INSPECTORS


class Report(msgspec.Struct, frozen=True):
    """What a run produced: the backtest and, when asked, the fairness rows."""

    backtest: Backtest
    fairness: tuple[GroupRow, ...] = ()


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
             common_parent: argparse.ArgumentParser) -> None:
    """Add `backtest` to the xuncha command (``--db`` comes from the common parent)."""
    p = subparsers.add_parser("backtest", parents=[common_parent],
                              help="replay a history: Xuncha's order vs random vs real")
    p.add_argument("--from", dest="start", type=_day, required=True, metavar="DATE")
    p.add_argument("--to", dest="end", type=_day, required=True, metavar="DATE")
    p.add_argument("--runs", type=int, default=200, help="random orderings (default 200)")
    p.add_argument("--csv", type=Path, default=None, help="write one row per ordering")
    p.add_argument("--seed", default="xuncha-backtest", help="seed for ties and random orders")
    p.add_argument("--fairness", action="store_true",
                   help="inspection rate, mean tier, inclusion probability by group")
    p.add_argument("--inspectors", type=int, default=DEFAULT_INSPECTORS,
                   help="inspectors for the fairness draw when none are registered")
    p.set_defaults(handler=handle)


_day = day_argument


async def handle(args: argparse.Namespace) -> int:
    """The command's handler: run, print, write the CSV; 0 on success."""
    options = Options(db=args.db, start=args.start, end=args.end, runs=args.runs,
                      seed=args.seed, csv=args.csv, fairness=args.fairness,
                      inspectors=args.inspectors)
    if options.csv is not None:
        # Checked before the runs, which can take minutes, rather than after them.
        _check_csv_path(options.csv)
    report = await run(options, policy=_policy())
    _out(format_backtest(report.backtest))
    if report.fairness:
        _out(format_fairness(report.fairness))
    if options.csv is not None:
        write_csv(report.backtest, options.csv)
        _out(f"已写入 {options.csv}")
    return 0


def _policy() -> Policy:
    from inspection.settings import read_one

    return load_policy(read_one("XUNCHA_POLICY"))


def _out(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


async def run(options: Options, *, policy: Policy | None = None) -> Report:
    """Load the history, score it as of the day before the window and replay the window."""
    _check(options)
    policy = policy or load_policy()
    as_of = options.start - timedelta(days=1)
    async with Database(options.db) as db:
        visits = await load_visits(db, options.start, options.end, options.failing)
        if not visits:
            raise ValidationError(f"{options.start}..{options.end} 期间没有检查记录，无法回测"
                                  "（请先用 xuncha import 导入检查记录）")
        facts = await load_facts(db, as_of)
        places = await _places(db) if options.fairness else {}
        inspectors = await _inspectors(db, options.inspectors) if options.fairness else []
    scores = score_all(facts, policy, as_of)
    backtest = run_backtest(visits, {s.target_id: s for s in scores}, options.start,
                            options.end, runs=options.runs, seed=options.seed)
    logger.info("backtest %s..%s: %d visits, %d failing", options.start, options.end,
                backtest.visits, backtest.result("xuncha").failures)
    if not options.fairness:
        return Report(backtest)
    rows = fairness(facts, scores, visits, places, inspectors, policy, options)
    return Report(backtest, tuple(rows))


def _check(options: Options) -> None:
    if options.end < options.start:
        raise ValidationError(f"--to 应不早于 --from（{options.start}），收到 {options.end}",
                              field="to")
    if options.runs < 1:
        raise ValidationError(f"--runs 应为不小于 1 的整数，收到 {options.runs}", field="runs")
    if options.fairness and options.inspectors < 2:
        raise ValidationError(f"--inspectors 应不少于 2，收到 {options.inspectors}",
                              field="inspectors")


async def load_visits(db: Database, start: date, end: date,
                      failing: Sequence[str] = ("critical",)) -> list[Visit]:
    """Pass and fail visits from start to end; failing: a failing severity found that day."""
    rows = await db.fetchall(
        "SELECT id, target_id, inspected_at FROM inspections"
        " WHERE inspected_at >= :start AND inspected_at < :end AND verdict != 'void'",
        {"start": day_end_utc(start - timedelta(days=1)), "end": day_end_utc(end)})
    marks = ",".join("?" * len(failing))
    found = {
        (r["target_id"], r["found_on"])
        for r in await db.fetchall(
            f"SELECT target_id, found_on FROM violations WHERE severity IN ({marks})"
            " AND found_on >= ? AND found_on <= ?",
            (*failing, start.isoformat(), end.isoformat()))
    }
    visits = []
    for row in rows:
        day = local_date(row["inspected_at"])
        visits.append(Visit(row["target_id"], row["id"], day,
                            (row["target_id"], day.isoformat()) in found))
    return visits


async def _places(db: Database) -> dict[str, tuple[float | None, float | None]]:
    return {r["id"]: (r["latitude"], r["longitude"])
            for r in await db.fetchall("SELECT id, latitude, longitude FROM targets")}


async def _inspectors(db: Database, synthetic: int) -> list[InspectorOnDuty]:
    """The registered active inspectors, or `synthetic` made-up ones when none are."""
    rows = await db.fetchall("SELECT id, team, district FROM inspectors WHERE active = 1")
    if rows:
        return [InspectorOnDuty(r["id"], r["team"], r["district"]) for r in rows]
    return [InspectorOnDuty(f"BT-{n:03d}", f"team-{n % 4}", "") for n in range(1, synthetic + 1)]


def fairness(facts: Sequence[TargetFacts], scores: Sequence[Score], visits: Sequence[Visit],
             places: dict[str, tuple[float | None, float | None]],
             inspectors: Sequence[InspectorOnDuty], policy: Policy,
             options: Options) -> list[GroupRow]:
    """Draw the window's first day and summarise by district and kind."""
    candidates = [
        Candidate(target_id=f.target_id, enterprise_uscc=f.enterprise_uscc, district=f.district,
                  kind=f.kind, tier=s.tier, weight=s.weight, must_visit=s.must_visit,
                  avoid_inspectors=s.avoid_inspectors, latitude=places.get(f.target_id,
                  (None, None))[0], longitude=places.get(f.target_id, (None, None))[1],
                  due_on=s.due_on)
        for f, s in zip(facts, scores, strict=True)
    ]
    capacity = capacity_for(inspectors, policy)
    drawn = draw(options.start, options.seed, candidates, inspectors, policy)
    taken = {a.target_id for a in drawn.assignments}
    probabilities = design_probabilities(candidates, capacity, policy, options.seed,
                                         options.start)
    counts = Counter(v.target_id for v in visits)
    return fairness_rows(
        TargetView(f.target_id, f.district or "（未填）", f.kind, s.tier, counts[f.target_id],
                   probabilities[f.target_id], f.target_id in taken)
        for f, s in zip(facts, scores, strict=True))


# ---- output -------------------------------------------------------------------


def format_backtest(backtest: Backtest) -> str:
    """The table: ordering, days earlier (mean, sd over random runs), first half share, n."""
    head = (f"回测区间 {backtest.start}..{backtest.end}（前半段至 {backtest.first_half_end}），"
            f"评分日 {backtest.start - timedelta(days=1)}；{backtest.visits} 个检查对象各取首次检查"
            f"（舍去区间内重复检查 {backtest.dropped} 次），"
            f"不合格（发现严重问题）{backtest.result('xuncha').failures} 次")
    lines = [head, f"{'ordering':<12} {'days_earlier_mean':>18} {'days_earlier_sd':>16} "
                   f"{'first_half_share':>17} {'n':>6} {'runs':>5}"]
    for r in backtest.results:
        sd = "" if r.days_earlier_sd is None else f"{r.days_earlier_sd:.2f}"
        share = f"{r.first_half_share:.1%}"
        if r.first_half_share_sd is not None:
            share += f" ±{r.first_half_share_sd:.1%}"
        lines.append(f"{r.ordering:<12} {r.days_earlier_mean:>18.2f} {sd:>16} {share:>17} "
                     f"{r.inspections:>6} {r.runs:>5}")
    if (backtest.start, backtest.end) == CHICAGO_WINDOW:
        lines.append(CHICAGO_PUBLISHED)
    return "\n".join(lines)


def format_fairness(rows: Sequence[GroupRow]) -> str:
    """Inspection rate, mean tier rank (W=0 ... X=5) and inclusion probability by group."""
    lines = ["公平性（按区县、对象类型）：检查率 = 区间内检查次数 / 对象数；平均等级 W=0 … X=5；"
             "入选概率为区间首日抽查设计概率",
             f"{'by':<9} {'group':<20} {'targets':>8} {'inspections':>11} {'rate':>7} "
             f"{'mean_tier':>9} {'inclusion':>10} {'drawn':>6}"]
    for r in rows:
        lines.append(f"{r.by:<9} {r.group:<20} {r.targets:>8} {r.inspections:>11} "
                     f"{r.inspection_rate:>7.3f} {r.mean_tier:>9.2f} {r.mean_inclusion:>10.4f} "
                     f"{r.drawn:>6}")
    return "\n".join(lines)


def _check_csv_path(path: Path) -> None:
    if path.is_dir():
        raise ValidationError(f"--csv 应为文件路径，收到的 {path} 是一个目录", field="csv")
    if not path.parent.is_dir():
        raise ValidationError(f"--csv 的目录 {path.parent} 不存在", field="csv")


def write_csv(backtest: Backtest, path: Path) -> None:
    """One row per ordering with the columns of CSV_COLUMNS."""
    try:
        _write_csv(backtest, path)
    except OSError as exc:
        raise ValidationError(f"无法写入 {path}：{exc.strerror or exc}", field="csv") from None


def _write_csv(backtest: Backtest, path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_COLUMNS)
        for r in backtest.results:
            writer.writerow([
                r.ordering, f"{r.days_earlier_mean:.6f}", _optional(r.days_earlier_sd),
                f"{r.first_half_share:.6f}", _optional(r.first_half_share_sd), r.runs,
                r.inspections, r.failures, r.slots, backtest.start.isoformat(),
                backtest.end.isoformat(), backtest.first_half_end.isoformat(), backtest.dropped,
            ])


def _optional(value: float | None) -> str:
    return "" if value is None else f"{value:.6f}"
