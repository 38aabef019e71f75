-- Moments: near-duplicate photos (bursts, the same photo recompressed or resized) counted once
-- in the network's weights (facegraph.ingestion.moments).
-- photo_hash: a 256-bit difference hash of the photo, upright (32 bytes)
ALTER TABLE images ADD COLUMN photo_hash BLOB;
-- moment: the smallest image ID of the photo's moment; NULL until grouped (a moment of its own)
ALTER TABLE images ADD COLUMN moment BIGINT;

-- one row per person per photo they appear in, now with the photo's moment
CREATE OR REPLACE VIEW appearances AS
SELECT f.person_id, f.image_id, f.face_id, f.box_left, f.box_top, f.box_right, f.box_bottom,
       i.taken_at, coalesce(i.moment, i.image_id) AS moment
FROM faces f
JOIN people p ON p.person_id = f.person_id
JOIN images i ON i.image_id = f.image_id
WHERE NOT p.hidden AND NOT f.not_a_face AND NOT f.forgotten
QUALIFY row_number() OVER (PARTITION BY f.person_id, f.image_id ORDER BY f.face_id) = 1;

-- people of the network: the photos they appear in, the moments those photos make, and their
-- attributes (NULL when none of their faces has an estimate)
CREATE OR REPLACE VIEW network_people AS
SELECT n.person_id, n.name, n.photos, n.moments, pa.gender, pa.gender_confidence, pa.age,
       pa.birth_year
FROM (
    SELECT p.person_id, p.name, count(*) AS photos, count(DISTINCT a.moment) AS moments
    FROM people p JOIN appearances a ON a.person_id = p.person_id
    GROUP BY p.person_id, p.name
) n
LEFT JOIN person_attributes pa ON pa.person_id = n.person_id;

-- photos of the network, with how many people of the network appear in each, and its moment
CREATE OR REPLACE VIEW network_photos AS
SELECT i.image_id, i.path, i.taken_at, count(*) AS people, coalesce(i.moment, i.image_id) AS moment
FROM images i JOIN appearances a ON a.image_id = i.image_id
GROUP BY i.image_id, i.path, i.taken_at, i.moment;
