// Every photo each person of the network appears in, with its date, how many people it shows
// its path and its moment (the network page's thumbnails and date filter).
// :param since TIMESTAMP = NULL    only photos taken at or after this time (EXIF date)
// :param until TIMESTAMP = NULL    only photos taken before this time
MATCH (p:Person)-[:APPEARS_IN]->(i:Image)
WHERE (CAST($since AS TIMESTAMP) IS NULL OR i.taken_at >= CAST($since AS TIMESTAMP))
  AND (CAST($until AS TIMESTAMP) IS NULL OR i.taken_at < CAST($until AS TIMESTAMP))
RETURN p.id AS person_id, i.id AS image_id, i.taken_at AS taken_at, i.people AS people,
       i.path AS path, i.moment AS moment
ORDER BY person_id, image_id;
