-- Issue 3: what a whitelist proposal needs so a leader can decide it on its own
-- terms, and so a decision can be checked later against the facts it rested on.

-- The records behind the proposal (violation, complaint and inspection ids), a
-- JSON array of strings.
ALTER TABLE whitelist_proposals ADD COLUMN records TEXT NOT NULL DEFAULT '[]';
-- The proposed validity of an 'add' (local days, both inclusive); NULL for a 'remove'.
ALTER TABLE whitelist_proposals ADD COLUMN valid_from TEXT;
ALTER TABLE whitelist_proposals ADD COLUMN valid_to TEXT;
-- The local day whose facts the review read (proposed_on is the day it ran).
ALTER TABLE whitelist_proposals ADD COLUMN as_of TEXT;
-- The whitelist row an approved 'add' created.
ALTER TABLE whitelist_proposals ADD COLUMN whitelist_id INTEGER REFERENCES whitelist (id);

CREATE INDEX whitelist_proposals_status ON whitelist_proposals (status, id);
