-- The detector's own five points for faces found by RetinaFace (the default detector since this
-- version): eye centres, nose tip, mouth corners as x0, y0, ..., x4, y4 in the photo's pixels.
-- `landmarks` stays dlib's five points, from which the encoding was computed. NULL for faces
-- found by HOG or MMOD. Used for the face's turn (quality); forgetting a face deletes it.
DROP INDEX faces_by_image;
DROP INDEX faces_by_person;
ALTER TABLE faces ADD COLUMN detector_landmarks FLOAT[10];
CREATE INDEX faces_by_image ON faces (image_id);
CREATE INDEX faces_by_person ON faces (person_id);
