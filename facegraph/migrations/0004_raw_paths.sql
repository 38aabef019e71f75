-- File names that are not UTF-8 (an old Windows or Samba archive's Latin-1 names): `path` keeps
-- a readable form (undecodable bytes as \xNN) and `path_bytes` the exact bytes of the name, so
-- such photos are found again on the next run. NULL for every UTF-8 path.
ALTER TABLE images ADD COLUMN path_bytes BLOB;
