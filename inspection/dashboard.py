"""The leader's dashboard: its figures (all the SQL in one place) and their charts.

Charts are inline SVG drawn here, on the server: nothing is loaded from elsewhere,
they print, and they read without JavaScript. Each chart comes with its numbers as
a table for screen readers and for anyone who wants the exact figures.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import msgspec
from markupsafe import Markup, escape

from inspection.db import Database
from inspection.labels import KINDS, TIERS
from inspection.scores import score_targets
from scoring.policy import Policy

COVERAGE_DAYS = 14
FINDINGS_DAYS = 30
TREND_WEEKS = 12

# Asia/Shanghai keeps UTC+8 all year (no summer time), so a fixed shift turns the
# stored UTC text into the local day inside SQL.
LOCAL_DAY = "date(datetime({col}, '+8 hours'))"


class DayCoverage(msgspec.Struct, frozen=True):
    day: date
    planned: int
    done: int


class Count(msgspec.Struct, frozen=True):
    label: str
    value: int


class TierCount(msgspec.Struct, frozen=True):
    """Targets in one tier, and how many were inspected within the tier's interval."""

    label: str
    targets: int
    within_interval: int


class WeekTrend(msgspec.Struct, frozen=True):
    week_start: date
    inspections: int
    failed: int


class Dashboard(msgspec.Struct, frozen=True):
    day: date
    coverage: list[DayCoverage]
    findings_by_kind: list[Count]
    findings_by_district: list[Count]
    tiers: list[TierCount]
    trend: list[WeekTrend]


COVERAGE_SQL = """
SELECT r.day,
       SUM(a.status != 'cancelled') AS planned,
       SUM(a.status != 'cancelled' AND (a.status = 'done' OR EXISTS (
           SELECT 1 FROM inspections i WHERE i.assignment_id = a.id))) AS done
FROM rosters r JOIN assignments a ON a.roster_id = r.id
WHERE r.superseded_at IS NULL AND r.day > ? AND r.day <= ?
GROUP BY r.day
"""

# An imported inspection may carry only its verdict: a failed one without listed
# findings counts as one finding, so history from other systems is not lost here.
FINDINGS_SQL = f"""
SELECT t.kind, t.district,
       SUM(CASE WHEN json_array_length(i.judgement, '$.findings') > 0
                THEN json_array_length(i.judgement, '$.findings')
                WHEN i.verdict = 'fail' THEN 1 ELSE 0 END) AS n
FROM inspections i
JOIN targets t ON t.id = i.target_id
WHERE {LOCAL_DAY.format(col="i.inspected_at")} > ?
  AND {LOCAL_DAY.format(col="i.inspected_at")} <= ?
GROUP BY t.kind, t.district
HAVING n > 0
"""

TREND_SQL = f"""
SELECT date({LOCAL_DAY.format(col="inspected_at")}, '-6 days', 'weekday 1') AS week,
       COUNT(*) AS n, SUM(verdict = 'fail') AS failed
FROM inspections
WHERE {LOCAL_DAY.format(col="inspected_at")} >= ? AND {LOCAL_DAY.format(col="inspected_at")} <= ?
GROUP BY week
"""


def week_start(day: date) -> date:
    """The Monday of the week a day falls in."""
    return day - timedelta(days=day.weekday())


async def coverage(db: Database, day: date) -> list[DayCoverage]:
    """Planned and done visits for each of the last two weeks' days, up to the day."""
    first = day - timedelta(days=COVERAGE_DAYS)
    rows = {
        r["day"]: r for r in await db.fetchall(COVERAGE_SQL, (first.isoformat(), day.isoformat()))
    }
    days = [first + timedelta(days=n) for n in range(1, COVERAGE_DAYS + 1)]
    return [
        DayCoverage(
            d,
            rows[d.isoformat()]["planned"] if d.isoformat() in rows else 0,
            rows[d.isoformat()]["done"] if d.isoformat() in rows else 0,
        )
        for d in days
    ]


async def findings(db: Database, day: date) -> tuple[list[Count], list[Count]]:
    """Findings of the last 30 days counted by target kind and by district."""
    first = day - timedelta(days=FINDINGS_DAYS)
    by_kind: Counter[str] = Counter()
    by_district: Counter[str] = Counter()
    for r in await db.fetchall(FINDINGS_SQL, (first.isoformat(), day.isoformat())):
        by_kind[KINDS.get(r["kind"], r["kind"])] += r["n"]
        by_district[r["district"] or "未填区县"] += r["n"]
    return _counts(by_kind), _counts(by_district)


def _counts(counter: Counter[str]) -> list[Count]:
    return [Count(label, n) for label, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))]


async def tiers(db: Database, policy: Policy, day: date) -> list[TierCount]:
    """Active targets per tier, lowest risk first, and how many are not overdue."""
    scores = await score_targets(db, policy, day)
    total = Counter(s.tier for s in scores)
    within = Counter(s.tier for s in scores if not s.overdue)
    return [TierCount(f"{code} {name}", total[code], within[code]) for code, name in TIERS.items()]


async def trend(db: Database, day: date) -> list[WeekTrend]:
    """Inspections and failed inspections per week for the last twelve weeks."""
    first = week_start(day) - timedelta(weeks=TREND_WEEKS - 1)
    rows = {
        r["week"]: r for r in await db.fetchall(TREND_SQL, (first.isoformat(), day.isoformat()))
    }
    weeks = [first + timedelta(weeks=n) for n in range(TREND_WEEKS)]
    return [
        WeekTrend(
            w,
            rows[w.isoformat()]["n"] if w.isoformat() in rows else 0,
            rows[w.isoformat()]["failed"] if w.isoformat() in rows else 0,
        )
        for w in weeks
    ]


