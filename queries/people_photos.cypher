// Every person of the network with the number of photos they appear in, and their estimated
// gender and age (NULL until `facegraph attributes` or `ingest --attributes` has run).
// :param since TIMESTAMP = NULL    count only photos taken at or after this time (EXIF date)
// :param until TIMESTAMP = NULL    count only photos taken before this time
MATCH (p:Person)-[:APPEARS_IN]->(i:Image)
WHERE (CAST($since AS TIMESTAMP) IS NULL OR i.taken_at >= CAST($since AS TIMESTAMP))
  AND (CAST($until AS TIMESTAMP) IS NULL OR i.taken_at < CAST($until AS TIMESTAMP))
RETURN p.id AS person_id, p.name AS name, count(*) AS photos, p.gender AS gender,
       p.age AS age, p.birth_year AS birth_year
ORDER BY photos DESC, person_id;
