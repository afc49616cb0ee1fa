"""`xuncha backtest` on the real Chicago and San Francisco histories, and map patterns."""

from __future__ import annotations

import argparse
import asyncio
import csv
from datetime import date, timedelta
from pathlib import Path

import pytest

from inspection import backtests
from inspection.db import Database
from inspection.errors import ValidationError
from inspection.imports import import_file
from inspection.scores import load_facts
from tests.conftest import DATA

MAPS = Path(__file__).resolve().parents[2] / "inspection" / "maps"
CHICAGO = DATA / "chicago-food-inspections" / "model_data_30_dat.csv"
SF = DATA / "sf-restaurant-inspections"
CHI_FROM, CHI_TO = date(2014, 9, 2), date(2014, 10, 31)
SF_FROM, SF_TO = date(2017, 9, 1), date(2017, 10, 31)


async def _import(path: Path, files: list[tuple[str, Path]], mapping: Path) -> dict[str, int]:
    added = {}
    async with Database(path) as db:
        for kind, file in files:
            report = await import_file(db, kind, file, mapping=mapping)
            assert report.stored and not report.rejected
            added[kind] = report.added
    return added


@pytest.fixture(scope="module")
def chicago(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("chicago") / "chicago.db"
    mapping = MAPS / "chicago_food.toml"
    asyncio.run(_import(path, [("targets", CHICAGO), ("inspections", CHICAGO)], mapping))
    return path


@pytest.fixture(scope="module")
def sf(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    path = tmp_path_factory.mktemp("sf") / "sf.db"
    files = [("targets", SF / "businesses.csv"), ("inspections", SF / "inspections.csv"),
             ("violations", SF / "violations.csv")]
    return path, asyncio.run(_import(path, files, MAPS / "sf_restaurants.toml"))


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", type=Path, default=Path("./xuncha.db"))
    parser = argparse.ArgumentParser(prog="xuncha")
    backtests.register(parser.add_subparsers(dest="command", required=True), common)
    return parser


async def test_chicago_figures_beside_the_published_ones(
        chicago: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "chicago.csv"
    args = _parser().parse_args(["backtest", "--db", str(chicago), "--from", "2014-09-02",
                                 "--to", "2014-10-31", "--runs", "100", "--csv", str(out),
                                 "--fairness"])
    assert await args.handler(args) == 0
    printed = capsys.readouterr().out
    assert "7.44" in printed and "市政府公布结果" in printed
    assert "前半段至 2014-10-01" in printed
    # Fairness: one district and one kind; 36 inspectors make 18 pairs × 4 = 72 visits,
    # all must-do re-inspections, so the mean inclusion probability is 72 / 9,729.
    assert "district  Chicago                  9729        1665   0.171      2.05     0.0074" \
        "     72" in printed
    assert "kind      restaurant               9729        1665" in printed

    with out.open(encoding="utf-8") as f:
        rows = {r["ordering"]: r for r in csv.DictReader(f)}
    assert list(rows) == ["xuncha", "random", "as_happened"]
    assert {"ordering", "days_earlier_mean", "first_half_share"} <= set(rows["xuncha"])
    # 1,665 canvass visits in the window; 5 repeat visits of a licence are dropped.
    for row in rows.values():
        assert (row["inspections"], row["failures"], row["dropped"]) == ("1660", "262", "5")
    assert float(rows["xuncha"]["days_earlier_mean"]) == pytest.approx(0.584, abs=0.001)
    assert float(rows["xuncha"]["first_half_share"]) == pytest.approx(0.534, abs=0.001)
    assert float(rows["as_happened"]["days_earlier_mean"]) == 0.0
    assert float(rows["as_happened"]["first_half_share"]) == pytest.approx(0.561, abs=0.001)
    # The City: random loses about 1.5 days; ours over 100 seeds.
    assert float(rows["random"]["days_earlier_mean"]) == pytest.approx(-1.5, abs=0.3)
    assert 0.5 < float(rows["random"]["days_earlier_sd"]) < 1.5
    assert rows["xuncha"]["days_earlier_sd"] == ""


async def test_scores_use_only_what_was_known_before_the_window(chicago: Path) -> None:
    as_of = CHI_FROM - timedelta(days=1)
    async with Database(chicago) as db:
        facts = await load_facts(db, as_of)
        visits = await backtests.load_visits(db, CHI_FROM, CHI_TO)
    latest = max(d for f in facts for d in (*(v.found_on for v in f.violations),
                                             *(i.inspected_on for i in f.inspections)))
    assert latest <= as_of
    assert min(v.day for v in visits) == CHI_FROM and max(v.day for v in visits) == CHI_TO


async def test_an_empty_window_is_refused(chicago: Path) -> None:
    with pytest.raises(ValidationError, match="没有检查记录"):
        await backtests.run(backtests.Options(chicago, date(2020, 1, 1), date(2020, 1, 31)))
    with pytest.raises(ValidationError, match="不早于"):
        await backtests.run(backtests.Options(chicago, CHI_TO, CHI_FROM))


def test_sf_imports_every_file(sf: tuple[Path, dict[str, int]]) -> None:
    # 14,233 rows of which 3 repeat a business and day; 39,006 rows of which 12 repeat.
    assert sf[1] == {"targets": 6399, "inspections": 14230, "violations": 38994}


async def test_sf_severities_and_verdicts(sf: tuple[Path, dict[str, int]]) -> None:
    async with Database(sf[0]) as db:
        severities = dict(await db.fetchall(
            "SELECT severity, COUNT(*) FROM violations GROUP BY severity"))
        verdicts = dict(await db.fetchall(
            "SELECT verdict, COUNT(*) FROM inspections GROUP BY verdict"))
        hands = await db.fetchval("SELECT severity FROM violations WHERE description ="
                                  " 'Unclean hands or improper use of gloves' LIMIT 1")
    assert severities == {"critical": 5597, "serious": 4341, "minor": 29056}
    assert verdicts == {"pass": 13882, "fail": 348}
    assert hands == "critical"


async def test_sf_figures(sf: tuple[Path, dict[str, int]]) -> None:
    report = await backtests.run(backtests.Options(sf[0], SF_FROM, SF_TO, runs=50,
                                                   fairness=True))
    bt = report.backtest
    assert (bt.visits, bt.dropped, bt.result("xuncha").failures) == (1299, 6, 349)
    assert bt.result("xuncha").days_earlier_mean == pytest.approx(3.10, abs=0.01)
    assert bt.result("xuncha").first_half_share == pytest.approx(0.513, abs=0.001)
    assert bt.result("as_happened").first_half_share == pytest.approx(0.470, abs=0.001)
    assert bt.result("random").days_earlier_mean == pytest.approx(1.25, abs=0.3)
    districts = {r.group for r in report.fairness if r.by == "district"}
    assert {"94110", "94103", "无邮编"} <= districts


# ---- map patterns ---------------------------------------------------------------


async def test_map_patterns_exact_values_win_then_first_match(tmp_path: Path) -> None:
    mapping = tmp_path / "map.toml"
    mapping.write_text(
        '[targets]\nallow_missing_enterprise = true\n'
        '[targets.constants]\nkind = "restaurant"\n'
        '[targets.values.hazard]\n"High risk, audited" = "low"\n'
        '[targets.patterns.hazard]\n"^High" = "high"\n"." = "medium"\n', encoding="utf-8")
    register = tmp_path / "t.csv"
    register.write_text("id,name,hazard\nT1,A,High risk\nT2,B,\"High risk, audited\"\nT3,C,other\n"
                        "T4,D,\n", encoding="utf-8")
    async with Database(tmp_path / "x.db") as db:
        report = await import_file(db, "targets", register, mapping=mapping)
        stored = dict(await db.fetchall("SELECT id, hazard FROM targets"))
    assert report.stored and not report.rejected
    assert stored == {"T1": "high", "T2": "low", "T3": "medium", "T4": "medium"}


@pytest.mark.parametrize(("section", "message"), [
    ('[targets.patterns.hazard]\n"(" = "high"\n', r"正则表达式“\(”有误"),
    ('[targets.patterns.colour]\n"x" = "high"\n', "patterns 的键“colour”不是本类的列"),
])
async def test_bad_map_patterns_are_named(tmp_path: Path, section: str, message: str) -> None:
    mapping = tmp_path / "map.toml"
    mapping.write_text("[targets]\nallow_missing_enterprise = true\n" + section,
                       encoding="utf-8")
    register = tmp_path / "t.csv"
    register.write_text("id,name,kind\nT1,A,餐饮\n", encoding="utf-8")
    async with Database(tmp_path / "x.db") as db:
        with pytest.raises(ValidationError, match=message):
            await import_file(db, "targets", register, mapping=mapping)
