"""Backtest arithmetic on small hand-made histories with exact expected numbers."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest

from scoring.backtest import (
    TargetView,
    Visit,
    design_probabilities,
    evaluate,
    fairness_rows,
    first_half_end,
    one_per_target,
    random_expectation,
    run_backtest,
    xuncha_order,
)
from scoring.draw import Candidate, InspectorOnDuty, capacity_for, draw
from scoring.policy import load_policy
from scoring.risk import TargetFacts, ViolationRecord, score_all

START, END = date(2024, 3, 1), date(2024, 3, 10)


def _visit(target: str, day: int, failing: bool, ident: str | None = None) -> Visit:
    return Visit(target, ident or f"I-{target}-{day}", date(2024, 3, day), failing)


# Four visits on days 1, 2, 9, 10; the two late ones fail.
VISITS = [_visit("A", 1, False), _visit("B", 2, False), _visit("C", 9, True),
          _visit("D", 10, True)]


def test_first_half_is_the_first_length_div_2_days() -> None:
    assert first_half_end(START, END) == date(2024, 3, 5)           # 10 days: 1..5
    assert first_half_end(START, date(2024, 3, 11)) == date(2024, 3, 5)  # 11 days: 1..5
    assert first_half_end(date(2014, 9, 2), date(2014, 10, 31)) == date(2014, 10, 1)
    assert first_half_end(START, START) == START
    with pytest.raises(ValueError, match="早于"):
        first_half_end(END, START)


def test_as_happened_gains_nothing() -> None:
    assert evaluate(VISITS, ["A", "B", "C", "D"], START, END) == (0.0, 0.0)


def test_failing_first_moves_them_to_the_early_slots() -> None:
    # C takes day 1 (8 days earlier), D day 2 (8 days earlier); both in the first half.
    assert evaluate(VISITS, ["C", "D", "A", "B"], START, END) == (8.0, 1.0)
    # D on day 1 (9 earlier), C on day 10 (1 later): mean 4, half of them early.
    assert evaluate(VISITS, ["D", "A", "B", "C"], START, END) == (4.0, 0.5)


def test_slot_on_the_last_first_half_day_counts_as_early() -> None:
    visits = [_visit("A", 5, False), _visit("B", 6, True)]
    assert evaluate(visits, ["B", "A"], START, END) == (1.0, 1.0)
    assert evaluate(visits, ["A", "B"], START, END) == (0.0, 0.0)


def test_no_failing_visit_gives_zeros() -> None:
    visits = [_visit("A", 1, False), _visit("B", 3, False)]
    assert evaluate(visits, ["B", "A"], START, END) == (0.0, 0.0)
    assert random_expectation(visits, START, END) == (0.0, 0.0)


def test_an_order_must_name_every_target_once() -> None:
    with pytest.raises(ValueError, match="恰好"):
        evaluate(VISITS, ["A", "A", "C", "D"], START, END)


def test_repeat_visits_keep_the_first() -> None:
    visits = [_visit("A", 4, True, "I-2"), _visit("A", 2, False, "I-9"), _visit("B", 3, False),
              _visit("A", 2, False, "I-1")]
    kept, dropped = one_per_target(visits)
    assert [(v.target_id, v.inspection_id) for v in kept] == [("A", "I-1"), ("B", "I-B-3")]
    assert dropped == 2


def test_random_expectation_is_exact() -> None:
    # Slots 1, 2, 9, 10: mean slot 5.5; failing real days 9 and 10: mean 9.5 -> 4 days
    # earlier; 2 of 4 slots in the first half -> 0.5.
    assert random_expectation(VISITS, START, END) == (4.0, 0.5)


def test_random_runs_average_to_the_expectation() -> None:
    result = run_backtest(VISITS, {}, START, END, runs=2000, seed="s").result("random")
    assert result.runs == 2000
    assert result.days_earlier_mean == pytest.approx(4.0, abs=0.15)
    assert result.first_half_share == pytest.approx(0.5, abs=0.02)
    # Of the 24 permutations the two failing visits' mean days earlier takes values
    # whose standard deviation is exactly sqrt(65/12) ≈ 2.327 (values 8, 4.5, 4, 4, 3.5, 0).
    assert result.days_earlier_sd == pytest.approx(math.sqrt(65 / 12), rel=0.05)


def test_exhaustive_permutations_give_the_expectation() -> None:
    from itertools import permutations

    figures = [evaluate(VISITS, list(p), START, END) for p in permutations("ABCD")]
    assert math.fsum(f[0] for f in figures) / 24 == 4.0
    assert math.fsum(f[1] for f in figures) / 24 == 0.5


def _facts(target: str, critical_days_ago: list[int], as_of: date) -> TargetFacts:
    violations = tuple(ViolationRecord(f"V-{target}-{n}", as_of - timedelta(days=d), "critical")
                       for n, d in enumerate(critical_days_ago))
    return TargetFacts(target, "restaurant", None, "东城区", "medium", violations=violations)


def test_xuncha_orders_by_tier_then_points_and_breaks_ties_by_seed() -> None:
    as_of = START - timedelta(days=1)
    policy = load_policy()
    facts = [_facts("A", [], as_of), _facts("B", [], as_of), _facts("C", [10], as_of),
             _facts("D", [10, 20, 30], as_of)]
    scores = {s.target_id: s for s in score_all(facts, policy, as_of)}
    assert [scores[t].tier for t in "ABCD"] == ["L", "L", "H", "X"]
    order = xuncha_order(VISITS, scores, "seed", as_of)
    assert order[:2] == ["D", "C"]
    assert sorted(order[2:]) == ["A", "B"]
    assert order == xuncha_order(list(reversed(VISITS)), scores, "seed", as_of)

    backtest = run_backtest(VISITS, scores, START, END, runs=5, seed="seed")
    # D to day 1 (9 earlier), C to day 2 (7 earlier): mean 8, both early.
    assert backtest.result("xuncha").days_earlier_mean == 8.0
    assert backtest.result("xuncha").first_half_share == 1.0
    assert backtest.result("xuncha").days_earlier_sd is None
    assert backtest.result("as_happened").days_earlier_mean == 0.0
    assert (backtest.visits, backtest.dropped, backtest.result("random").failures) == (4, 0, 2)


def test_unscored_targets_go_last() -> None:
    as_of = START - timedelta(days=1)
    scores = {s.target_id: s for s in score_all([_facts("A", [], as_of)], load_policy(), as_of)}
    assert xuncha_order(VISITS, scores, "seed", as_of)[0] == "A"


def test_window_and_runs_are_checked() -> None:
    with pytest.raises(ValueError, match="不在回测区间"):
        run_backtest([_visit("A", 11, True)], {}, START, END)
    with pytest.raises(ValueError, match="不少于 1"):
        run_backtest(VISITS, {}, START, END, runs=0)


def _candidate(n: int, weight: float, must: str | None = None) -> Candidate:
    return Candidate(f"T{n:03d}", None, "东城区" if n % 2 else "西城区", "restaurant", "L",
                     weight, must_visit=must)


def test_design_probabilities_sum_to_capacity_and_match_the_draw() -> None:
    policy = load_policy()
    candidates = [_candidate(n, 1.0 + n % 4, "reinspection" if n < 3 else None)
                  for n in range(60)]
    inspectors = [InspectorOnDuty(f"P{n}", "一中队", "东城区") for n in range(4)]
    capacity = capacity_for(inspectors, policy)
    assert capacity == 8
    day = date(2024, 3, 1)
    probabilities = design_probabilities(candidates, capacity, policy, "seed", day)
    assert math.fsum(probabilities.values()) == pytest.approx(capacity, abs=1e-9)
    assert [probabilities[f"T{n:03d}"] for n in range(3)] == [1.0, 1.0, 1.0]
    # 5 slots left: 1 uniform (floor(0.15 × 5 + 0.5)) over 57 candidates, 4 weighted.
    u = 1 / 57
    assert probabilities["T003"] == pytest.approx(u + (1 - u) * (4 / (1 - u)) * 4 / 144)
    result = draw(day, "seed", candidates, inspectors, policy)
    certain = {a.target_id for a in result.assignments if a.probability == 1.0
               and a.reason == "reinspection"}
    assert certain == {"T000", "T001", "T002"}


def test_design_probabilities_when_must_visits_fill_the_day() -> None:
    policy = load_policy()
    candidates = [_candidate(n, 1.0, "reinspection" if n < 10 else None) for n in range(20)]
    probabilities = design_probabilities(candidates, 8, policy, "seed", date(2024, 3, 1))
    assert sorted(probabilities.values()) == [0.0] * 12 + [1.0] * 8


def test_fairness_rows_by_district_and_kind() -> None:
    views = [TargetView("A", "东城区", "restaurant", "L", 2, 0.5, True),
             TargetView("B", "东城区", "construction_site", "X", 0, 0.1, False),
             TargetView("C", "西城区", "restaurant", "W", 1, 0.3, False)]
    rows = {(r.by, r.group): r for r in fairness_rows(views)}
    east = rows[("district", "东城区")]
    assert (east.targets, east.inspections, east.inspection_rate, east.mean_tier,
            east.drawn) == (2, 2, 1.0, 3.0, 1)
    assert east.mean_inclusion == pytest.approx(0.3)
    restaurants = rows[("kind", "restaurant")]
    assert (restaurants.targets, restaurants.inspection_rate, restaurants.mean_tier) == (
        2, 1.5, 0.5)
    assert [k for k in rows] == [("district", "东城区"), ("district", "西城区"),
                                 ("kind", "construction_site"), ("kind", "restaurant")]
