"""Real input: Chicago's food inspections scored as of 2014-09-01 and drawn for 2014-09-02."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from inspection import rosters
from inspection.cli import main
from inspection.db import Database
from inspection.imports import import_file
from inspection.scores import load_facts
from scoring.policy import load_policy
from scoring.risk import score_all
from tests.conftest import DATA

CHICAGO = DATA / "chicago-food-inspections" / "model_data_30_dat.csv"
MAP = Path(__file__).resolve().parents[2] / "inspection" / "maps" / "chicago_food.toml"
AS_OF = date(2014, 9, 1)
DAY = date(2014, 9, 2)
TIER_ORDER = "WLMEHX"


async def _load(path: Path, inspectors: Path) -> dict[str, int]:
    async with Database(path) as db:
        targets = await import_file(db, "targets", CHICAGO, mapping=MAP)
        visits = await import_file(db, "inspections", CHICAGO, mapping=MAP)
        staff = await import_file(db, "inspectors", inspectors)
        await rosters.generate(db, load_policy(), DAY, actor="test", seed="chicago-2014")
    return {"target_rows": targets.rows, "targets": targets.added,
            "inspections": visits.added, "inspectors": staff.added,
            "rejected": len(targets.rejected) + len(visits.rejected) + len(staff.rejected)}


@pytest.fixture(scope="module")
def chicago(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    folder = tmp_path_factory.mktemp("chicago")
    inspectors = folder / "inspectors.csv"
    inspectors.write_text("id,name,team,district\n" + "".join(
        f"CHI-{n:02d},Sanitarian {n:02d},Team {n % 4},Chicago\n" for n in range(1, 21)),
        encoding="utf-8")
    counts = asyncio.run(_load(folder / "chicago.db", inspectors))
    return folder / "chicago.db", counts


def test_every_row_is_imported(chicago: tuple[Path, dict[str, int]]) -> None:
    _, counts = chicago
    assert counts == {"target_rows": 18_781, "targets": 9_729, "inspections": 18_781,
                      "inspectors": 20, "rejected": 0}


async def test_tiers_follow_the_history(chicago: tuple[Path, dict[str, int]]) -> None:
    async with Database(chicago[0]) as db:
        facts = await load_facts(db, AS_OF)
    scores = score_all(facts, load_policy(), AS_OF)
    assert len(scores) == 9_729
    assert Counter(s.tier for s in scores) == {"M": 5740, "L": 2304, "H": 765, "E": 734,
                                               "X": 186}

    year_ago = AS_OF - timedelta(days=365)
    critical, clean = [], []
    for fact, score in zip(facts, scores, strict=True):
        if any(v.severity == "critical" and v.found_on > year_ago for v in fact.violations):
            critical.append(TIER_ORDER.index(score.tier))
        elif not fact.violations:
            clean.append(TIER_ORDER.index(score.tier))
    # Critical in the last year: all H or X. Never a violation: L, or M for high hazard.
    assert Counter(TIER_ORDER[t] for t in critical) == {"H": 504, "X": 183}
    assert Counter(TIER_ORDER[t] for t in clean) == {"L": 238, "M": 196}
    assert min(critical) > max(clean)


async def test_roster_for_twenty_inspectors_verifies(
        chicago: tuple[Path, dict[str, int]]) -> None:
    async with Database(chicago[0]) as db:
        shown = await rosters.show(db, DAY)
        differences = await rosters.verify(db, DAY)
    visits = shown["assignments"]
    assert len(visits) == shown["capacity"] == 40
    # 15 % of 40 is reserved for the uniform share; re-inspections fill the rest.
    assert Counter(v["reason"] for v in visits) == {"reinspection": 34, "uniform": 6}
    assert all(v["inspector_a"] != v["inspector_b"] for v in visits)
    assert len({v["target_id"] for v in visits}) == 40
    assert differences == []


def test_cli_verify_exits_zero(chicago: tuple[Path, dict[str, int]],
                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["roster", "verify", "--date", DAY.isoformat(), "--db", str(chicago[0])]) == 0
    assert "复核一致" in capsys.readouterr().out
