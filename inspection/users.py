"""Users, their roles and password hashes (argon2)."""

from __future__ import annotations

import logging
import re
import sqlite3

import msgspec
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from inspection import audit
from inspection.db import Database, Transaction, utcnow
from inspection.errors import ConflictError, ValidationError

logger = logging.getLogger(__name__)

ROLES = ("admin", "leader", "inspector", "enterprise")
MIN_PASSWORD_LENGTH = 8
USERNAME = re.compile(r"[A-Za-z0-9._-]{2,32}")

_hasher = PasswordHasher()


class User(msgspec.Struct, frozen=True):
    """Who is logged in: enough to decide every access question."""

    id: int
    username: str
    role: str
    enterprise_uscc: str | None = None
    inspector_id: str | None = None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _user(row: sqlite3.Row) -> User:
    return User(
        row["id"], row["username"], row["role"], row["enterprise_uscc"], row["inspector_id"]
    )


async def create_user(
    tx: Transaction,
    username: str,
    password: str,
    role: str,
    *,
    enterprise_uscc: str | None = None,
    inspector_id: str | None = None,
    actor: str = "system",
    password_hash: str | None = None,
) -> int:
    """Add a user inside the caller's transaction; refuses a taken name or bad role link."""
    if not USERNAME.fullmatch(username):
        raise ValidationError(
            f"用户名应为 2 到 32 个字母、数字或 . _ - 字符，收到“{username[:40]}”", field="username"
        )
    if enterprise_uscc and role != "enterprise":
        raise ValidationError("只有企业用户可以指定 --enterprise", field="enterprise")
    if inspector_id and role != "inspector":
        raise ValidationError("只有检查员用户可以指定 --inspector", field="inspector")
    if role not in ROLES:
        raise ValidationError(f"角色应为 {'、'.join(ROLES)} 之一，收到“{role}”", field="role")
    if password_hash is None and len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            f"密码至少 {MIN_PASSWORD_LENGTH} 位，收到 {len(password)} 位", field="password"
        )
    if role == "enterprise" and not enterprise_uscc:
        raise ValidationError("企业用户须指定 --enterprise 统一社会信用代码", field="enterprise")
    if role == "inspector" and not inspector_id:
        raise ValidationError("检查员用户须指定 --inspector 检查员编号", field="inspector")
    if enterprise_uscc and not await tx.fetchval(
        "SELECT 1 FROM enterprises WHERE uscc = ?", (enterprise_uscc,)
    ):
        raise ValidationError(f"企业“{enterprise_uscc}”不在企业名录中", field="enterprise")
    if inspector_id and not await tx.fetchval(
        "SELECT 1 FROM inspectors WHERE id = ?", (inspector_id,)
    ):
        raise ValidationError(f"检查员“{inspector_id}”不在检查员名录中", field="inspector")
    if await tx.fetchval("SELECT 1 FROM users WHERE username = ?", (username,)):
        raise ConflictError(f"用户名“{username}”已存在")

    cursor = await tx.execute(
        "INSERT INTO users (username, password_hash, role, enterprise_uscc, inspector_id,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (
            username,
            password_hash or hash_password(password),
            role,
            enterprise_uscc if role == "enterprise" else None,
            inspector_id if role == "inspector" else None,
            utcnow(),
        ),
    )
    await audit.record(
        tx,
        actor,
        "user.add",
        "user",
        username,
        {"role": role, "enterprise": enterprise_uscc, "inspector": inspector_id},
    )
    return int(cursor.lastrowid or 0)


async def authenticate(db: Database, username: str, password: str) -> User | None:
    """The user when the password matches, else None (same answer for unknown names)."""
    row = await db.fetchone(
        "SELECT id, username, role, enterprise_uscc, inspector_id, password_hash"
        " FROM users WHERE username = ? AND active = 1",
        (username,),
    )
    if row is None:
        # Hash anyway so that timing does not reveal which names exist.
        _hasher.hash(password)
        return None
    try:
        _hasher.verify(row["password_hash"], password)
    except (VerificationError, InvalidHashError):
        return None
    return _user(row)


async def get_user(db: Database, user_id: int) -> User | None:
    row = await db.fetchone(
        "SELECT id, username, role, enterprise_uscc, inspector_id FROM users"
        " WHERE id = ? AND active = 1",
        (user_id,),
    )
    return None if row is None else _user(row)
