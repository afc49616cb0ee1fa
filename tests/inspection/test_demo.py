"""The demo city: plausible, valid, deterministic, and loaded only into an empty database."""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import pytest

from checklists.identifiers import check_plate, check_uscc, check_vin
from inspection import audit
from inspection.db import Database, utcnow
from inspection.demo import (
    DEMO_PASSWORD,
    DISTRICTS,
    NOTICE,
    DemoCity,
    describe,
    generate,
    load_demo,
    org_code_check_char,
)
from inspection.errors import ConflictError
from inspection.users import MIN_PASSWORD_LENGTH, authenticate

TODAY = date(2026, 12, 3)
SEED = 20261203
TABLES = (
    "enterprises",
    "targets",
    "inspectors",
    "conflicts",
    "whitelist",
    "complaints",
    "violations",
    "inspections",
    "users",
    "audit_log",
)


@cache
def city() -> DemoCity:
    return generate(TODAY, SEED)


def _owner() -> dict[str, str]:
    return {t.id: t.enterprise_uscc for t in city().targets}


async def _counts(db: Database) -> dict[str, int]:
    return {t: await db.fetchval(f"SELECT COUNT(*) FROM {t}") for t in TABLES}


# --- identifiers ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "check"),
    [("79965505", "8"), ("71526726", "X"), ("00000000", "0"), ("MA45AAAA", "6")],
)
def test_org_code_check_char_follows_gb_11714(body: str, check: str) -> None:
    assert org_code_check_char(body) == check


def test_every_uscc_is_valid_without_warning_and_names_its_district() -> None:
    divisions = {d.name: d.division for d in DISTRICTS}
    for enterprise in city().enterprises:
        result = check_uscc(enterprise.uscc)
        assert result.valid and not result.warning, enterprise.uscc
        assert enterprise.uscc[:2] == "91"
        assert enterprise.uscc[2:8] == divisions[enterprise.district]
        assert enterprise.uscc[16] == org_code_check_char(enterprise.uscc[8:16])
    assert len({e.uscc for e in city().enterprises}) == len(city().enterprises)


def test_every_truck_has_a_valid_vin_and_yuk_plates() -> None:
    trucks = [t for t in city().targets if t.kind == "diesel_truck"]
    trailers = [t.attributes["trailer_plate"] for t in trucks if "trailer_plate" in t.attributes]

    for truck in trucks:
        assert check_vin(truck.attributes["vin"]).valid, truck.attributes["vin"]
        plate = check_plate(truck.attributes["plate"])
        assert plate.valid and not plate.warning and plate.kind == "ordinary"
        assert truck.attributes["plate"].startswith("豫K")
        assert truck.attributes["emission_stage"] in ("国III", "国IV", "国V", "国VI")
    for trailer in trailers:
        assert check_plate(trailer).kind == "trailer" and trailer.startswith("豫K")

    plates = [t.attributes["plate"] for t in trucks] + trailers
    assert len(set(plates)) == len(plates)
    assert 0 < len(trailers) < len(trucks) / 2


# --- shape of the city ---------------------------------------------------------


def test_counts_are_in_plausible_ranges() -> None:
    c = city()
    kinds = Counter(t.kind for t in c.targets)
    assert len(c.enterprises) == 300
    assert 400 <= len(c.targets) <= 900
    assert all(kinds[k] >= 100 for k in ("construction_site", "restaurant", "diesel_truck"))
    assert 28 <= len(c.inspectors) <= 35
    assert 3 <= len(c.conflicts) <= 10
    assert 150 <= len(c.complaints) <= 700
    assert 2500 <= len(c.inspections) <= 8000


def test_every_district_and_county_has_enterprises_near_its_centre() -> None:
    centres = {d.name: d for d in DISTRICTS}
    assert {e.district for e in city().enterprises} == set(centres)
    for target in city().targets:
        centre = centres[target.district]
        assert target.crs == "wgs84"
        assert abs(target.latitude - centre.latitude) < 6 * centre.spread
        assert abs(target.longitude - centre.longitude) < 6 * centre.spread
        assert 33.5 < target.latitude < 34.5 and 113.2 < target.longitude < 114.5


