-- Each roster records the audit log's head when it was drawn ("id:hash"), and the
-- public page shows it, so entries cut off the end of the log are noticed.
ALTER TABLE rosters ADD COLUMN audit_head TEXT;
