-- Registers, rosters, inspections, photos, users and the audit log.
-- Timestamps are UTC ISO 8601 strings with 'Z'; days are local (Asia/Shanghai)
-- ISO dates 'YYYY-MM-DD'.

CREATE TABLE enterprises (
    uscc        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    district    TEXT NOT NULL DEFAULT '',
    address     TEXT NOT NULL DEFAULT '',
    contact     TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE targets (
    id              TEXT PRIMARY KEY,
    -- NULL only for targets imported from foreign registers without a USCC.
    enterprise_uscc TEXT REFERENCES enterprises (uscc),
    kind            TEXT NOT NULL
                    CHECK (kind IN ('construction_site', 'restaurant', 'diesel_truck')),
    name            TEXT NOT NULL,
    district        TEXT NOT NULL DEFAULT '',
    address         TEXT NOT NULL DEFAULT '',
    latitude        REAL,
    longitude       REAL,
    -- Coordinate system of latitude/longitude: 'wgs84', 'gcj02' or 'bd09'.
    crs             TEXT NOT NULL DEFAULT 'wgs84' CHECK (crs IN ('wgs84', 'gcj02', 'bd09')),
    -- Inherent hazard, kept apart from behaviour: 'low', 'medium' or 'high'.
    hazard          TEXT NOT NULL DEFAULT 'medium' CHECK (hazard IN ('low', 'medium', 'high')),
    -- Kind-specific facts as a JSON object: area_m2, reference_burners,
    -- plate, vin, emission_stage, performance_grade, facility_type ...
    attributes      TEXT NOT NULL DEFAULT '{}',
    active          INTEGER NOT NULL DEFAULT 1,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX targets_enterprise ON targets (enterprise_uscc);

-- Every whitelist decision is a row; the current entry is the latest one
-- whose validity covers the day and that is not revoked.
CREATE TABLE whitelist (
    id              INTEGER PRIMARY KEY,
    enterprise_uscc TEXT NOT NULL REFERENCES enterprises (uscc),
    valid_from      TEXT NOT NULL,
    valid_to        TEXT NOT NULL,
    reason          TEXT NOT NULL DEFAULT '',
    revoked_on      TEXT,
    revoked_reason  TEXT,
    created_at      TEXT NOT NULL,
    UNIQUE (enterprise_uscc, valid_from)
);

CREATE TABLE complaints (
    id          TEXT PRIMARY KEY,
    target_id   TEXT NOT NULL REFERENCES targets (id),
    received_at TEXT NOT NULL,
    channel     TEXT NOT NULL DEFAULT '12369',
    summary     TEXT NOT NULL DEFAULT '',
    -- 'pending' awaits a visit; a visit makes it substantiated or not.
    status      TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'substantiated', 'unsubstantiated')),
    checked_on  TEXT,
    created_at  TEXT NOT NULL
);
CREATE INDEX complaints_target ON complaints (target_id);

CREATE TABLE violations (
    id            TEXT PRIMARY KEY,
    target_id     TEXT NOT NULL REFERENCES targets (id),
    found_on      TEXT NOT NULL,
    severity      TEXT NOT NULL
                  CHECK (severity IN ('critical', 'serious', 'minor', 'administrative')),
    description   TEXT NOT NULL DEFAULT '',
    penalty       TEXT NOT NULL DEFAULT '',
    inspection_id TEXT,
    created_at    TEXT NOT NULL
);
CREATE INDEX violations_target ON violations (target_id);

