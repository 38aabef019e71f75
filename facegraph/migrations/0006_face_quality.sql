-- How usable a face is for telling who it is (facegraph/faces/quality.py): `sharpness` is the
-- variance of the Laplacian of the face at 64x64 grey; `quality` says why a face is not good
-- enough to start a person ('small', 'blurred', 'turned', comma-separated; NULL = good). Such
-- faces join a person only on an unambiguous match, else stay unassigned with this reason.
-- Faces stored before this version get both from their crop at the next `facegraph cluster`.
DROP INDEX faces_by_image;
DROP INDEX faces_by_person;
ALTER TABLE faces ADD COLUMN sharpness REAL;
ALTER TABLE faces ADD COLUMN quality VARCHAR;
CREATE INDEX faces_by_image ON faces (image_id);
CREATE INDEX faces_by_person ON faces (person_id);
