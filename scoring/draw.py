"""The daily roster draw: which targets are visited and by which pair.

Anyone with the seed, the day, the policy and the two input lists can redo
the draw with the steps below; no library random generator is used.

Random numbers. `unit_random(seed, day, key)` is SHA-256 over the UTF-8
bytes of f"{seed}|{day.isoformat()}|{key}"; the first 8 bytes of the digest
are read as a big-endian unsigned 64-bit integer, its top 53 bits are kept
(shift right by 11), and the result is (v + 0.5) / 2**53, a double strictly
between 0 and 1. A target's number uses its id as the key; an inspector's
uses "inspector:" + id; a pair's uses "pair:" + first id + "+" + second id
(ids in sorted order). The systematic start `a` is the same construction over
f"{seed}|{day.isoformat()}" alone.

Inputs. Candidates are sorted by target id and inspectors by id (duplicates
are an error), so the order they are given in does not matter. Their
digests are SHA-256 over canonical JSON of the sorted list: one array of
objects, keys sorted, no spaces, non-ASCII characters written as UTF-8, dates
as YYYY-MM-DD, tuples as arrays, null for None. The bytes are those of
`msgspec.json.encode(items, order="sorted")`; they equal Python's
`json.dumps(items, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`
except for numbers that Python writes with an exponent (below 1e-4 or from
1e16 in magnitude), which msgspec writes as e.g. 0.00001 or 1e16. Weights and
coordinates never reach that range in practice.

Digests leave out the key "performance_grade" while its value is null: the
field came after version 1, and lists digested before it keep their digest.

Pairs. Inspectors are sorted by (district, team, inspector number, id) and
paired off in that order: 1st with 2nd, 3rd with 4th, and so on, so pairs
are random but stay within a district and team where numbers allow; an odd
inspector is left out. Pairs are then ordered by their pair number. Capacity
is pairs × `visits_per_pair_per_day` unless given. Only inspectors on duty
are passed in: the service leaves out those on leave or training that day,
so capacity follows who is actually at work.

Monthly workload (optional: inspector id -> visits so far this month, absent
meaning 0). With it, an odd inspector left out is the most loaded one (of
equals, the last in the sort order above), and pairs are ordered by (the two
members' visits added, pair number, first id), so when visits are fewer than
slots, or a pair cannot take a visit, the least loaded pairs are served
first. The result stores `workload_digest`, SHA-256 of the canonical JSON
object of the workload, and "workload-balanced-pairs" is appended to the
algorithm. With every load 0 the pairs are those drawn without a workload.

Heavy-pollution alert (optional: 'yellow', 'orange' or 'red'). Candidates
of a kind in the policy's `alert.kinds` (construction sites) or with a
`performance_grade` in `alert.grades` (C, D) have their weight multiplied by
the level's factor (2, 4, 8 by default) in step 5 only, so probabilities stay
exact and the must-do and uniform steps are untouched; among the drawn
(steps 4 and 5) visits, those candidates are assigned to pairs first, each
group keeping its order. The result stores the level in `alert`, and
" alert=LEVEL" is appended to the algorithm.

Selection, in this order, each step taking only targets not yet taken:

1. The reserved uniform share is set aside first: n_u = floor(uniform_share
   × capacity + 0.5) slots, whatever else is waiting, so that an unbiased
   estimate of overall compliance is possible every day.
2. Event visits: candidates whose `must_visit` is complaint, reinspection or
   watchlist, sorted by (reason in that order, tier from highest, due date
   from earliest with none counting as the draw day, target number, id), the
   first `capacity − n_u` of them. Probability 1. R is the capacity left.
3. Overdue visits: candidates whose `must_visit` is overdue, in the same sort
   order, at most R − n_u of them, so that a backlog of overdue targets can
   never starve the untargeted share that keeps every target's chance above
   zero. Probability 1. Must-visit targets left over stay in the pool below.
4. Uniform: the n_u candidates with the smallest target numbers (ties by id),
   each with probability n_u / N, N being the number of candidates left
   after step 3 (all of them, with probability 1, when N <= n_u).
5. Weighted (systematic PPS, Madow 1949) for the n remaining slots over the
   N' candidates left after step 4: π_k = n·w_k / Σw; every unit with π_k >= 1
   (up to a 1e-12 relative tolerance) is taken with π = 1 and the rest are
   recomputed with n reduced by the number taken, until none exceeds 1. The
   remaining units are sorted by (district, target number, id) for implicit
   stratification, their π cumulated (C_0 = 0, the last sum set exactly to the
   remaining n), and unit k is taken when ceil(C_k − a) > ceil(C_{k−1} − a),
   i.e. when one of the points a, a+1, ... falls in [C_{k−1}, C_k). Each
   stored probability is π_k, conditional on steps 1 to 4 having passed.

Assignment. Visits are given to pairs in selection order (steps 2, 3, 4, 5).
A pair may take a visit when it has slots left, no member declared a conflict
with the target's enterprise, it is not excluded by the candidate's
`avoid_inspectors` (policy `reinspection.avoid`: 'members' excludes any pair
containing one of them, 'pair' only that exact pair), and it is not the pair
of the target's last visit (`last_pair`). The first such pair in pair order
among those with a member in the target's district is chosen, else the first
such pair overall; a visit no pair may take is reported in `unassigned`.

Routes. Each pair's visits start at its first visit (in selection order) that
has coordinates and continue to the nearest unvisited one (ties by target
id), using the equirectangular distance with cos(mean latitude) from its
Taylor polynomial to x⁶, so only +, −, ×, ÷ are involved and every IEEE-754
machine rounds identically; visits without coordinates follow in selection
order. Positions number the visits 1, 2, ... pair by pair, in pair order.
"""

