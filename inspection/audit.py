"""The append-only, hash-chained audit log.

Each entry's hash covers the previous entry's hash and the entry itself, so a
changed, removed or inserted row breaks the chain from that row on.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import msgspec

from inspection.db import Database, Transaction, utcnow

GENESIS = "0" * 64


class AuditBreak(msgspec.Struct, frozen=True):
    """The first entry whose hash does not follow from the chain."""

    entry_id: int
    expected: str
    found: str


def canonical(value: Any) -> str:
    """JSON with sorted keys and no spaces: the form every digest is taken over."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def entry_hash(
    prev_hash: str, at: str, actor: str, action: str, entity: str, entity_id: str, detail: str
) -> str:
    body = canonical([prev_hash, at, actor, action, entity, entity_id, detail])
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


async def record(
    tx: Transaction,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    detail: dict[str, Any] | None = None,
) -> str:
    """Append one entry inside the caller's transaction and return its hash."""
    prev = await tx.fetchval("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1") or GENESIS
    at = utcnow()
    detail_text = canonical(detail or {})
    digest = entry_hash(prev, at, actor, action, entity, entity_id, detail_text)
    await tx.execute(
        "INSERT INTO audit_log (at, actor, action, entity, entity_id, detail, prev_hash, hash)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (at, actor, action, entity, entity_id, detail_text, prev, digest),
    )
    return digest


async def verify(db: Database) -> tuple[int, AuditBreak | None]:
    """Walk the chain; return the number of entries and the first break, if any."""
    prev = GENESIS
    count = 0
    cursor = await db.reader.execute(
        "SELECT id, at, actor, action, entity, entity_id, detail, prev_hash, hash"
        " FROM audit_log ORDER BY id"
    )
    async for row in cursor:
        count += 1
        expected = entry_hash(
            prev,
            row["at"],
            row["actor"],
            row["action"],
            row["entity"],
            row["entity_id"],
            row["detail"],
        )
        if row["prev_hash"] != prev or row["hash"] != expected:
            return count, AuditBreak(row["id"], expected, row["hash"])
        prev = row["hash"]
    return count, None
