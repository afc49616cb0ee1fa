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
    prev_hash: str,
    entry_id: int,
    at: str,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    detail: str,
) -> str:
    body = canonical([prev_hash, entry_id, at, actor, action, entity, entity_id, detail])
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
    last = await tx.fetchone("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")
    entry_id, prev = (1, GENESIS) if last is None else (last["id"] + 1, last["hash"])
    at = utcnow()
    detail_text = canonical(detail or {})
    digest = entry_hash(prev, entry_id, at, actor, action, entity, entity_id, detail_text)
    await tx.execute(
        "INSERT INTO audit_log (id, at, actor, action, entity, entity_id, detail, prev_hash, hash)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (entry_id, at, actor, action, entity, entity_id, detail_text, prev, digest),
    )
    return digest


async def head(tx: Transaction) -> str:
    """The chain's last entry as "id:hash", kept elsewhere so a cut-off tail is noticed."""
    last = await tx.fetchone("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")
    return f"0:{GENESIS}" if last is None else f"{last['id']}:{last['hash']}"


async def verify(db: Database) -> tuple[int, AuditBreak | None]:
    """Walk the chain; return the number of entries and the first break, if any.

    Each entry's hash covers its id and the previous hash, so an edited, removed,
    inserted or renumbered entry breaks the chain; the heads recorded with the
    rosters catch entries cut off the end.
    """
    prev, count = GENESIS, 0
    hashes: dict[int, str] = {}
    cursor = await db.reader.execute(
        "SELECT id, at, actor, action, entity, entity_id, detail, prev_hash, hash"
        " FROM audit_log ORDER BY id"
    )
    async for row in cursor:
        count += 1
        expected = entry_hash(
            prev,
            count,
            row["at"],
            row["actor"],
            row["action"],
            row["entity"],
            row["entity_id"],
            row["detail"],
        )
        if row["id"] != count or row["prev_hash"] != prev or row["hash"] != expected:
            return count, AuditBreak(row["id"], expected, row["hash"])
        hashes[row["id"]] = prev = row["hash"]
    return count, await _check_anchors(db, hashes)


async def _check_anchors(db: Database, hashes: dict[int, str]) -> AuditBreak | None:
    for row in await db.fetchall(
        "SELECT audit_head FROM rosters WHERE audit_head IS NOT NULL ORDER BY id"
    ):
        entry_id, _, digest = row[0].partition(":")
        if int(entry_id) and hashes.get(int(entry_id)) != digest:
            return AuditBreak(int(entry_id), digest, hashes.get(int(entry_id), "（缺失）"))
    return None