from __future__ import annotations

import hashlib
import math
import struct
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from itertools import accumulate, compress, filterfalse
from operator import attrgetter, ge, gt
from typing import NamedTuple, TypeVar

import msgspec

from scoring.policy import ALERT_LEVELS, TIER_CODES, Policy, tier_rank
from scoring.risk import Score, TargetFacts, Triage, last_visit

ALGORITHM = "xuncha-draw/1 sha256-unit must-do uniform-srs systematic-pps(district)"
MUST_VISIT_ORDER = ("complaint", "reinspection", "watchlist", "overdue")
REASONS = (*MUST_VISIT_ORDER, "random", "uniform")
_TWO_53 = 9007199254740992.0
_ENCODER = msgspec.json.Encoder(order="sorted")
_CAP_TOLERANCE = 1e-12
_NO_GRADE = b',"performance_grade":null'
_REASON_SET = frozenset((None, *MUST_VISIT_ORDER))


class Candidate(msgspec.Struct, frozen=True, gc=False):
    """A target that may be drawn, with its tier, weight and must-visit reason."""

    target_id: str
    enterprise_uscc: str | None
    district: str
    kind: str
    tier: str
    weight: float
    must_visit: str | None = None
    avoid_inspectors: tuple[str, ...] = ()
    latitude: float | None = None
    longitude: float | None = None
    # Orders must-visit targets: the earlier, the sooner.
    due_on: date | None = None
    # The two inspectors of the last visit; never sent together again.
    last_pair: tuple[str, ...] = ()
    # 绩效分级 of a plant (attribute performance_grade), for heavy-pollution alerts.
    # Added after draw version 1: left out of the canonical JSON when None.
    performance_grade: str | None = None


class InspectorOnDuty(msgspec.Struct, frozen=True, gc=False):
    """An inspector working on the day; conflicts are enterprise USCCs."""

    id: str
    team: str
    district: str
    conflicts: tuple[str, ...] = ()


_Item = TypeVar("_Item", "Candidate", "InspectorOnDuty")


class DrawnAssignment(msgspec.Struct, frozen=True, gc=False):
    """One visit of the roster and the probability it was drawn with."""

    position: int
    target_id: str
    inspectors: tuple[str, str]
    reason: str
    probability: float


class DrawResult(msgspec.Struct, frozen=True):
    """A drawn roster with what is needed to verify it."""

    algorithm: str
    capacity: int
    assignments: tuple[DrawnAssignment, ...]
    candidates_digest: str
    inspectors_digest: str
    # Must-visit targets beyond capacity (must-do order), then drawn targets no pair could take.
    unassigned: tuple[str, ...]
    day: date
    seed: str
    policy_version: str
    # The heavy-pollution alert level the draw was made under, if any.
    alert: str | None = None
    # SHA-256 of the canonical JSON of the monthly workload given, if any.
    workload_digest: str | None = None
    # Drawn targets no pair could take (the tail of `unassigned`), in selection order.
    unpaired: tuple[str, ...] = ()


