-- Views the co-appearance network is built from; the Kùzu graph is a projection of these, and
-- SQL queries (queries/*.sql, `facegraph sql`) may use them too.

-- one row per person per photo they appear in: hidden people and "not a face" faces stay out;
-- should one photo hold two faces of a person (only a manual move can do that), the first counts
CREATE VIEW appearances AS
SELECT f.person_id, f.image_id, f.face_id, f.box_left, f.box_top, f.box_right, f.box_bottom,
       i.taken_at
FROM faces f
JOIN people p ON p.person_id = f.person_id
JOIN images i ON i.image_id = f.image_id
WHERE NOT p.hidden AND NOT f.not_a_face AND NOT f.forgotten
QUALIFY row_number() OVER (PARTITION BY f.person_id, f.image_id ORDER BY f.face_id) = 1;

-- people of the network, with how many photos they appear in
CREATE VIEW network_people AS
SELECT p.person_id, p.name, count(*) AS photos
FROM people p JOIN appearances a ON a.person_id = p.person_id
GROUP BY p.person_id, p.name;

-- photos of the network, with how many people of the network appear in each
CREATE VIEW network_photos AS
SELECT i.image_id, i.path, i.taken_at, count(*) AS people
FROM images i JOIN appearances a ON a.image_id = i.image_id
GROUP BY i.image_id, i.path, i.taken_at;
