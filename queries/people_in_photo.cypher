// The people in a photo, found by its path or the end of it (a file name is enough), with the
// box of each face (left, top, right, bottom in pixels).
// :param photo STRING              the photo's path, or its last part, e.g. "party/IMG_0042.jpg"
MATCH (p:Person)-[e:APPEARS_IN]->(i:Image)
WHERE i.path = $photo OR i.path ENDS WITH ('/' + $photo)
RETURN i.path AS path, p.id AS person_id, p.name AS name, e.face_id AS face_id,
       e.box_left AS box_left, e.box_top AS box_top, e.box_right AS box_right,
       e.box_bottom AS box_bottom
ORDER BY path, box_left;