class _Pick(NamedTuple):
    candidate: Candidate
    reason: str
    probability: float


class _Pair(NamedTuple):
    members: tuple[InspectorOnDuty, InspectorOnDuty]
    ids: frozenset[str]
    districts: frozenset[str]
    conflicts: frozenset[str]


def unit_random(seed: str, day: date, target_id: str) -> float:
    """The uniform number in (0, 1) of a key for a seed and day (see module doc)."""
    return _unit(f"{seed}|{day.isoformat()}|{target_id}")


def _unit(text: str) -> float:
    value = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big") >> 11
    return (value + 0.5) / _TWO_53


def _units(seed: str, day: date, keys: Iterable[str]) -> list[float]:
    """`unit_random` of many keys, in the order given; the shared prefix hashed once."""
    prefix = hashlib.sha256(f"{seed}|{day.isoformat()}|".encode())
    copy = prefix.copy
    keys = list(keys)
    heads = bytearray()
    for key in keys:
        h = copy()
        h.update(key.encode("utf-8"))
        heads += h.digest()[:8]
    # The first 8 bytes of every digest, read big-endian in one call rather than one by one.
    values = struct.unpack(f">{len(keys)}Q", heads)
    return [((v >> 11) + 0.5) / _TWO_53 for v in values]


def canonical_json(items: Iterable[Candidate | InspectorOnDuty]) -> bytes:
    """The canonical JSON array of the items, sorted by id (see module doc)."""
    return _encode(sorted(items, key=_key))  # type: ignore[arg-type]  # one kind per list


def _encode(items: list[Candidate] | list[InspectorOnDuty]) -> bytes:
    # Inside a JSON string a quote is escaped, so this can only match the key itself.
    return _ENCODER.encode(items).replace(_NO_GRADE, b"")


def _sorted_digest(items: list[Candidate] | list[InspectorOnDuty]) -> str:
    """`digest` of items already sorted by id."""
    return hashlib.sha256(_encode(items)).hexdigest()


def workload_digest(workload: Mapping[str, int]) -> str:
    """SHA-256 (hex) of the workload as canonical JSON: an object, keys sorted."""
    return hashlib.sha256(_ENCODER.encode(dict(workload))).hexdigest()


def digest(items: Iterable[Candidate | InspectorOnDuty]) -> str:
    """SHA-256 (hex) of the canonical JSON of the items; independent of their order."""
    return hashlib.sha256(canonical_json(items)).hexdigest()


