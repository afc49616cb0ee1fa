-- Issue 3: what the draw needs beyond the registers, and the whitelist's lifecycle.

-- The seed of a day's draw is committed (its SHA-256 published) before the
-- candidate list can be known, and revealed when the roster is drawn.
CREATE TABLE seed_commitments (
    day          TEXT PRIMARY KEY,
    seed_sha256  TEXT NOT NULL,
    seed         TEXT,
    committed_at TEXT NOT NULL,
    revealed_at  TEXT,
    CHECK (seed IS NULL OR length(seed) > 0)
);

-- Inspectors not on duty: leave, training, sickness.
CREATE TABLE inspector_absences (
    id           INTEGER PRIMARY KEY,
    inspector_id TEXT NOT NULL REFERENCES inspectors (id),
    from_day     TEXT NOT NULL,
    to_day       TEXT NOT NULL,
    reason       TEXT NOT NULL DEFAULT '',
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    CHECK (from_day <= to_day)
);
CREATE INDEX inspector_absences_days ON inspector_absences (from_day, to_day);

-- Days with no routine roster (public holidays).
CREATE TABLE holidays (
    day  TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

-- A leader's heavy-pollution alert for a range of local days.
CREATE TABLE pollution_alerts (
    id          INTEGER PRIMARY KEY,
    level       TEXT NOT NULL CHECK (level IN ('yellow', 'orange', 'red')),
    from_day    TEXT NOT NULL,
    to_day      TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    declared_by TEXT NOT NULL,
    declared_at TEXT NOT NULL,
    CHECK (from_day <= to_day)
);

-- Each periodic review's computed tier, for the hysteresis rule.
CREATE TABLE tier_reviews (
    target_id      TEXT NOT NULL REFERENCES targets (id),
    as_of          TEXT NOT NULL,
    computed_tier  TEXT NOT NULL,
    tier           TEXT NOT NULL,
    points         REAL NOT NULL,
    policy_version TEXT NOT NULL,
    PRIMARY KEY (target_id, as_of)
);

-- The periodic review proposes; a leader decides.
CREATE TABLE whitelist_proposals (
    id              INTEGER PRIMARY KEY,
    enterprise_uscc TEXT NOT NULL REFERENCES enterprises (uscc),
    action          TEXT NOT NULL CHECK (action IN ('add', 'remove')),
    reason          TEXT NOT NULL,
    proposed_on     TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'approved', 'rejected')),
    decided_by      TEXT,
    decided_at      TEXT,
    decision_reason TEXT
);
CREATE UNIQUE INDEX whitelist_proposals_pending
    ON whitelist_proposals (enterprise_uscc, action) WHERE status = 'pending';