def test_sites_and_restaurants_carry_size_and_hazard() -> None:
    sites = [t for t in city().targets if t.kind == "construction_site"]
    restaurants = [t for t in city().targets if t.kind == "restaurant"]

    areas = [s.attributes["area_m2"] for s in sites]
    assert any(a > 5000 for a in areas) and any(a <= 5000 for a in areas)
    for site in sites:
        assert site.attributes["online_monitoring"] == (site.attributes["area_m2"] >= 5000)
        if site.attributes["area_m2"] >= 20_000:
            assert site.hazard == "high"

    # GB 18483-2001 Table 1: small ≥1 <3, medium ≥3 <6, large ≥6 reference burners.
    expected = {1: "small", 2: "small", 3: "medium", 5: "medium", 6: "large", 8: "large"}
    for restaurant in restaurants:
        burners = restaurant.attributes["reference_burners"]
        assert 1 <= burners <= 8
        if burners in expected:
            assert restaurant.attributes["size_class"] == expected[burners]
    assert {r.attributes["reference_burners"] for r in restaurants} == set(range(1, 9))


def test_inspectors_work_in_district_teams() -> None:
    inspectors = city().inspectors
    assert [i.id for i in inspectors[:4]] == ["XC-001", "XC-002", "XC-003", "XC-004"]
    assert all(i.active for i in inspectors[:4])
    assert {i.district for i in inspectors} == {d.name for d in DISTRICTS}
    assert len({i.team for i in inspectors}) == len(DISTRICTS)
    assert len({i.badge for i in inspectors}) == len(inspectors)


# --- history -------------------------------------------------------------------


def test_about_one_inspection_in_seven_fails() -> None:
    verdicts = Counter(i.verdict for i in city().inspections)
    share = verdicts["fail"] / len(city().inspections)
    assert 0.10 <= share <= 0.20
    assert set(verdicts) == {"pass", "fail"}


def test_each_failure_has_a_serious_violation_and_passes_only_minor_ones() -> None:
    by_inspection = {v.inspection_id: v for v in city().violations}
    for inspection in city().inspections:
        violation = by_inspection.get(inspection.id)
        if inspection.verdict == "fail":
            assert violation is not None and violation.severity in ("serious", "critical")
            assert violation.target_id == inspection.target_id
        elif violation is not None:
            assert violation.severity in ("minor", "administrative")
            assert violation.penalty == "责令改正"
    fined = [v for v in city().violations if v.severity in ("serious", "critical")]
    assert all("罚款" in v.penalty and "元" in v.penalty for v in fined)


def test_inspections_lie_in_the_last_two_years_with_two_allowed_inspectors() -> None:
    barred = {(c.inspector_id, c.enterprise_uscc) for c in city().conflicts}
    active = {i.id for i in city().inspectors if i.active}
    owner = _owner()
    first = (TODAY - timedelta(days=730)).isoformat()
    for inspection in city().inspections:
        assert first <= inspection.inspected_at < TODAY.isoformat()
        pair = (inspection.inspector_a, inspection.inspector_b)
        assert pair[0] != pair[1] and set(pair) <= active
        assert all((i, owner[inspection.target_id]) not in barred for i in pair)


def test_a_failure_is_reinspected_within_30_days_by_two_other_inspectors() -> None:
    fails: dict[str, list[tuple[date, set[str]]]] = {}
    for inspection in city().inspections:
        day = date.fromisoformat(inspection.inspected_at[:10])
        pair = {inspection.inspector_a, inspection.inspector_b}
        if inspection.reason == "reinspection":
            # 7 to 30 days, less up to two when a weekend moved it to Friday.
            booked_by = [
                earlier
                for on, earlier in fails.get(inspection.target_id, [])
                if 5 <= (day - on).days <= 30 and not earlier & pair
            ]
            assert booked_by, inspection
        if inspection.verdict == "fail":
            fails.setdefault(inspection.target_id, []).append((day, pair))
    assert Counter(i.reason for i in city().inspections)["reinspection"] > 100


