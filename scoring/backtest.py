"""Backtests: would Xuncha's order have found failing inspections sooner?

The method is the City of Chicago's 2014 evaluation (shared/data/README.md):
take the inspections really made in a window, keep their real calendar days
as slots, put the inspected targets in some order and move each target's
inspection, with its real outcome, to the slot its position gives it. The
assumption, as in the City's evaluation, is that a problem found on day t
would have been found on any earlier day too.

Definitions, all pure (no I/O):

- Visits. One per target: when a target was inspected more than once in the
  window, the first visit (by day, then inspection id) is kept and the later
  ones are dropped, because a scheduler orders targets, not repeat visits, and
  a later visit in the window is usually the follow-up of the first.
- Slots. The kept visits' real days, sorted; the i-th target of an ordering
  takes the i-th slot.
- Orderings. ``as_happened``: by real day, then inspection id (so its days
  earlier is 0 by construction). ``xuncha``: by the Score as of the day before
  the window, highest tier first, then most behaviour points, then a
  SHA-256 number of (seed, day, target id) (scoring.draw.unit_random), so ties
  are broken reproducibly and without favouring any id. ``random``: a seeded
  shuffle for run 0, 1, ... N-1 (see ``random_order``).
- Days earlier. For a failing visit, its real day minus its slot's day
  (positive: found earlier). The mean is over failing visits.
- First half. Days from the window's start up to ``first_half_end``: the first
  (length // 2) days, so 2014-09-02..2014-10-31 (60 days) splits after
  2014-10-01, the City's "first month". ``first_half_share`` is the share of
  failing visits whose slot lies in the first half.
- Random. Mean over the runs of each run's figures, and their sample standard
  deviation (the spread between seeds). ``random_expectation`` gives the exact
  expected values over all permutations, which the runs' mean approaches.

Fairness: ``design_probabilities`` gives each candidate's first-order
inclusion probability in the day's draw (scoring/draw.py steps 1 to 5), and
``fairness_rows`` summarises inspection rate, mean tier and mean inclusion
probability by group.
"""

from __future__ import annotations

import hashlib
import math
import random
import statistics
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta

import msgspec

from scoring.draw import MUST_VISIT_ORDER, Candidate, unit_random
from scoring.policy import Policy, tier_rank
from scoring.risk import Score

ORDERINGS = ("xuncha", "random", "as_happened")


class Visit(msgspec.Struct, frozen=True):
    """One real inspection in the window and whether it found a failing problem."""

    target_id: str
    inspection_id: str
    day: date
    failing: bool


class OrderingResult(msgspec.Struct, frozen=True):
    """An ordering's figures; the *_sd fields are the spread over random runs."""

    ordering: str
    days_earlier_mean: float
    first_half_share: float
    days_earlier_sd: float | None
    first_half_share_sd: float | None
    runs: int
    inspections: int
    failures: int
    slots: int


class Backtest(msgspec.Struct, frozen=True):
    """A backtest's window, what was kept, and one result per ordering."""

    start: date
    end: date
    first_half_end: date
    visits: int
    dropped: int
    results: tuple[OrderingResult, ...]

    def result(self, ordering: str) -> OrderingResult:
        return next(r for r in self.results if r.ordering == ordering)


class GroupRow(msgspec.Struct, frozen=True):
    """Fairness figures for one district or target kind."""

    by: str
    group: str
    targets: int
    inspections: int
    inspection_rate: float
    mean_tier: float
    mean_inclusion: float
    drawn: int