def capacity_for(inspectors: Sequence[InspectorOnDuty], policy: Policy) -> int:
    """Visits the day's inspectors can make: pairs × visits per pair per day."""
    return (len(inspectors) // 2) * policy.roster.visits_per_pair_per_day


def candidate_from_score(
    score: Score | Triage,
    facts: TargetFacts,
    *,
    latitude: float | None = None,
    longitude: float | None = None,
) -> Candidate:
    """The draw's view of a scored (or triaged) target."""
    if type(score) is Triage:
        pair = score.last_pair
    else:
        last = last_visit(facts.inspections, score.as_of) if facts.inspections else None
        pair = last.inspectors if last is not None else ()
        if len(pair) != 2 or pair[0] >= pair[1]:
            # Two distinct ids already in order (as the service stores them) are kept.
            pair = tuple(sorted(set(pair)))
    grade = facts.attributes.get("performance_grade") if facts.attributes else None
    # Positional, in field order: it runs once per target.
    return Candidate(
        score.target_id,
        facts.enterprise_uscc,
        facts.district,
        facts.kind,
        score.tier,
        score.weight,
        score.must_visit,
        score.avoid_inspectors,
        latitude,
        longitude,
        score.due_on,
        pair if len(pair) == 2 else (),
        grade if isinstance(grade, str) and grade else None,
    )


def inclusion_probabilities(weights: Sequence[float], n: int) -> list[float]:
    """πps inclusion probabilities for a fixed sample size n, capped at 1 iteratively."""
    size = len(weights)
    if n <= 0:
        return [0.0] * size
    if n >= size:
        return [1.0] * size

    probabilities = [0.0] * size
    active, left = list(range(size)), n
    values = list(weights)
    while left > 0:
        total = math.fsum(values)
        bar = total * (1 - _CAP_TOLERANCE)
        # left × w grows with w, so the largest weight tells whether any unit is certain.
        if left * max(values) < bar:
            # left × w / total for every w, in C (an int times a float is its float times it).
            shares = list(map(total.__rtruediv__, map(float(left).__mul__, values)))
            if len(active) == size:
                return shares
            for i, share in zip(active, shares, strict=True):
                probabilities[i] = share
            break
        certain = {i for i in active if left * weights[i] >= bar}
        for i in certain:
            probabilities[i] = 1.0
        active = [i for i in active if i not in certain]
        values = [weights[i] for i in active]
        left -= len(certain)
    return probabilities


def draw(
    day: date,
    seed: str,
    candidates: Sequence[Candidate],
    inspectors: Sequence[InspectorOnDuty],
    policy: Policy,
    *,
    capacity: int | None = None,
    alert: str | None = None,
    workload: Mapping[str, int] | None = None,
) -> DrawResult:
    """Draw the day's roster; the same inputs give the same roster, byte for byte.

    `alert` is the heavy-pollution alert level of the day and `workload` each
    inspector's visits so far this month (see the module doc); both are inputs
    that a verifier must be given again.
    """
    pool = _checked_candidates(candidates)
    staff = _sorted_unique(inspectors, "检查人员")
    if capacity is None:
        capacity = capacity_for(staff, policy)
    if capacity < 0:
        raise ValueError(f"抽查容量应为不小于 0 的整数，实际为 {capacity}")
    boosted = _alert_targets(alert, policy)
    _check_workload(workload)

    numbers = _units(seed, day, (c.target_id for c in pool))
    picks, backlog = _select(pool, numbers, capacity, seed, day, policy, boosted)
    pairs = form_pairs(staff, seed, day, workload=workload)
    by_pair, unpaired = _assign(picks, pairs, policy)

    algorithm = ALGORITHM
    if alert is not None:
        algorithm += f" alert={alert}"
    if workload is not None:
        algorithm += " workload-balanced-pairs"
    return DrawResult(
        algorithm=algorithm,
        capacity=capacity,
        assignments=_positions(pairs, by_pair),
        candidates_digest=_sorted_digest(pool),
        inspectors_digest=_sorted_digest(staff),
        unassigned=(*backlog, *unpaired),
        day=day,
        seed=seed,
        policy_version=policy.version,
        alert=alert,
        workload_digest=None if workload is None else workload_digest(workload),
        unpaired=tuple(unpaired),
    )


class _Boost(NamedTuple):
    """An alert's weight factor and the kinds and grades it applies to."""

    factor: float
    kinds: frozenset[str]
    grades: frozenset[str]

    def applies(self, c: Candidate) -> bool:
        return c.kind in self.kinds or c.performance_grade in self.grades


def _alert_targets(alert: str | None, policy: Policy) -> _Boost | None:
    if alert is None:
        return None
    if alert not in ALERT_LEVELS:
        raise ValueError(f"重污染天气预警级别应为 {'/'.join(ALERT_LEVELS)} 之一，实际为 {alert!r}")
    rules = policy.alert
    return _Boost(rules.factors.get(alert, 1.0), frozenset(rules.kinds), frozenset(rules.grades))


def _check_workload(workload: Mapping[str, int] | None) -> None:
    for inspector, visits in (workload or {}).items():
        if isinstance(visits, bool) or not isinstance(visits, int) or visits < 0:
            raise ValueError(f"检查人员 {inspector} 的本月任务数应为不小于 0 的整数，"
                             f"实际为 {visits!r}")


def _checked_candidates(candidates: Sequence[Candidate]) -> list[Candidate]:
    pool = _sorted_unique(candidates, "检查对象")
    weights = list(map(_WEIGHT, pool))
    # A NaN or an infinite weight makes the plain sum NaN or infinite; so does a huge
    # total of finite weights, which the exact check below then lets through.
    if weights and not (min(weights) > 0 and math.isfinite(sum(weights))):
        for c in pool:
            if not (math.isfinite(c.weight) and c.weight > 0):
                raise ValueError(f"检查对象 {c.target_id} 的抽查权重应为正数，实际为 {c.weight!r}")
    if not _REASON_SET.issuperset(map(_MUST_VISIT, pool)):
        _bad_reason(pool)
    for tier in set(map(_TIER, pool)):
        tier_rank(tier)
    return pool


def _bad_reason(pool: list[Candidate]) -> None:
    for c in pool:
        if c.must_visit is not None and c.must_visit not in MUST_VISIT_ORDER:
            raise ValueError(f"检查对象 {c.target_id} 的必查原因应为 "
                             f"{'/'.join(MUST_VISIT_ORDER)} 之一，实际为 {c.must_visit!r}")


def _sorted_unique(items: Sequence[_Item], noun: str) -> list[_Item]:
    ordered = list(items)
    keys = list(map(_key_of(ordered), ordered))
    if any(map(ge, keys, keys[1:])):
        order = sorted(range(len(keys)), key=keys.__getitem__)
        ordered, keys = [ordered[i] for i in order], [keys[i] for i in order]
        for a, b in zip(keys, keys[1:], strict=False):
            if a == b:
                raise ValueError(f"{noun}编号重复：{a}")
    if keys and not keys[0]:
        raise ValueError(f"{noun}编号不能为空")
    return ordered


def _key_of(items: list[_Item]) -> Callable[[_Item], str]:
    """The id of every item, read in C: lists hold one kind (a mixed one fails loudly)."""
    return _TARGET_ID if items and isinstance(items[0], Candidate) else _ID


_TARGET_ID = attrgetter("target_id")
_DISTRICT = attrgetter("district")
_WEIGHT = attrgetter("weight")
_MUST_VISIT = attrgetter("must_visit")
_TIER = attrgetter("tier")
_ID = attrgetter("id")


def _key(item: Candidate | InspectorOnDuty) -> str:
    return item.target_id if isinstance(item, Candidate) else item.id


def _select(
    pool: list[Candidate],
    numbers: list[float],
    capacity: int,
    seed: str,
    day: date,
    policy: Policy,
    boost: _Boost | None = None,
) -> tuple[list[_Pick], list[str]]:
    """Steps 1 to 5 of the module doc; also the must-visit ids left over.

    Candidates are handled by their index in `pool`, which is in id order, so an
    index breaks ties exactly as the target id does; `numbers` is aligned with it.
    """
    # Index lists built by C-level iteration (compress, filterfalse): they span the pool.
    must = list(compress(range(len(pool)), map(_MUST_VISIT, pool)))
    chosen = [pool[k] for k in must]
    # One integer per (reason, tier from highest, due date), looked up per value rather
    # than searched for per candidate; ordinals stay below 10**7.
    reasons = {reason: i for i, reason in enumerate(MUST_VISIT_ORDER)}
    ranks = {tier: len(TIER_CODES) - tier_rank(tier) for tier in {c.tier for c in chosen}}
    urgency = [(reasons[c.must_visit or ""] * 16 + ranks[c.tier]) * 10_000_000
               + (c.due_on or day).toordinal() for c in chosen]
    # Two stable sorts, the minor key first, on positions already in id order, give
    # the order of (reason, tier, due date, target number, id) with C-level keys.
    order = sorted(range(len(must)), key=[numbers[k] for k in must].__getitem__)
    order.sort(key=urgency.__getitem__)
    must = [must[j] for j in order]
    # Reasons come first in the order and 'overdue' is the last of them.
    n_events = sum(1 for c in chosen if c.must_visit != "overdue")
    n_uniform = math.floor(policy.roster.uniform_share * capacity + 0.5)
    events = must[: min(n_events, capacity - n_uniform)]
    left = capacity - len(events)
    overdue = must[n_events:][: max(left - n_uniform, 0)]
    picks = [_Pick(pool[k], pool[k].must_visit or "", 1.0) for k in (*events, *overdue)]
    left -= len(overdue)

    taken = {*events, *overdue}
    rest = list(filterfalse(taken.__contains__, range(len(pool))))
    uniform = _uniform(rest, numbers, min(n_uniform, left))
    picks += [_Pick(pool[k], "uniform", probability) for k, probability in uniform]
    left -= len(uniform)

    taken.update(k for k, _ in uniform)
    rest = list(filterfalse(taken.__contains__, rest))
    start = _unit(f"{seed}|{day.isoformat()}")
    drawn = _systematic_pps(pool, rest, numbers, min(left, len(rest)), start, boost)
    picks += [_Pick(pool[k], "random", probability) for k, probability in drawn]

    taken.update(k for k, _ in drawn)
    backlog = [pool[k].target_id for k in must if k not in taken]
    if boost is not None:
        # Alert targets among the drawn (not must-do) visits get their pairs first.
        done = len(events) + len(overdue)
        drawn_picks = picks[done:]
        first = [p for p in drawn_picks if boost.applies(p.candidate)]
        picks = [*picks[:done], *first,
                 *(p for p in drawn_picks if not boost.applies(p.candidate))]
    return picks, backlog


def _uniform(rest: list[int], numbers: list[float], n: int) -> list[tuple[int, float]]:
    """The n indexes of `rest` with the smallest numbers, each with its probability."""
    if n <= 0 or not rest:
        return []
    probability = 1.0 if n >= len(rest) else n / len(rest)
    # `rest` is in id order and the sort is stable, so ties of number go by id.
    return [(k, probability) for k in sorted(rest, key=numbers.__getitem__)[:n]]


def _systematic_pps(
    pool: list[Candidate],
    rest: list[int],
    numbers: list[float],
    n: int,
    start: float,
    boost: _Boost | None = None,
) -> list[tuple[int, float]]:
    """Step 5 over the indexes `rest`: the indexes drawn, each with its probability.

    It runs over nearly the whole register, so per-unit work is done by C-level
    passes (map, compress, accumulate) over parallel lists of indexes and numbers.
    """
    if n <= 0:
        return []
    weights = list(map(_WEIGHT, map(pool.__getitem__, rest)))
    if boost is not None:
        weights = [w * boost.factor if boost.applies(pool[k]) else w
                   for k, w in zip(rest, weights, strict=True)]
    probabilities = inclusion_probabilities(weights, n)
    indexes = rest
    drawn: list[tuple[int, float]] = []
    if not (max(probabilities) < 1.0 and min(probabilities) > 0.0):
        drawn = [(k, 1.0) for k, p in zip(rest, probabilities, strict=True) if p >= 1.0]
        kept = [0.0 < p < 1.0 for p in probabilities]
        indexes = list(compress(rest, kept))
        probabilities = list(compress(probabilities, kept))
    if not indexes:
        return drawn

    order = _stratified(indexes, pool, numbers)
    indexes = list(map(indexes.__getitem__, order))
    probabilities = list(map(probabilities.__getitem__, order))
    # C_k with the same additions, left to right, as a loop would make.
    cumulated = list(accumulate(probabilities))
    # The exact total keeps float drift from changing the sample size.
    cumulated[-1] = float(n - len(drawn))
    # Unit k is taken when ceil(C_k - a) > ceil(C_{k-1} - a), with C_{-1} = 0.
    marks = list(map(math.ceil, map(start.__rsub__, cumulated)))
    taken = compress(range(len(marks)), map(gt, marks, [0, *marks]))
    drawn += [(indexes[j], probabilities[j]) for j in taken]
    return drawn


def _stratified(indexes: list[int], pool: list[Candidate], numbers: list[float]) -> list[int]:
    """Positions in `indexes` ordered by (district, target number, id).

    The indexes are in id order, so two stable sorts, by number then by district,
    give that order without building a key tuple per candidate.
    """
    keys = list(map(numbers.__getitem__, indexes))
    districts = list(map(_DISTRICT, map(pool.__getitem__, indexes)))
    # Districts as their rank in sorted order: the second sort then compares integers.
    ranks = {district: i for i, district in enumerate(sorted(set(districts)))}
    order = sorted(range(len(indexes)), key=keys.__getitem__)
    order.sort(key=list(map(ranks.__getitem__, districts)).__getitem__)
    return order


def form_pairs(
    inspectors: Sequence[InspectorOnDuty],
    seed: str,
    day: date,
    *,
    workload: Mapping[str, int] | None = None,
) -> list[tuple[InspectorOnDuty, InspectorOnDuty]]:
    """The day's random pairs, within a district and team where numbers allow.

    With a monthly `workload`, an odd inspector left out is the most loaded one,
    and pairs are ordered least loaded first (see the module doc).
    """
    staff = sorted(inspectors, key=lambda i: (
        i.district, i.team, unit_random(seed, day, f"inspector:{i.id}"), i.id))
    load = workload or {}
    if workload is not None and len(staff) % 2:
        # max() keeps the first of equals, so scan from the end: the last in draw order.
        out = max(reversed(range(len(staff))), key=lambda k: load.get(staff[k].id, 0))
        staff = staff[:out] + staff[out + 1:]
    pairs = []
    for a, b in zip(staff[0::2], staff[1::2], strict=False):
        first, second = sorted((a, b), key=lambda i: i.id)
        pairs.append((first, second))
    return sorted(pairs, key=lambda p: (
        load.get(p[0].id, 0) + load.get(p[1].id, 0),
        unit_random(seed, day, f"pair:{p[0].id}+{p[1].id}"), p[0].id))


def _assign(
    picks: list[_Pick],
    pairs: list[tuple[InspectorOnDuty, InspectorOnDuty]],
    policy: Policy,
) -> tuple[dict[int, list[_Pick]], list[str]]:
    """Give each visit to the first eligible pair, preferring the target's district."""
    info = [_pair_info(p) for p in pairs]
    slots = [policy.roster.visits_per_pair_per_day] * len(pairs)
    everywhere = list(range(len(pairs)))
    local: dict[str, list[int]] = {}
    for number, pair in enumerate(info):
        for district in sorted(pair.districts):
            local.setdefault(district, []).append(number)

    by_pair: dict[int, list[_Pick]] = {}
    unpaired: list[str] = []
    for pick in picks:
        c = pick.candidate
        options = (*local.get(c.district, ()), *everywhere)
        index = next((i for i in options if _may_visit(info[i], c, policy)), None)
        if index is None:
            unpaired.append(c.target_id)
            continue
        by_pair.setdefault(index, []).append(pick)
        slots[index] -= 1
        if slots[index] == 0:
            everywhere.remove(index)
            for district in info[index].districts:
                local[district].remove(index)
    return by_pair, unpaired


def _pair_info(pair: tuple[InspectorOnDuty, InspectorOnDuty]) -> _Pair:
    return _Pair(
        members=pair,
        ids=frozenset(i.id for i in pair),
        districts=frozenset(i.district for i in pair),
        conflicts=frozenset(pair[0].conflicts) | frozenset(pair[1].conflicts),
    )


def _may_visit(pair: _Pair, c: Candidate, policy: Policy) -> bool:
    if c.enterprise_uscc is not None and c.enterprise_uscc in pair.conflicts:
        return False
    if c.avoid_inspectors:
        avoid = frozenset(c.avoid_inspectors)
        if policy.reinspection.avoid == "members" and pair.ids & avoid:
            return False
        if pair.ids == avoid:
            return False
    return not (len(c.last_pair) == 2 and pair.ids == frozenset(c.last_pair))


def _positions(
    pairs: list[tuple[InspectorOnDuty, InspectorOnDuty]],
    by_pair: dict[int, list[_Pick]],
) -> tuple[DrawnAssignment, ...]:
    assignments: list[DrawnAssignment] = []
    for index in sorted(by_pair):
        ids = (pairs[index][0].id, pairs[index][1].id)
        for pick in _route(by_pair[index]):
            assignments.append(DrawnAssignment(
                position=len(assignments) + 1,
                target_id=pick.candidate.target_id,
                inspectors=ids,
                reason=pick.reason,
                probability=pick.probability,
            ))
    return tuple(assignments)


def _route(visits: list[_Pick]) -> list[_Pick]:
    """Nearest-neighbour order over the visits that have coordinates."""
    points = {v.candidate.target_id: _point(v.candidate) for v in visits}
    placed = [v for v in visits if points[v.candidate.target_id] is not None]
    unplaced = [v for v in visits if points[v.candidate.target_id] is None]
    if not placed:
        return unplaced

    route, left = [placed[0]], placed[1:]
    while left:
        here = points[route[-1].candidate.target_id]
        left.sort(key=lambda v: (_distance(here, points[v.candidate.target_id]),
                                 v.candidate.target_id))
        route.append(left.pop(0))
    return route + unplaced


def _point(c: Candidate) -> tuple[float, float] | None:
    if c.latitude is None or c.longitude is None:
        return None
    return c.latitude, c.longitude


def _distance(a: tuple[float, float] | None, b: tuple[float, float] | None) -> float:
    """Squared equirectangular distance in radians², from basic arithmetic only."""
    if a is None or b is None:
        return math.inf
    to_rad = math.pi / 180
    mean = (a[0] + b[0]) / 2 * to_rad
    x2 = mean * mean
    cos = 1 - x2 / 2 + x2 * x2 / 24 - x2 * x2 * x2 / 720
    dx = (b[1] - a[1]) * to_rad * cos
    dy = (b[0] - a[0]) * to_rad
    return dx * dx + dy * dy

