// How many photos with people in them have no date (no EXIF date): a date filter cannot place
// them, so `--since/--until` leave them out.
MATCH (i:Image)
WHERE i.taken_at IS NULL AND i.people > 0
RETURN count(*) AS undated;