def first_half_end(start: date, end: date) -> date:
    """The last day of the window's first half: its first (length // 2) days."""
    if end < start:
        raise ValueError(f"回测区间结束日期 {end} 早于开始日期 {start}")
    length = (end - start).days + 1
    return start + timedelta(days=max(length // 2, 1) - 1)


def one_per_target(visits: Iterable[Visit]) -> tuple[list[Visit], int]:
    """The first visit of each target (by day, then id), and how many were dropped."""
    ordered = sorted(visits, key=lambda v: (v.day, v.inspection_id))
    kept: dict[str, Visit] = {}
    for visit in ordered:
        kept.setdefault(visit.target_id, visit)
    return list(kept.values()), len(ordered) - len(kept)


def evaluate(visits: Sequence[Visit], order: Sequence[str], start: date,
             end: date) -> tuple[float, float]:
    """(days earlier mean, first half share) of failing visits moved to the order's slots.

    ``visits`` has one visit per target; ``order`` lists each target once.
    With no failing visit both figures are 0.
    """
    by_target = {v.target_id: v for v in visits}
    if sorted(order) != sorted(by_target):
        raise ValueError("排序应恰好包含每个检查对象一次")
    slots = sorted(v.day for v in visits)
    half = first_half_end(start, end)
    earlier, early = [], 0
    for slot, target in zip(slots, order, strict=True):
        visit = by_target[target]
        if visit.failing:
            earlier.append((visit.day - slot).days)
            early += slot <= half
    if not earlier:
        return 0.0, 0.0
    return math.fsum(earlier) / len(earlier), early / len(earlier)


def as_happened_order(visits: Sequence[Visit]) -> list[str]:
    return [v.target_id for v in sorted(visits, key=lambda v: (v.day, v.inspection_id))]


def xuncha_order(visits: Sequence[Visit], scores: Mapping[str, Score], seed: str,
                 as_of: date) -> list[str]:
    """Highest tier, then most points, then the seeded number; unscored targets last."""
    def key(target: str) -> tuple[int, float, float, str]:
        score = scores.get(target)
        rank = tier_rank(score.tier) if score is not None else -1
        points = score.points if score is not None else 0.0
        return (-rank, -points, unit_random(seed, as_of, target), target)

    return sorted((v.target_id for v in visits), key=key)


def random_order(visits: Sequence[Visit], seed: str, run: int, start: date) -> list[str]:
    """A uniformly random permutation of the targets (sorted by id) for one run.

    Python's Mersenne Twister shuffle, seeded with the first 8 bytes of
    SHA-256(f"{seed}#{run}|{start}"): a baseline needs no per-target audit trail
    like the draw does, and this is fifty times faster than a hash per target.
    """
    digest = hashlib.sha256(f"{seed}#{run}|{start.isoformat()}".encode()).digest()
    order = sorted(v.target_id for v in visits)
    random.Random(int.from_bytes(digest[:8], "big")).shuffle(order)
    return order


def random_expectation(visits: Sequence[Visit], start: date, end: date) -> tuple[float, float]:
    """Exact expected (days earlier, first half share) over all permutations.

    Under a uniform permutation every failing visit is equally likely to take
    any slot: its expected slot day is the mean slot day, and its chance of a
    first-half slot is the share of slots in the first half.
    """
    failing = [v for v in visits if v.failing]
    if not failing:
        return 0.0, 0.0
    half = first_half_end(start, end)
    origin = min(v.day for v in visits)
    mean_slot = math.fsum((v.day - origin).days for v in visits) / len(visits)
    mean_real = math.fsum((v.day - origin).days for v in failing) / len(failing)
    share = sum(v.day <= half for v in visits) / len(visits)
    return mean_real - mean_slot, share


def run_backtest(visits: Iterable[Visit], scores: Mapping[str, Score], start: date, end: date,
                 *, runs: int = 200, seed: str = "xuncha-backtest") -> Backtest:
    """Every ordering's figures for the window's visits; scores are as of start - 1 day."""
    if runs < 1:
        raise ValueError(f"随机排序次数应不少于 1，实际为 {runs}")
    outside = [v for v in visits if not start <= v.day <= end]
    if outside:
        raise ValueError(f"检查记录 {outside[0].inspection_id} 的日期 {outside[0].day} "
                         f"不在回测区间 {start}..{end} 内")
    kept, dropped = one_per_target(visits)
    failures = sum(v.failing for v in kept)

    def result(name: str, figures: list[tuple[float, float]]) -> OrderingResult:
        days = [f[0] for f in figures]
        shares = [f[1] for f in figures]
        spread = len(figures) > 1
        return OrderingResult(
            ordering=name, days_earlier_mean=math.fsum(days) / len(days),
            first_half_share=math.fsum(shares) / len(shares),
            days_earlier_sd=statistics.stdev(days) if spread else None,
            first_half_share_sd=statistics.stdev(shares) if spread else None,
            runs=len(figures), inspections=len(kept), failures=failures, slots=len(kept))

    as_of = start - timedelta(days=1)
    results = (
        result("xuncha", [evaluate(kept, xuncha_order(kept, scores, seed, as_of), start, end)]),
        result("random", [evaluate(kept, random_order(kept, seed, run, start), start, end)
                          for run in range(runs)]),
        result("as_happened", [evaluate(kept, as_happened_order(kept), start, end)]),
    )
    return Backtest(start, end, first_half_end(start, end), len(kept), dropped, results)


# ---- fairness ---------------------------------------------------------------


def design_probabilities(candidates: Sequence[Candidate], capacity: int, policy: Policy,
                         seed: str, day: date) -> dict[str, float]:
    """Each candidate's first-order inclusion probability in the day's draw.

    Must-visit targets taken in steps 1 and 3 of scoring/draw.py have 1. For
    the others, u = n_u / N is the uniform step's probability (exact) and the
    weighted step's is approximated by πps over all N candidates with the
    slots scaled by 1 / (1 - u), so that u + (1 - u)·p sums to the capacity
    (exactly, when no cap at 1 applies).
    """
    numbers = {c.target_id: unit_random(seed, day, c.target_id) for c in candidates}

    def must_key(c: Candidate) -> tuple[int, int, int, float, str]:
        due = (c.due_on or day).toordinal()
        return (MUST_VISIT_ORDER.index(c.must_visit or ""), -tier_rank(c.tier), due,
                numbers[c.target_id], c.target_id)

    must = sorted((c for c in candidates if c.must_visit), key=must_key)
    events = [c for c in must if c.must_visit != "overdue"][:capacity]
    left = capacity - len(events)
    n_uniform = math.floor(policy.roster.uniform_share * left + 0.5)
    overdue = [c for c in must if c.must_visit == "overdue"][: max(left - n_uniform, 0)]
    left -= len(overdue)
    probabilities = {c.target_id: 1.0 for c in (*events, *overdue)}

    rest = [c for c in candidates if c.target_id not in probabilities]
    n_uniform = min(n_uniform, left)
    if not rest:
        return probabilities
    u = 1.0 if n_uniform >= len(rest) else n_uniform / len(rest)
    slots = min(left - n_uniform, len(rest) - n_uniform)
    shares = _capped_shares([c.weight for c in rest], slots / (1 - u) if u < 1 else 0.0)
    for c, p in zip(rest, shares, strict=True):
        probabilities[c.target_id] = u + (1 - u) * p
    return probabilities


def _capped_shares(weights: Sequence[float], n: float) -> list[float]:
    """n·w/Σw, capping at 1 and sharing the rest again, for a possibly fractional n."""
    shares = [0.0] * len(weights)
    active, left = list(range(len(weights))), n
    while left > 0 and active:
        total = math.fsum(weights[i] for i in active)
        certain = [i for i in active if left * weights[i] >= total]
        if not certain:
            for i in active:
                shares[i] = left * weights[i] / total
            break
        for i in certain:
            shares[i] = 1.0
        taken = set(certain)
        active = [i for i in active if i not in taken]
        left -= len(certain)
    return shares


class TargetView(msgspec.Struct, frozen=True):
    """What fairness needs of one target: its groups, tier and window figures."""

    target_id: str
    district: str
    kind: str
    tier: str
    inspections: int
    probability: float
    drawn: bool


def fairness_rows(targets: Iterable[TargetView]) -> list[GroupRow]:
    """Inspection rate, mean tier rank (W=0 ... X=5) and mean inclusion by district and kind."""
    views = list(targets)
    rows = []
    for by in ("district", "kind"):
        groups: dict[str, list[TargetView]] = {}
        for view in views:
            groups.setdefault(getattr(view, by), []).append(view)
        for name in sorted(groups):
            members = groups[name]
            n = len(members)
            visits = sum(v.inspections for v in members)
            rows.append(GroupRow(
                by=by, group=name, targets=n, inspections=visits, inspection_rate=visits / n,
                mean_tier=math.fsum(tier_rank(v.tier) for v in members) / n,
                mean_inclusion=math.fsum(v.probability for v in members) / n,
                drawn=sum(v.drawn for v in members)))
    return rows
