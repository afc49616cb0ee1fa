-- Corrective actions (整改): each finding of an inspection opens one, with a
-- deadline by severity; the enterprise answers with evidence and a later
-- inspection verifies. Notifications tell the enterprise and the leaders.
-- Days are local (Asia/Shanghai) ISO dates; timestamps UTC with 'Z'.

CREATE TABLE corrective_actions (
    id                INTEGER PRIMARY KEY,
    target_id         TEXT NOT NULL REFERENCES targets (id),
    -- The inspection whose finding opened the action, and the item that failed.
    inspection_id     TEXT NOT NULL REFERENCES inspections (id),
    item_key          TEXT NOT NULL,
    item_label        TEXT NOT NULL DEFAULT '',
    severity          TEXT NOT NULL
                      CHECK (severity IN ('critical', 'serious', 'minor', 'administrative')),
    description       TEXT NOT NULL DEFAULT '',
    opened_on         TEXT NOT NULL,
    -- The last local day to put it right; overdue from the next day on.
    deadline          TEXT NOT NULL,
    policy_version    TEXT NOT NULL,
    -- open: awaiting the enterprise; overdue: deadline passed without evidence;
    -- awaiting_reinspection: evidence given; closed: verified by a later visit.
    status            TEXT NOT NULL DEFAULT 'open'
                      CHECK (status IN ('open', 'overdue', 'awaiting_reinspection', 'closed')),
    -- The local day the daily job found it overdue; kept when evidence comes late.
    overdue_on        TEXT,
    closed_at         TEXT,
    closed_by         TEXT REFERENCES inspections (id),
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    UNIQUE (inspection_id, item_key),
    CHECK ((status = 'closed') = (closed_by IS NOT NULL))
);
CREATE INDEX corrective_actions_target ON corrective_actions (target_id, status);
CREATE INDEX corrective_actions_due ON corrective_actions (status, deadline);

-- Every finding an action answers: the one that opened it and each repeat of
-- the same item at a later visit while the action stayed open.
CREATE TABLE corrective_findings (
    action_id     INTEGER NOT NULL REFERENCES corrective_actions (id),
    inspection_id TEXT NOT NULL REFERENCES inspections (id),
    found_on      TEXT NOT NULL,
    severity      TEXT NOT NULL,
    message       TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (action_id, inspection_id)
);

-- What the enterprise sent as proof of rectification; append-only.
CREATE TABLE corrective_evidence (
    id           INTEGER PRIMARY KEY,
    action_id    INTEGER NOT NULL REFERENCES corrective_actions (id),
    text         TEXT NOT NULL CHECK (length(trim(text)) > 0),
    submitted_by TEXT NOT NULL,
    submitted_at TEXT NOT NULL
);
CREATE INDEX corrective_evidence_action ON corrective_evidence (action_id);

-- A photo declared with evidence, by its SHA-256; the file columns stay NULL
-- until its bytes arrive (received_at).
CREATE TABLE evidence_photos (
    id            INTEGER PRIMARY KEY,
    action_id     INTEGER NOT NULL REFERENCES corrective_actions (id),
    evidence_id   INTEGER NOT NULL REFERENCES corrective_evidence (id),
    sha256        TEXT NOT NULL,
    media_type    TEXT,
    size_bytes    INTEGER,
    width         INTEGER,
    height        INTEGER,
    original_path TEXT,
    display_path  TEXT,
    thumb_path    TEXT,
    metadata      TEXT NOT NULL DEFAULT '{}',
    uploaded_by   TEXT,
    received_at   TEXT,
    UNIQUE (action_id, sha256)
);

CREATE TABLE notifications (
    id                   INTEGER PRIMARY KEY,
    recipient_role       TEXT NOT NULL CHECK (recipient_role IN ('leader', 'enterprise')),
    recipient_enterprise TEXT REFERENCES enterprises (uscc),
    corrective_action_id INTEGER REFERENCES corrective_actions (id),
    kind                 TEXT NOT NULL,
    message              TEXT NOT NULL,
    created_at           TEXT NOT NULL,
    read_at              TEXT,
    CHECK ((recipient_role = 'enterprise') = (recipient_enterprise IS NOT NULL))
);
CREATE INDEX notifications_recipient ON notifications (recipient_role, recipient_enterprise);
