-- What a draw could not place: drawn targets no pair could take (JSON array of target
-- ids, in selection order) and how many must-do visits were beyond the day's capacity.
-- NULL for rosters drawn before this migration: not recorded, so not checked.
ALTER TABLE rosters ADD COLUMN unpaired TEXT;
ALTER TABLE rosters ADD COLUMN backlog INTEGER;
