// Every person of the network with the number of moments they appear in (near-duplicate
// photos counted once; all their photos with $count_duplicates), and their estimated gender
// and age (NULL until `facegraph attributes` or `ingest --attributes` has run).
// :param since TIMESTAMP = NULL    count only photos taken at or after this time (EXIF date)
// :param until TIMESTAMP = NULL    count only photos taken before this time
// :param count_duplicates BOOL = false   count every photo, near-duplicates too
MATCH (p:Person)-[:APPEARS_IN]->(i:Image)
WHERE (CAST($since AS TIMESTAMP) IS NULL OR i.taken_at >= CAST($since AS TIMESTAMP))
  AND (CAST($until AS TIMESTAMP) IS NULL OR i.taken_at < CAST($until AS TIMESTAMP))
WITH p, count(DISTINCT CASE WHEN $count_duplicates THEN i.id ELSE i.moment END) AS photos
RETURN p.id AS person_id, p.name AS name, photos, p.gender AS gender,
       p.age AS age, p.birth_year AS birth_year
ORDER BY photos DESC, person_id;