async def build(db: Database, policy: Policy, day: date) -> Dashboard:
    """Every figure of the dashboard as of the end of a local day."""
    by_kind, by_district = await findings(db, day)
    return Dashboard(
        day=day,
        coverage=await coverage(db, day),
        findings_by_kind=by_kind,
        findings_by_district=by_district,
        tiers=await tiers(db, policy, day),
        trend=await trend(db, day),
    )


# --- charts -------------------------------------------------------------------------

WIDTH = 360
INK = "#1d2733"
BRAND = "#0b6e4f"
PALE = "#b8d8cb"
BAD = "#b42318"


def _svg(height: float, title: str, body: list[str]) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height:.0f}" role="img"'
        f' aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _text(x: float, y: float, text: str, *, anchor: str = "start", size: int = 12) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{INK}"'
        f' text-anchor="{anchor}">{escape(text)}</text>'
    )


def _rect(x: float, y: float, width: float, height: float, fill: str) -> str:
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(width, 0):.1f}"'
        f' height="{max(height, 0):.1f}" fill="{fill}"/>'
    )


def bar_chart(rows: list[Count], title: str) -> Markup:
    """Horizontal bars, one row per label: readable on a 360 px phone."""
    row_h, label_w = 26, 120
    top = max((r.value for r in rows), default=0) or 1
    body = []
    for n, row in enumerate(rows):
        y = n * row_h + 4
        width = (WIDTH - label_w - 40) * row.value / top
        body.append(_text(label_w - 6, y + 15, row.label[:9], anchor="end"))
        body.append(_rect(label_w, y + 3, width, 16, BRAND))
        body.append(_text(label_w + width + 4, y + 15, str(row.value)))
    if not rows:
        body.append(_text(WIDTH / 2, 20, "暂无数据", anchor="middle"))
    return _svg(max(len(rows), 1) * row_h + 8, title, body)


def tier_chart(rows: list[TierCount], title: str) -> Markup:
    """Horizontal bars per tier: all targets pale, those inspected within their interval green."""
    row_h, label_w = 26, 120
    top = max((r.targets for r in rows), default=0) or 1
    body = []
    for n, row in enumerate(rows):
        y = n * row_h + 4
        full = (WIDTH - label_w - 70) * row.targets / top
        part = (WIDTH - label_w - 70) * row.within_interval / top
        body.append(_text(label_w - 6, y + 15, row.label[:9], anchor="end"))
        body.append(_rect(label_w, y + 3, full, 16, PALE))
        body.append(_rect(label_w, y + 3, part, 16, BRAND))
        body.append(_text(label_w + full + 4, y + 15, f"{row.within_interval}/{row.targets}"))
    return _svg(max(len(rows), 1) * row_h + 8, title, body)


def coverage_chart(days: list[DayCoverage], title: str) -> Markup:
    """Columns per day: the plan pale behind, the visits done in green in front."""
    plot_h, base, left = 140, 160, 28
    top = max((d.planned for d in days), default=0) or 1
    step = (WIDTH - left) / max(len(days), 1)
    body = _column_axis(top, left, base)
    for n, d in enumerate(days):
        x = left + n * step + 2
        for value, colour, shrink in ((d.planned, PALE, 0.0), (d.done, BRAND, step * 0.2)):
            h = plot_h * value / top
            body.append(_rect(x + shrink, base - h, step - 4 - 2 * shrink, h, colour))
        if n % 2 == len(days) % 2 or len(days) < 8:
            body.append(_day_label(x + step / 2 - 2, base, d.day))
    body += _legend(left, [(PALE, "计划", 0), (BRAND, "已完成", 60)])
    return _svg(194, title, body)


def trend_chart(weeks: list[WeekTrend], title: str) -> Markup:
    """Columns of inspections per week with the failed share stacked in red."""
    plot_h, base, left = 140, 160, 28
    top = max((w.inspections for w in weeks), default=0) or 1
    step = (WIDTH - left) / max(len(weeks), 1)
    body = _column_axis(top, left, base)
    for n, w in enumerate(weeks):
        x = left + n * step + 2
        total_h = plot_h * w.inspections / top
        failed_h = plot_h * w.failed / top
        body.append(_rect(x, base - total_h, step - 4, total_h, BRAND))
        body.append(_rect(x, base - failed_h, step - 4, failed_h, BAD))
        if n % 3 == (len(weeks) - 1) % 3:
            body.append(_day_label(x + step / 2 - 2, base, w.week_start))
    body += _legend(left, [(BRAND, "检查次数", 0), (BAD, "其中不合格", 84)])
    return _svg(194, title, body)


def _column_axis(top: int, left: float, base: float) -> list[str]:
    """The scale's top value and the baseline a column chart stands on."""
    return [
        _text(left - 4, 24, str(top), anchor="end", size=10),
        f'<line x1="{left}" y1="{base}" x2="{WIDTH}" y2="{base}" stroke="{INK}"/>',
    ]


def _day_label(x: float, base: float, day: date) -> str:
    return _text(x, base + 14, f"{day.month}/{day.day}", anchor="middle", size=10)


def _legend(left: float, keys: list[tuple[str, str, float]]) -> list[str]:
    """Colour swatches with their names under a chart, each at its offset from the left."""
    parts = []
    for colour, name, offset in keys:
        parts.append(_rect(left + offset, 178, 10, 10, colour))
        parts.append(_text(left + offset + 14, 187, name, size=11))
    return parts
