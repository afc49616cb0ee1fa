"""How long scoring and the daily draw take for a city-sized register.

Builds (in a child process, so its memory is not counted) a temporary SQLite
database with 100,000 targets of the three kinds across Xuchang's districts,
about 3 per cent of enterprises whitelisted, a few hundred thousand history
rows (violations, complaints, inspections), 1,000 inspectors with declared
conflicts and two monthly tier reviews stored by the service's own job (so the
hysteresis rule has something to read). Then, in one measuring process:

- baseline: the time merely to read the rows scoring needs from SQLite
  (the same queries as ``load_facts`` and ``build_inputs``, rows discarded);
- ``load_facts`` (rows into TargetFacts);
- ``triage_all`` (the tiers, weights and due dates the roster is drawn from),
  building the draw's candidates and ``draw``: together, the figure the issue
  sets a target for (score and draw 100,000 targets in under 2 s). The draw
  is timed twice: on the register as built (a quarter of it must-do, more
  than a day's capacity) and with every must-do reason cleared, when the
  weighted draw runs over all targets;
- ``score_all`` (the same tiers with every factor and hint, as the score API
  and the monthly review compute them), for comparison;
- peak resident memory of the measuring process (``ru_maxrss``) up to the
  end of the draw and the peak Python allocation during triage + draw
  (tracemalloc, in a second pass because tracing slows everything down);
- the nightly job's whole roster step, ``inspection.rosters.generate``
  (load, score, draw, store the roster and its inputs), each round in a fresh
  process, with that process's peak resident memory.

Each timing is the best of ``--rounds`` runs. The last line printed is JSON
with every figure.

Run: .venv/bin/python bench/roster.py [--targets N] [--inspectors N] [--rounds N]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from itertools import chain
from pathlib import Path
from typing import Any

import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inspection import rosters  # noqa: E402
from inspection.clock import day_end_utc, local_noon_utc  # noqa: E402
from inspection.db import Database  # noqa: E402
from inspection.scores import REVIEWS_KEPT, load_facts, previous_tiers, record_review  # noqa: E402,E501
from scoring.draw import candidate_from_score, draw  # noqa: E402
from scoring.policy import load_policy  # noqa: E402
from scoring.risk import score_all, triage_all  # noqa: E402

DAY = date(2025, 9, 2)
AS_OF = DAY - timedelta(days=1)
SEED = "bench-2025-09-02"
DISTRICTS = ("魏都区", "建安区", "东城区", "示范区", "禹州市", "长葛市", "鄢陵县", "襄城县")
KINDS = ("construction_site", "restaurant", "diesel_truck")
STAMP = "2025-01-01T00:00:00.000000Z"
HISTORY_DAYS = 3 * 365
REVIEW_DAYS = (date(2025, 7, 31), date(2025, 8, 31))


# Building the database ---------------------------------------------------------


def build(path: Path, targets: int, inspectors: int) -> dict[str, int]:
    """Create the bench database; returns the row counts."""
    asyncio.run(_migrate(path))
    rng = random.Random(20250902)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")
    counts: dict[str, int] = {}
    with conn:
        enterprises = max(1, targets // 3)
        counts["enterprises"] = _insert(conn, "enterprises", _enterprises(enterprises))
        counts["whitelist"] = _insert(conn, "whitelist", _whitelist(rng, enterprises))
        counts["targets"] = _insert(conn, "targets", _targets(rng, targets, enterprises))
        counts["inspectors"] = _insert(conn, "inspectors", _inspectors(inspectors))
        counts["conflicts"] = _insert(
            conn, "conflicts", _conflicts(rng, inspectors, enterprises)
        )
        for table, rows in _history(rng, targets, inspectors):
            counts[table] = counts.get(table, 0) + _insert(conn, table, rows)
    conn.close()
    counts["tier_reviews"] = asyncio.run(_reviews(path))
    conn = sqlite3.connect(path)
    conn.execute("ANALYZE")
    conn.close()
    return counts


async def _migrate(path: Path) -> None:
    async with Database(path):
        pass


async def _reviews(path: Path) -> int:
    """Two monthly reviews, as the service's job stores them, for the hysteresis rule."""
    async with Database(path) as db:
        return sum([await record_review(db, load_policy(), day, actor="bench")
                    for day in REVIEW_DAYS])


def _insert(conn: sqlite3.Connection, table: str, rows: Iterator[dict[str, Any]]) -> int:
    first = next(rows, None)
    if first is None:
        return 0
    columns = list(first)
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)})"
        f" VALUES ({', '.join('?' for _ in columns)})"
    )
    before = conn.total_changes
    conn.executemany(sql, (tuple(r[c] for c in columns) for r in chain((first,), rows)))
    return conn.total_changes - before