def test_body_sha256_is_the_digest_of_the_canonical_row() -> None:
    inspection = city().inspections[0]
    row = {
        "id": inspection.id,
        "target_id": inspection.target_id,
        "inspected_at": inspection.inspected_at,
        "inspector_a": inspection.inspector_a,
        "inspector_b": inspection.inspector_b,
        "verdict": inspection.verdict,
        "remark": inspection.remark,
        "answers": {},
        "source": "import",
    }
    digest = hashlib.sha256(audit.canonical(row).encode("utf-8")).hexdigest()
    assert inspection.body_sha256 == digest


def test_risk_clusters_in_a_few_enterprises() -> None:
    behaviour = {e.uscc: e.behaviour for e in city().enterprises}
    owner = _owner()
    seen = Counter(behaviour[owner[i.target_id]] for i in city().inspections)
    failed = Counter(
        behaviour[owner[i.target_id]] for i in city().inspections if i.verdict == "fail"
    )
    assert failed["bad"] / seen["bad"] > 3 * failed["clean"] / seen["clean"]

    serious = Counter(
        owner[v.target_id] for v in city().violations if v.severity in ("serious", "critical")
    )
    worst_fifth = sum(n for _, n in serious.most_common(len(city().enterprises) // 5))
    assert worst_fifth > 0.5 * sum(serious.values())


def test_complaints_come_by_three_channels_and_recent_ones_await_a_visit() -> None:
    complaints = city().complaints
    status = Counter(c.status for c in complaints)
    decided = status["substantiated"] + status["unsubstantiated"]
    assert 0.30 <= status["substantiated"] / decided <= 0.50
    assert {c.channel for c in complaints} == {"12369", "12345", "来信"}

    pending = [c for c in complaints if c.status == "pending"]
    assert len(pending) >= 3
    assert all(c.received_at >= (TODAY - timedelta(days=29)).isoformat() for c in pending)
    assert all(c.checked_on is None for c in pending)
    assert all(c.checked_on is not None for c in complaints if c.status != "pending")


def test_whitelist_is_about_eight_percent_of_clean_enterprises() -> None:
    owner = _owner()
    violators = {owner[v.target_id] for v in city().violations}
    current = [w for w in city().whitelist if w.revoked_on is None]
    assert 20 <= len(current) <= 28
    for entry in current:
        assert entry.enterprise_uscc not in violators
        assert TODAY - timedelta(days=365) < entry.valid_from <= TODAY
        assert 365 <= (entry.valid_to - entry.valid_from).days <= 730
        assert "无违法记录" in entry.reason
    for entry in city().whitelist:
        if entry.revoked_on is not None:
            assert entry.valid_from < entry.revoked_on <= TODAY and entry.revoked_reason


# --- determinism ---------------------------------------------------------------


def test_same_seed_same_city_other_seed_other_city() -> None:
    assert generate(TODAY, SEED) == city()
    other = generate(TODAY, SEED + 1)
    assert other.enterprises != city().enterprises
    assert other.inspections != city().inspections


# --- loading -------------------------------------------------------------------


async def test_load_fills_an_empty_database_and_says_it_is_synthetic(tmp_path: Path) -> None:
    async with Database(tmp_path / "demo.db") as db:
        started = time.perf_counter()
        summary = await load_demo(db, today=TODAY, seed=SEED)
        elapsed = time.perf_counter() - started
        counts = await _counts(db)
        detail = await db.fetchval("SELECT detail FROM audit_log WHERE action = 'demo.load'")
        chain = await audit.verify(db)
        pending = await db.fetchval("SELECT COUNT(*) FROM complaints WHERE status = 'pending'")
        imported = await db.fetchval(
            "SELECT COUNT(*) FROM inspections WHERE source = 'import' AND published = 1"
        )

    c = city()
    # About 1 s on an idle machine; the bound leaves room for a busy CI.
    assert elapsed < 10.0
    assert "合成数据" in summary.notice and "非真实企业" in summary.notice
    assert describe(summary).startswith(NOTICE)
    assert summary.enterprises == counts["enterprises"] == len(c.enterprises)
    assert sum(summary.targets.values()) == counts["targets"] == len(c.targets)
    assert summary.inspections == counts["inspections"] == imported
    assert summary.violations == counts["violations"]
    assert summary.complaints == counts["complaints"]
    assert summary.inspectors == counts["inspectors"]
    assert summary.whitelisted == len([w for w in c.whitelist if w.revoked_on is None])
    assert pending >= 3
    assert counts["users"] == len(summary.logins) == len(c.users)
    # One user.add per user, then demo.load.
    assert counts["audit_log"] == counts["users"] + 1
    assert chain == (counts["audit_log"], None)
    assert f'"enterprises":{summary.enterprises}' in detail


async def test_demo_users_log_in_with_the_demo_password(tmp_path: Path) -> None:
    async with Database(tmp_path / "demo.db") as db:
        summary = await load_demo(db, today=TODAY, seed=SEED)
        # All logins share one hash; one of each role is enough to pay argon2 for.
        users = {
            u: await authenticate(db, u, DEMO_PASSWORD)
            for u in ("admin", "leader", "inspector1", "enterprise1")
        }
        roles = await db.fetchall("SELECT username, role, inspector_id FROM users ORDER BY id")
        wrong = await authenticate(db, "admin", "not-the-password")
        recent_fail = await db.fetchval(
            "SELECT MAX(i.inspected_at) FROM inspections i JOIN targets t ON t.id = i.target_id"
            " JOIN users u ON u.enterprise_uscc = t.enterprise_uscc"
            " WHERE u.username = 'enterprise2' AND i.verdict = 'fail'"
        )
        listed = await db.fetchval(
            "SELECT COUNT(*) FROM whitelist w JOIN users u ON u.enterprise_uscc = w.enterprise_uscc"
            " WHERE u.username = 'enterprise1' AND w.revoked_on IS NULL"
            " AND w.valid_from <= ? AND w.valid_to >= ?",
            (TODAY.isoformat(), TODAY.isoformat()),
        )

    assert len(DEMO_PASSWORD) >= MIN_PASSWORD_LENGTH
    assert all(p == DEMO_PASSWORD for _, p, _ in summary.logins)
    assert all(user is not None for user in users.values()), users
    assert wrong is None
    assert {u.role for u in users.values() if u} == {"admin", "leader", "inspector", "enterprise"}
    inspectors = [(r["username"], r["inspector_id"]) for r in roles if r["role"] == "inspector"]
    assert inspectors == [(f"inspector{n}", f"XC-00{n}") for n in range(1, 5)]
    assert [r["username"] for r in roles if r["role"] == "enterprise"] == [
        "enterprise1",
        "enterprise2",
        "enterprise3",
    ]
    assert listed == 1
    assert recent_fail >= (TODAY - timedelta(days=30)).isoformat()


async def test_refuses_a_loaded_database_and_changes_nothing(tmp_path: Path) -> None:
    async with Database(tmp_path / "demo.db") as db:
        await load_demo(db, today=TODAY, seed=SEED)
        before = await _counts(db)
        with pytest.raises(ConflictError, match="空数据库"):
            await load_demo(db, today=TODAY, seed=SEED + 1)
        assert await _counts(db) == before


async def test_refuses_a_database_with_one_enterprise(tmp_path: Path) -> None:
    async with Database(tmp_path / "demo.db") as db:
        now = utcnow()
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT INTO enterprises (uscc, name, created_at, updated_at) VALUES (?, ?, ?, ?)",
                ("91330100799655058B", "真实导入的企业", now, now),
            )
        with pytest.raises(ConflictError, match="enterprises 表已有 1 行"):
            await load_demo(db, today=TODAY)
        counts = await _counts(db)
    assert counts == dict.fromkeys(TABLES, 0) | {"enterprises": 1}