CREATE TABLE inspectors (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    team       TEXT NOT NULL DEFAULT '',
    district   TEXT NOT NULL DEFAULT '',
    active     INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Declared conflicts of interest: the inspector never visits that enterprise.
CREATE TABLE conflicts (
    inspector_id    TEXT NOT NULL REFERENCES inspectors (id),
    enterprise_uscc TEXT NOT NULL REFERENCES enterprises (uscc),
    reason          TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (inspector_id, enterprise_uscc)
);

-- A roster is one local day's draw. A redraw supersedes, never deletes.
CREATE TABLE rosters (
    id                 INTEGER PRIMARY KEY,
    day                TEXT NOT NULL,
    seed               TEXT NOT NULL,
    policy_version     TEXT NOT NULL,
    algorithm          TEXT NOT NULL,
    as_of              TEXT NOT NULL,
    capacity           INTEGER NOT NULL,
    candidates_digest  TEXT NOT NULL,
    inspectors_digest  TEXT NOT NULL,
    -- The exact inputs of the draw, canonical JSON, so verify can re-run it.
    inputs             TEXT NOT NULL,
    -- What the draw produced, before any manual change, canonical JSON.
    drawn              TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    created_by         TEXT NOT NULL,
    superseded_at      TEXT,
    superseded_by      TEXT,
    supersede_reason   TEXT
);
CREATE UNIQUE INDEX rosters_current_day ON rosters (day) WHERE superseded_at IS NULL;

CREATE TABLE assignments (
    id           INTEGER PRIMARY KEY,
    roster_id    INTEGER NOT NULL REFERENCES rosters (id),
    position     INTEGER NOT NULL,
    target_id    TEXT NOT NULL REFERENCES targets (id),
    inspector_a  TEXT NOT NULL REFERENCES inspectors (id),
    inspector_b  TEXT NOT NULL REFERENCES inspectors (id),
    reason       TEXT NOT NULL
                 CHECK (reason IN ('complaint', 'reinspection', 'watchlist', 'overdue',
                                   'random', 'uniform')),
    probability  REAL NOT NULL,
    status       TEXT NOT NULL DEFAULT 'planned'
                 CHECK (status IN ('planned', 'done', 'cancelled')),
    UNIQUE (roster_id, target_id),
    UNIQUE (roster_id, position)
);
CREATE INDEX assignments_inspector_a ON assignments (inspector_a);
CREATE INDEX assignments_inspector_b ON assignments (inspector_b);

-- A leader's manual change keeps what the draw gave.
CREATE TABLE assignment_changes (
    id            INTEGER PRIMARY KEY,
    assignment_id INTEGER NOT NULL REFERENCES assignments (id),
    changed_at    TEXT NOT NULL,
    changed_by    TEXT NOT NULL,
    reason        TEXT NOT NULL CHECK (length(trim(reason)) > 0),
    before        TEXT NOT NULL,
    after         TEXT NOT NULL
);

CREATE TABLE inspections (
    id                TEXT PRIMARY KEY,
    target_id         TEXT NOT NULL REFERENCES targets (id),
    assignment_id     INTEGER REFERENCES assignments (id),
    inspected_at      TEXT NOT NULL,
    inspector_a       TEXT,
    inspector_b       TEXT,
    checklist_id      TEXT NOT NULL DEFAULT '',
    checklist_version TEXT NOT NULL DEFAULT '',
    answers           TEXT NOT NULL DEFAULT '{}',
    -- 'pass', 'fail', or 'void' when a measurement must be repeated.
    verdict           TEXT NOT NULL CHECK (verdict IN ('pass', 'fail', 'void')),
    judgement         TEXT NOT NULL DEFAULT '{}',
    remark            TEXT NOT NULL DEFAULT '',
    -- SHA-256 of the canonical request body; same id with another body is 409.
    body_sha256       TEXT NOT NULL,
    photo_count       INTEGER NOT NULL DEFAULT 0,
    source            TEXT NOT NULL DEFAULT 'app' CHECK (source IN ('app', 'import')),
    published         INTEGER NOT NULL DEFAULT 1,
    submitted_by      TEXT NOT NULL DEFAULT '',
    created_at        TEXT NOT NULL
);
CREATE INDEX inspections_target ON inspections (target_id, inspected_at);

CREATE TABLE photos (
    id              INTEGER PRIMARY KEY,
    inspection_id   TEXT NOT NULL REFERENCES inspections (id),
    sha256          TEXT NOT NULL,
    item_key        TEXT NOT NULL DEFAULT '',
    media_type      TEXT NOT NULL,
    size_bytes      INTEGER NOT NULL,
    width           INTEGER NOT NULL,
    height          INTEGER NOT NULL,
    original_path   TEXT NOT NULL,
    display_path    TEXT NOT NULL,
    thumb_path      TEXT NOT NULL,
    -- Metadata as a JSON object: taken_at, offset, gps, make, model ...
    metadata        TEXT NOT NULL DEFAULT '{}',
    client_latitude  REAL,
    client_longitude REAL,
    client_crs      TEXT,
    uploaded_by     TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    UNIQUE (inspection_id, sha256)
);

-- The photos the client said an inspection has; until all arrived it is incomplete.
CREATE TABLE expected_photos (
    inspection_id TEXT NOT NULL REFERENCES inspections (id),
    sha256        TEXT NOT NULL,
    item_key      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (inspection_id, sha256)
);

CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    username        TEXT NOT NULL UNIQUE,
    password_hash   TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('admin', 'leader', 'inspector', 'enterprise')),
    enterprise_uscc TEXT REFERENCES enterprises (uscc),
    inspector_id    TEXT REFERENCES inspectors (id),
    active          INTEGER NOT NULL DEFAULT 1,
    created_at      TEXT NOT NULL,
    CHECK (role != 'enterprise' OR enterprise_uscc IS NOT NULL),
    CHECK (role != 'inspector' OR inspector_id IS NOT NULL)
);

-- Bearer tokens are stored only as their SHA-256.
CREATE TABLE api_tokens (
    token_sha256 TEXT PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);

-- Append-only and hash-chained: hash = SHA-256(prev_hash || canonical entry).
CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    entity    TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    detail    TEXT NOT NULL DEFAULT '{}',
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

-- A scheduled job claims its run here, so several processes run it once.
CREATE TABLE job_runs (
    job        TEXT NOT NULL,
    run_key    TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    outcome    TEXT,
    PRIMARY KEY (job, run_key)
);