def uscc(n: int) -> str:
    return f"91411000{n:09d}X"


def _enterprises(n: int) -> Iterator[dict[str, Any]]:
    for i in range(n):
        yield {"uscc": uscc(i), "name": f"企业{i}", "district": DISTRICTS[i % len(DISTRICTS)],
               "created_at": STAMP, "updated_at": STAMP}


def _whitelist(rng: random.Random, enterprises: int) -> Iterator[dict[str, Any]]:
    for i in range(enterprises):
        if rng.random() < 0.03:
            yield {"enterprise_uscc": uscc(i), "valid_from": "2024-07-01",
                   "valid_to": "2027-06-30", "reason": "bench", "created_at": STAMP}


def _targets(rng: random.Random, n: int, enterprises: int) -> Iterator[dict[str, Any]]:
    for i in range(n):
        kind = rng.choices(KINDS, weights=(2, 5, 3))[0]
        attributes: dict[str, Any] = {}
        if kind == "construction_site":
            attributes["area_m2"] = rng.choice((800, 2500, 4999, 5000, 12000, 30000))
        elif kind == "restaurant":
            attributes["reference_burners"] = rng.choice((1, 2, 3, 4, 6, 8))
        if rng.random() < 0.1:
            attributes["performance_grade"] = rng.choice("ABCD")
        yield {
            "id": f"T{i:06d}",
            "enterprise_uscc": uscc(rng.randrange(enterprises)),
            "kind": kind,
            "name": f"对象{i}",
            "district": rng.choice(DISTRICTS),
            "latitude": 33.9 + rng.random() * 0.4,
            "longitude": 113.6 + rng.random() * 0.5,
            "hazard": rng.choices(("low", "medium", "high"), weights=(3, 6, 1))[0],
            "attributes": json.dumps(attributes),
            "created_at": STAMP,
            "updated_at": STAMP,
        }


def _inspectors(n: int) -> Iterator[dict[str, Any]]:
    for i in range(n):
        yield {"id": f"P{i:04d}", "name": f"检查员{i}", "team": f"队{i % 40}",
               "district": DISTRICTS[i % len(DISTRICTS)], "created_at": STAMP,
               "updated_at": STAMP}


def _conflicts(rng: random.Random, inspectors: int, enterprises: int
               ) -> Iterator[dict[str, Any]]:
    for i in range(inspectors):
        for e in sorted({rng.randrange(enterprises) for _ in range(rng.choice((0, 0, 1, 2, 3)))}):
            yield {"inspector_id": f"P{i:04d}", "enterprise_uscc": uscc(e), "reason": "亲属"}


def _history(rng: random.Random, targets: int, inspectors: int
             ) -> Iterator[tuple[str, Iterator[dict[str, Any]]]]:
    """Per target: about 1 violation, 0.6 complaints and 2.2 inspections on average."""
    violations: list[dict[str, Any]] = []
    complaints: list[dict[str, Any]] = []
    inspections: list[dict[str, Any]] = []
    for i in range(targets):
        target = f"T{i:06d}"
        for k in range(rng.choices((0, 1, 2, 4), weights=(55, 25, 12, 8))[0]):
            day = AS_OF - timedelta(days=rng.randrange(HISTORY_DAYS))
            severity = rng.choices(("critical", "serious", "minor", "administrative"),
                                   weights=(2, 8, 50, 40))[0]
            violations.append({"id": f"V{i:06d}-{k}", "target_id": target,
                               "found_on": day.isoformat(), "severity": severity,
                               "created_at": STAMP})
        for k in range(rng.choices((0, 1, 3), weights=(75, 20, 5))[0]):
            day = AS_OF - timedelta(days=rng.randrange(HISTORY_DAYS))
            checked = rng.random() < 0.97 and day < AS_OF
            complaints.append({
                "id": f"C{i:06d}-{k}", "target_id": target,
                "received_at": local_noon_utc(day),
                "status": rng.choice(("substantiated", "unsubstantiated")) if checked
                else "pending",
                "checked_on": (day + timedelta(days=1)).isoformat() if checked else None,
                "created_at": STAMP,
            })
        for k in range(rng.choices((0, 1, 2, 3, 5), weights=(10, 20, 30, 25, 15))[0]):
            day = AS_OF - timedelta(days=rng.randrange(HISTORY_DAYS))
            a, b = rng.sample(range(inspectors), 2) if inspectors > 1 else (0, 0)
            inspections.append({
                "id": f"I{i:06d}-{k}", "target_id": target,
                "inspected_at": local_noon_utc(day),
                "inspector_a": f"P{a:04d}", "inspector_b": f"P{b:04d}",
                "verdict": rng.choices(("pass", "fail", "void"), weights=(85, 12, 3))[0],
                "body_sha256": "0" * 64, "source": "import", "created_at": STAMP,
            })
        if len(inspections) > 50_000:
            yield "violations", iter(violations)
            yield "complaints", iter(complaints)
            yield "inspections", iter(inspections)
            violations, complaints, inspections = [], [], []
    yield "violations", iter(violations)
    yield "complaints", iter(complaints)
    yield "inspections", iter(inspections)


