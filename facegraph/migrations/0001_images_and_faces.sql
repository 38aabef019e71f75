-- Photos and the faces found in them. Coordinates are pixels of the photo as a viewer shows it
-- (EXIF orientation applied), left/top inclusive, right/bottom exclusive.
CREATE SEQUENCE image_id_seq START 1;
CREATE SEQUENCE face_id_seq START 1;

CREATE TABLE images (
    image_id      BIGINT PRIMARY KEY DEFAULT nextval('image_id_seq'),
    path          VARCHAR NOT NULL UNIQUE,   -- absolute path
    content_hash  VARCHAR,                   -- blake2b-128 of the file bytes; finds moved photos
    size_bytes    BIGINT NOT NULL,
    mtime_ns      BIGINT NOT NULL,
    width         INTEGER,
    height        INTEGER,
    orientation   SMALLINT,                  -- EXIF orientation tag (1 = upright)
    taken_at      TIMESTAMP,                 -- EXIF DateTimeOriginal (or Digitized, or DateTime)
    camera_make   VARCHAR,
    camera_model  VARCHAR,
    status        VARCHAR NOT NULL CHECK (status IN ('ok', 'no_faces', 'error')),
    error         VARCHAR,                   -- one-line reason when status = 'error'
    face_count    INTEGER NOT NULL DEFAULT 0,
    detection     VARCHAR,                   -- detector settings used
    ingested_at   TIMESTAMP NOT NULL DEFAULT current_timestamp,
    missing_since TIMESTAMP                  -- set when the file is no longer where it was
);

CREATE TABLE faces (
    face_id        BIGINT PRIMARY KEY DEFAULT nextval('face_id_seq'),
    image_id       BIGINT NOT NULL,
    face_index     SMALLINT NOT NULL,        -- order within the photo
    box_left       INTEGER NOT NULL,
    box_top        INTEGER NOT NULL,
    box_right      INTEGER NOT NULL,
    box_bottom     INTEGER NOT NULL,
    detector_score DOUBLE,
    landmarks      FLOAT[10],                -- dlib's 5 points as x0, y0, ..., x4, y4
    encoding       FLOAT[128] NOT NULL,      -- dlib_face_recognition_resnet_model_v1
    crop_jpeg      BLOB                      -- the face with a 40 % margin, long side <= 200 px
);

CREATE INDEX faces_by_image ON faces (image_id);
