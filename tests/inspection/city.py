"""A small city for HTTP tests: two enterprises, three targets, four inspectors, users."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar.testing import AsyncTestClient

from checklists import load_checklist
from inspection.clock import local_today
from inspection.db import Database, utcnow
from inspection.users import create_user

PASSWORD = "correct-horse"
ACME = "91411000MA47Q5XK3C"
OTHER = "91411002MA9X1J2R0G"

ENTERPRISES = [(ACME, "许昌清风餐饮管理有限公司", "魏都区"),
               (OTHER, "许昌宏远建筑工程有限公司", "建安区")]
TARGETS = [
    ("R-1", ACME, "restaurant", "清风小厨（魏都店）", "魏都区", 34.0330, 113.8500),
    ("R-2", ACME, "restaurant", "清风面馆", "魏都区", 34.0400, 113.8600),
    ("S-1", OTHER, "construction_site", "宏远·春风里项目工地", "建安区", 34.0800, 113.8200),
]
INSPECTORS = [("XC-001", "张伟", "一队", "魏都区"), ("XC-002", "李娜", "一队", "魏都区"),
              ("XC-003", "王强", "二队", "建安区"), ("XC-004", "刘洋", "二队", "建安区")]
USERS = [("admin", "admin", None, None), ("leader", "leader", None, None),
         ("insp1", "inspector", None, "XC-001"), ("insp3", "inspector", None, "XC-003"),
         ("acme", "enterprise", ACME, None), ("other", "enterprise", OTHER, None)]


async def seed(db: Database) -> None:
    now = utcnow()
    async with db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO enterprises (uscc, name, district, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?)", [(*e, now, now) for e in ENTERPRISES])
        await tx.executemany(
            "INSERT INTO targets (id, enterprise_uscc, kind, name, district, latitude, longitude,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(*t, now, now) for t in TARGETS])
        await tx.executemany(
            "INSERT INTO inspectors (id, name, team, district, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)", [(*i, now, now) for i in INSPECTORS])
        for username, role, uscc, inspector in USERS:
            await create_user(tx, username, PASSWORD, role, enterprise_uscc=uscc,
                              inspector_id=inspector, actor="test")


async def token(client: AsyncTestClient, username: str) -> dict[str, str]:
    """Authorization headers for a seeded user."""
    response = await client.post("/api/v1/auth/login",
                                 json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


# Inspections may not be dated in the future, so tests visit on yesterday's local day.
VISIT_DAY = (local_today() - timedelta(days=1)).isoformat()
VISIT_TIME = f"{VISIT_DAY}T10:30:00+08:00"


def all_pass(kind: str, version: str | None = None, **answers: Any) -> dict[str, Any]:
    """Answers for every yes/no item of the kind's checklist: pass, unless given."""
    items = load_checklist(kind, version).items
    return {**{i.key: "pass" for i in items if i.type == "yes_no"}, **answers}


KIND_OF = {t[0]: t[2] for t in TARGETS}