# Measuring ---------------------------------------------------------------------


BASELINE_QUERIES = (
    ("SELECT id, target_id, found_on, severity FROM violations WHERE found_on <= :day", True),
    ("SELECT id, target_id, received_at, status, checked_on FROM complaints"
     " WHERE received_at < :end", True),
    ("SELECT id, target_id, inspected_at, verdict, inspector_a, inspector_b"
     " FROM inspections WHERE inspected_at < :end", True),
    ("SELECT id, kind, enterprise_uscc, district, hazard, attributes FROM targets"
     " WHERE active = 1 ORDER BY id", True),
    ("SELECT id, latitude, longitude FROM targets", False),
    ("SELECT id, team, district FROM inspectors WHERE active = 1 ORDER BY id", False),
    ("SELECT inspector_id, enterprise_uscc FROM conflicts", False),
    ("SELECT target_id, computed_tier FROM (SELECT target_id, computed_tier, as_of,"
     " ROW_NUMBER() OVER (PARTITION BY target_id ORDER BY as_of DESC) AS newest"
     " FROM tier_reviews WHERE as_of < :day) WHERE newest <= :kept"
     " ORDER BY target_id, as_of DESC", True),
)


async def _baseline(db: Database) -> int:
    params = {"day": AS_OF.isoformat(), "end": day_end_utc(AS_OF), "kept": REVIEWS_KEPT}
    rows = 0
    for sql, needs_params in BASELINE_QUERIES:
        used = {k: v for k, v in params.items() if f":{k}" in sql} if needs_params else ()
        rows += len(await db.fetchall(sql, used))
    return rows


