-- Videos (facegraph.ingestion.video): a video is an item like a photo (kind 'video', with its
-- duration); each stretch of a shot in which people are seen together is an item of its own,
-- 'VIDEO#t=START,END' (kind 'shot'), whose faces are tracks: a face followed across the shot's
-- sampled frames, stored once with its best frame's box, crop and encoding and its seconds.
ALTER TABLE images ADD COLUMN kind VARCHAR NOT NULL DEFAULT 'photo';
ALTER TABLE images ADD COLUMN duration_s DOUBLE;
-- DuckDB alters no table that an index depends on: drop them and build them again after
DROP INDEX faces_by_image;
DROP INDEX faces_by_person;
ALTER TABLE faces ADD COLUMN start_s DOUBLE;   -- a track: the first sampled frame it is in
ALTER TABLE faces ADD COLUMN end_s DOUBLE;     -- the last one
ALTER TABLE faces ADD COLUMN best_s DOUBLE;    -- the frame its box, crop and encoding are from
CREATE INDEX faces_by_image ON faces (image_id);
CREATE INDEX faces_by_person ON faces (person_id);
