-- The regions of the photos' XMP metadata (digiKam, Lightroom, Picasa, Windows Photo Gallery):
-- MWG and Microsoft face regions with their names, and IPTC's names without a box. Boxes are
-- normalised (0..1) in the photo as a viewer shows it, like facegraph's own boxes; the files
-- hold them for the stored image (see facegraph.xmp.orientation). `face_id` is the face a Face
-- region marks (`made_face`: computed from the region, no detector found it); names of the
-- files become people when faces are clustered, as labels a person gave (`applied`), and
-- `previous_name` is what the file said before, when it changed.
CREATE TABLE photo_regions (
    image_id      BIGINT NOT NULL,
    region_index  SMALLINT NOT NULL,
    standard      VARCHAR NOT NULL,   -- 'MWG', 'MP', 'MWG+MP' or 'IPTC'
    region_type   VARCHAR,            -- 'Face', 'Pet', 'Focus', 'BarCode'...; NULL: a name only
    name          VARCHAR,
    box_left      DOUBLE,
    box_top       DOUBLE,
    box_right     DOUBLE,
    box_bottom    DOUBLE,
    source        VARCHAR NOT NULL,   -- 'embedded' or the sidecar's file name
    face_id       BIGINT,
    made_face     BOOLEAN NOT NULL DEFAULT false,
    applied       BOOLEAN NOT NULL DEFAULT false,
    previous_name VARCHAR,
    PRIMARY KEY (image_id, region_index)
);
-- the photo's sidecars as last read (names, sizes, times): a sidecar edited by another tool
-- makes the photo be read again
ALTER TABLE images ADD COLUMN sidecars VARCHAR;