def _best(rounds: int, run: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(rounds):
        # The previous round's result is dropped first, so two are never held at once.
        result = None
        gc.collect()
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


async def _best_async(rounds: int, run: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(rounds):
        result = None
        gc.collect()
        start = time.perf_counter()
        result = await run()
        best = min(best, time.perf_counter() - start)
    return best, result


async def measure(path: Path, rounds: int) -> dict[str, Any]:
    """Time every step on the built database; figures in seconds and MB."""
    policy = load_policy()
    figures: dict[str, Any] = {}
    async with Database(path) as db:
        figures["read_rows_s"], rows = await _best_async(rounds, lambda: _baseline(db))
        figures["rows_read"] = rows
        figures["load_facts_s"], facts = await _best_async(rounds, lambda: load_facts(db, AS_OF))
        held = await previous_tiers(db, AS_OF)
        figures["targets_with_reviews"] = len(held)
        figures["triage_all_s"], triages = _best(
            rounds, lambda: triage_all(facts, policy, AS_OF, previous_tiers=held))
        staff = await rosters._inspectors_on_duty(db, DAY)
        places = {r[0]: (r[1], r[2]) for r in
                  await db.fetchall("SELECT id, latitude, longitude FROM targets")}

        def candidates() -> list[Any]:
            # With coordinates, as the service builds them, so routes are ordered too.
            found = []
            for f, t in zip(facts, triages, strict=True):
                latitude, longitude = places[f.target_id]
                found.append(candidate_from_score(t, f, latitude=latitude, longitude=longitude))
            return found

        figures["candidates_s"], cands = _best(rounds, candidates)
        figures["draw_s"], result = _best(
            rounds, lambda: draw(DAY, SEED, cands, staff, policy))
        figures["score_and_draw_s"] = (
            figures["triage_all_s"] + figures["candidates_s"] + figures["draw_s"]
        )
        figures["assignments"] = len(result.assignments)
        figures["unassigned"] = len(result.unassigned)
        figures["must_visit"] = sum(1 for c in cands if c.must_visit)
        figures["targets"], figures["inspectors"] = len(facts), len(staff)
        figures["tiers"] = _tier_counts(triages)
        figures["peak_rss_after_draw_mb"] = _rss_mb()
        # The same register once the backlog is cleared: with no must-do visit every
        # slot but the uniform share goes through the weighted draw over all targets.
        cleared = [msgspec.structs.replace(c, must_visit=None) for c in cands]
        figures["draw_weighted_s"], _ = _best(
            rounds, lambda: draw(DAY, SEED, cleared, staff, policy))
        figures["score_and_weighted_draw_s"] = (
            figures["triage_all_s"] + figures["candidates_s"] + figures["draw_weighted_s"]
        )
        figures["score_all_s"], _ = _best(
            rounds, lambda: score_all(facts, policy, AS_OF, previous_tiers=held))
        figures["peak_rss_mb"] = _rss_mb()
        figures["traced_peak_score_draw_mb"] = _traced_peak(facts, held, staff, policy)
    return figures


async def nightly(path: Path) -> dict[str, float]:
    """One run of the nightly job's roster step, in a fresh process: time and peak RSS."""
    policy = load_policy()
    async with Database(path) as db:
        existing = await rosters.current_roster_id(db, DAY)
        start = time.perf_counter()
        await rosters.generate(db, policy, DAY, actor="bench", seed=SEED,
                               redraw_reason="bench rerun" if existing else None)
        return {"generate_s": time.perf_counter() - start, "generate_peak_rss_mb": _rss_mb()}


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _tier_counts(scores: list[Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for s in scores:
        counts[s.tier] = counts.get(s.tier, 0) + 1
    return dict(sorted(counts.items()))


def _traced_peak(facts: list[Any], held: dict[str, Any], staff: list[Any], policy: Any
                 ) -> float:
    gc.collect()
    tracemalloc.start()
    triages = triage_all(facts, policy, AS_OF, previous_tiers=held)
    cands = [candidate_from_score(t, f, latitude=33.9, longitude=113.6)
             for f, t in zip(facts, triages, strict=True)]
    draw(DAY, SEED, cands, staff, policy)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def _report(figures: dict[str, Any], counts: dict[str, int]) -> None:
    print(f"targets {figures['targets']}, inspectors {figures['inspectors']}, rows {counts}")
    print(f"tiers {figures['tiers']}; must-visit {figures['must_visit']}; "
          f"drawn {figures['assignments']}, unassigned {figures['unassigned']}")
    print(f"baseline: read {figures['rows_read']} rows from SQLite   "
          f"{figures['read_rows_s']:.3f} s")
    for key, label in (
        ("load_facts_s", "load_facts (rows -> TargetFacts)"),
        ("triage_all_s", "triage_all (tiers for the draw)"),
        ("candidates_s", "candidates"),
        ("draw_s", "draw"),
        ("score_and_draw_s", "triage_all + candidates + draw"),
        ("draw_weighted_s", "draw, no must-do visit (all weighted)"),
        ("score_and_weighted_draw_s", "triage_all + candidates + that draw"),
        ("score_all_s", "score_all (tiers with every reason)"),
        ("generate_s", "rosters.generate, the nightly job (load, score, draw, store)"),
    ):
        print(f"{label:<40} {figures[key]:.3f} s")
    slowest = max(figures["score_and_draw_s"], figures["score_and_weighted_draw_s"])
    print(f"target: score and draw under 2 s in both cases: {'met' if slowest < 2 else 'NOT met'}")
    print(f"peak RSS up to score + draw (facts held) {figures['peak_rss_after_draw_mb']:.0f} MB")
    print(f"peak RSS of the measuring process      {figures['peak_rss_mb']:.0f} MB")
    print(f"peak RSS of the nightly job (own process) {figures['generate_peak_rss_mb']:.0f} MB")
    print(f"peak traced allocation, triage + draw {figures['traced_peak_score_draw_mb']:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=100_000)
    parser.add_argument("--inspectors", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--build", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--nightly", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.build:
        print(json.dumps(build(args.build, args.targets, args.inspectors)))
        return
    if args.measure:
        print(json.dumps(asyncio.run(measure(args.measure, args.rounds))))
        return
    if args.nightly:
        print(json.dumps(asyncio.run(nightly(args.nightly))))
        return

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        started = datetime.now()
        counts = json.loads(_child("--build", path, args).splitlines()[-1])
        print(f"built {path.name} in {(datetime.now() - started).total_seconds():.1f} s")
        figures = json.loads(_child("--measure", path, args).splitlines()[-1])
        runs = [json.loads(_child("--nightly", path, args).splitlines()[-1])
                for _ in range(args.rounds)]
        figures["generate_s"] = min(r["generate_s"] for r in runs)
        figures["generate_peak_rss_mb"] = max(r["generate_peak_rss_mb"] for r in runs)
        figures["load_average_1min"] = os.getloadavg()[0]
    _report(figures, counts)
    print(json.dumps({**figures, "rows": counts, "rounds": args.rounds}, ensure_ascii=False))


def _child(flag: str, path: Path, args: argparse.Namespace) -> str:
    command = [sys.executable, __file__, flag, str(path), "--targets", str(args.targets),
               "--inspectors", str(args.inspectors), "--rounds", str(args.rounds)]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


if __name__ == "__main__":
    main()
