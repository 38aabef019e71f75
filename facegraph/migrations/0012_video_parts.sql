-- Videos are analysed in parts (facegraph.ingestion.video_parts): each part stored, with its
-- shots, records itself here, so a killed ingest carries on from the parts done. A part counts
-- only for the same file (size, mtime), detection settings and frame rate; a video's rows go once the
-- video itself is stored.
-- frame_s: a shot's picture, the second of its sampled frame in which most of its people are
-- seen together (evidence, the page's tie panel and the review app show that frame)
ALTER TABLE images ADD COLUMN frame_s DOUBLE;
-- shot_s: a shot's stretch: the second its shot starts (the stretches of one shot share it),
-- for the weaker tie of people seen in one shot but not together (queries/same_shot.sql)
ALTER TABLE images ADD COLUMN shot_s DOUBLE;

CREATE TABLE video_parts (
    path VARCHAR NOT NULL,          -- the video, as images.path stores it
    size_bytes BIGINT NOT NULL,
    mtime_ns BIGINT NOT NULL,
    detection VARCHAR NOT NULL,
    start_s DOUBLE NOT NULL,        -- where the part starts in the video
    end_s DOUBLE,                   -- where it ends (NULL: at the video's end)
    shots INTEGER NOT NULL,         -- the shots stored from it
    PRIMARY KEY (path, start_s)
);
