-- Faces that belong to no person yet (not marked "not a face", not forgotten), with their photo
-- and box, and why clustering may leave them alone (`quality`: small, blurred, turned; NULL =
-- a good face no one matched yet); run `facegraph cluster` to place them, or move them by hand.
-- :param limit BIGINT = 100        how many faces
SELECT f.face_id, i.path, f.box_left, f.box_top, f.box_right, f.box_bottom, i.taken_at,
       f.quality
FROM faces f JOIN images i USING (image_id)
WHERE f.person_id IS NULL AND NOT f.not_a_face AND NOT f.forgotten
ORDER BY i.path, f.face_index
LIMIT $limit;
