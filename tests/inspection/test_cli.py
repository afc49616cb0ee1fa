"""The ``xuncha`` command on real SQLite files."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sqlite3
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from inspection.cli import main
from inspection.clock import local_today
from inspection.db import Database
from tests.inspection.city import seed


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "x.db"

    async def fill() -> None:
        async with Database(path) as database:
            await seed(database)

    asyncio.run(fill())
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().out


def test_user_add_reads_the_password_from_stdin(db: Path, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("long-enough-pass\n"))
    code, out = run(capsys, "user", "add", "zhang", "--role", "leader", "--db", str(db))
    assert code == 0 and "zhang" in out
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    code, out = run(capsys, "user", "add", "li", "--role", "leader", "--db", str(db))
    assert code == 2 and "至少 8 位" in out
    monkeypatch.setattr(sys, "stdin", io.StringIO("long-enough-pass\n"))
    code, out = run(capsys, "user", "add", "wang", "--role", "enterprise", "--db", str(db))
    assert code == 2 and "--enterprise" in out


def test_score_formats_and_explain(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "score", "--as-of", "2026-12-03", "--format", "json", "--db", str(db))
    scores = json.loads(out)
    assert code == 0 and {s["target_id"] for s in scores} == {"R-1", "R-2", "S-1"}
    code, out = run(capsys, "score", "--as-of", "2026-12-03", "--format", "csv", "--db", str(db))
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["target_id"] for r in rows] == ["R-1", "R-2", "S-1"] and "factors" in rows[0]
    code, out = run(capsys, "score", "--explain", "R-1", "--as-of", "2026-12-03",
                    "--db", str(db))
    assert code == 0 and "检查对象 R-1" in out and "策略" in out
    code, out = run(capsys, "score", "--explain", "NOPE", "--db", str(db))
    assert code == 1 and "NOPE" in out


def test_roster_generate_show_verify(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "roster", "generate", "--date", "2026-12-04", "--db", str(db))
    assert code == 0 and "3 项任务" in out
    code, out = run(capsys, "roster", "show", "--date", "2026-12-04", "--format", "json",
                    "--db", str(db))
    assert code == 0 and len(json.loads(out)["assignments"]) == 3
    assert run(capsys, "roster", "verify", "--date", "2026-12-04", "--db", str(db))[0] == 0
    code, out = run(capsys, "roster", "verify", "--date", "2026-12-09", "--db", str(db))
    assert code == 2 and "尚无检查计划" in out

    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE assignments SET inspector_b = 'XC-TAMPERED' WHERE position = 1")
    code, out = run(capsys, "roster", "verify", "--date", "2026-12-04", "--db", str(db))
    assert code == 1 and "不一致" in out


@pytest.mark.parametrize(
    ("sql", "what"),
    [
        # The stored policy, alert and dates change nothing in this draw, but they are
        # inputs: the digest recorded in the audit log catches them.
        ("UPDATE rosters SET inputs = replace(inputs, '\"version\":\"xuncha-default-2025.2\"',"
         " '\"version\":\"evil\"')", "inputs_digest"),
        ("UPDATE rosters SET inputs = replace(inputs, '\"red\":8.0', '\"red\":1.0')",
         "inputs_digest"),
        ("UPDATE rosters SET inputs = replace(inputs, '\"as_of\":\"2026-12-03\"',"
         " '\"as_of\":\"2026-12-02\"')", "as_of"),
        ("UPDATE rosters SET policy_version = 'evil'", "policy_version"),
        ("UPDATE rosters SET algorithm = 'other'", "algorithm"),
        ("UPDATE rosters SET capacity = capacity + 1", "capacity"),
        ("UPDATE rosters SET as_of = '2026-12-01'", "as_of"),
        ("UPDATE seed_commitments SET seed_sha256 = 'ab' WHERE day = '2026-12-04'",
         "seed_commitment"),
    ],
)
def test_verify_checks_more_than_the_redraw(
    db: Path, capsys: pytest.CaptureFixture[str], sql: str, what: str
) -> None:
    assert run(capsys, "roster", "generate", "--date", "2026-12-04", "--db", str(db))[0] == 0
    assert run(capsys, "roster", "verify", "--date", "2026-12-04", "--db", str(db))[0] == 0
    with sqlite3.connect(db) as conn:
        assert conn.execute(sql).rowcount == 1
    code, out = run(capsys, "roster", "verify", "--date", "2026-12-04", "--db", str(db))
    assert code == 1 and f"（{what}）" in out, out


def test_audit_verify_names_the_first_broken_entry(db: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "audit", "verify", "--db", str(db))
    assert code == 0 and "6 条记录" in out
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TRIGGER audit_log_no_update")
        conn.execute("UPDATE audit_log SET actor = 'mallory' WHERE id = 3")
    code, out = run(capsys, "audit", "verify", "--db", str(db))
    assert code == 1 and "第 3 条" in out


def test_import_rejects_and_stores_nothing(db: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "enterprises.csv"
    bad.write_text("统一社会信用代码,企业名称\n91411000MA47Q5XK3C,许昌清风\nNOT-A-USCC,坏行\n",
                   encoding="utf-8")
    code, out = run(capsys, "import", "enterprises", str(bad), "--db", str(db))
    assert code == 1 and "第3行" in out and "未写入任何数据" in out


def test_audit_verify_notices_a_cut_off_tail(db: Path, capsys: pytest.CaptureFixture[str]
                                             ) -> None:
    assert run(capsys, "roster", "generate", "--date", "2026-12-04", "--db", str(db))[0] == 0
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TRIGGER audit_log_no_delete")
        last = conn.execute("SELECT MAX(id) FROM audit_log").fetchone()[0]
        conn.execute("DELETE FROM audit_log WHERE id = ?", (last,))
    code, out = run(capsys, "audit", "verify", "--db", str(db))
    assert code == 1 and f"第 {last} 条" in out


def test_audit_verify_notices_a_renumbered_entry(db: Path, capsys: pytest.CaptureFixture[str]
                                                 ) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TRIGGER audit_log_no_update")
        conn.execute("UPDATE audit_log SET id = 100 WHERE id = 6")
    code, out = run(capsys, "audit", "verify", "--db", str(db))
    assert code == 1 and "第 100 条" in out


def test_read_commands_refuse_a_missing_database(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "typo.db"
    code, out = run(capsys, "roster", "verify", "--date", "2026-12-04", "--db", str(missing))
    assert code == 2 and "不存在" in out and not missing.exists()


@pytest.mark.parametrize(("args", "message"), [
    (["", "--role", "leader"], "用户名"),
    (["' OR 1=1 --", "--role", "leader"], "用户名"),
    (["zhao", "--role", "leader", "--enterprise", "91411000MA47Q5XK3C"], "--enterprise"),
])
def test_user_add_refuses_bad_names_and_stray_links(
        db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        args: list[str], message: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("long-enough-pass\n"))
    code, out = run(capsys, "user", "add", *args, "--db", str(db))
    assert code == 2 and message in out


@pytest.mark.parametrize("day", ["9999-12-31", "1999-12-31", "2100-01-01"])
def test_days_far_from_now_are_refused(db: Path, capsys: pytest.CaptureFixture[str],
                                       day: str) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["score", "--as-of", day, "--db", str(db)])
    assert exited.value.code == 2
    assert f"日期应在 2000-01-01 至 2099-12-31 之间，收到 {day}" in capsys.readouterr().err


@pytest.mark.parametrize(("where", "message"), [
    ("dir", "是一个目录"),
    ("missing/x.csv", "不存在"),
])
def test_backtest_csv_path_is_checked_first(db: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str],
                                            where: str, message: str) -> None:
    (tmp_path / "dir").mkdir()
    code, out = run(capsys, "backtest", "--from", "2026-11-01", "--to", "2026-11-30",
                    "--csv", str(tmp_path / where), "--db", str(db))
    assert code == 2 and message in out, out


def test_explain_takes_the_id_as_typed(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "score", "--explain", " R-1 ", "--db", str(db))
    assert code == 0 and "R-1" in out
    with pytest.raises(SystemExit) as exited:
        main(["score", "--explain", "  ", "--db", str(db)])
    assert exited.value.code == 2 and "应为检查对象编号，收到空白" in capsys.readouterr().err


def test_the_demo_comes_with_two_monthly_reviews(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "demo.db"
    assert run(capsys, "demo", "--db", str(path))[0] == 0
    with sqlite3.connect(path) as conn:
        reviews = conn.execute(
            "SELECT as_of, COUNT(*) FROM tier_reviews GROUP BY as_of ORDER BY as_of").fetchall()
        targets = conn.execute("SELECT COUNT(*) FROM targets WHERE active = 1").fetchone()[0]
    first = local_today().replace(day=1)
    last = first - timedelta(days=1)
    assert reviews == [((last.replace(day=1) - timedelta(days=1)).isoformat(), targets),
                       (last.isoformat(), targets)]


def test_a_roster_with_nobody_on_duty_says_so(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    from inspection.db import Database

    path = tmp_path / "empty.db"

    async def create() -> None:
        async with Database(path):
            pass

    asyncio.run(create())
    code, out = run(capsys, "roster", "generate", "--date", "2026-12-05", "--db", str(path))
    assert code == 0 and "0 项任务" in out and "没有可成组的在岗检查人员" in out
