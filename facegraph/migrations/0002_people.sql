-- People: clusters of faces, their names and the corrections users make by hand.
CREATE SEQUENCE person_id_seq START 1;
CREATE SEQUENCE edit_id_seq START 1;

CREATE TABLE people (
    person_id   BIGINT PRIMARY KEY DEFAULT nextval('person_id_seq'),
    name        VARCHAR,
    hidden      BOOLEAN NOT NULL DEFAULT false,   -- left out of lists and the graph
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- DuckDB alters no table that an index depends on: drop it and build it again after
DROP INDEX faces_by_image;
-- person_id NULL = unassigned. assigned_by: 'cluster' (may change on a full re-cluster) or
-- 'user' (a manual move or merge; no clustering run changes it).
ALTER TABLE faces ADD COLUMN person_id BIGINT;
ALTER TABLE faces ADD COLUMN assigned_by VARCHAR;
ALTER TABLE faces ADD COLUMN not_a_face BOOLEAN NOT NULL DEFAULT false;
-- forgotten faces keep their box (the photo still shows someone) but lose encoding and crop
ALTER TABLE faces ADD COLUMN forgotten BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE faces ALTER COLUMN encoding DROP NOT NULL;
CREATE INDEX faces_by_image ON faces (image_id);
CREATE INDEX faces_by_person ON faces (person_id);

-- "not this person": the face is never assigned to that person again
CREATE TABLE face_rejections (
    face_id    BIGINT NOT NULL,
    person_id  BIGINT NOT NULL,
    PRIMARY KEY (face_id, person_id)
);

-- every manual edit, with what it changed, so the last ones can be undone
CREATE TABLE edits (
    edit_id     BIGINT PRIMARY KEY DEFAULT nextval('edit_id_seq'),
    edited_at   TIMESTAMP NOT NULL DEFAULT current_timestamp,
    action      VARCHAR NOT NULL,
    detail      VARCHAR NOT NULL,   -- JSON: what the user asked
    previous    VARCHAR,            -- JSON: the rows as they were, for undo
    undone      BOOLEAN NOT NULL DEFAULT false
);
