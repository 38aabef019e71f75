// How many moments (near-duplicate photos counted once; photos with $count_duplicates) each
// pair of people shares in each month (dated photos only): the tie's timeline. Months with no
// shared photo are left out.
// :param since TIMESTAMP = NULL    only photos taken at or after this time (EXIF date)
// :param until TIMESTAMP = NULL    only photos taken before this time
// :param count_duplicates BOOL = false   count every photo, near-duplicates too
MATCH (a:Person)-[:APPEARS_IN]->(i:Image)<-[:APPEARS_IN]-(b:Person)
WHERE a.id < b.id AND i.taken_at IS NOT NULL
  AND (CAST($since AS TIMESTAMP) IS NULL OR i.taken_at >= CAST($since AS TIMESTAMP))
  AND (CAST($until AS TIMESTAMP) IS NULL OR i.taken_at < CAST($until AS TIMESTAMP))
WITH a.id AS person_a, b.id AS person_b, date_part('year', i.taken_at) AS year,
     date_part('month', i.taken_at) AS month,
     CASE WHEN $count_duplicates THEN i.id ELSE i.moment END AS moment
RETURN person_a, person_b, year, month, count(DISTINCT moment) AS photos
ORDER BY person_a, person_b, year, month;
