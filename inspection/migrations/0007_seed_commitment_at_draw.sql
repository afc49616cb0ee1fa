-- 1 when no seed had been committed for the day and the draw made its own commitment
-- (a first day, a day after a gap, or a past day drawn for imported history): such a
-- seed was not published before the candidate list was known, and the public page says so.
ALTER TABLE seed_commitments ADD COLUMN at_draw INTEGER NOT NULL DEFAULT 0;
