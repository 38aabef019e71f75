// Every person of the network with the number of photos they appear in.
// :param since TIMESTAMP = NULL    count only photos taken at or after this time (EXIF date)
// :param until TIMESTAMP = NULL    count only photos taken before this time
MATCH (p:Person)-[:APPEARS_IN]->(i:Image)
WHERE (CAST($since AS TIMESTAMP) IS NULL OR i.taken_at >= CAST($since AS TIMESTAMP))
  AND (CAST($until AS TIMESTAMP) IS NULL OR i.taken_at < CAST($until AS TIMESTAMP))
RETURN p.id AS person_id, p.name AS name, count(*) AS photos
ORDER BY photos DESC, person_id;
