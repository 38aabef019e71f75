// Pairs of people who appear in the same photos, with two weights:
//   photos = how many photos both appear in;
//   newman = the sum over those photos of 1/(n-1), n = people in the photo (Newman 2001),
//            so a photo of two adds 1 and a 40-person group photo adds 1/39;
//   first_seen, last_seen = the dates of the first and last shared photo (NULL: all undated);
//   dated = how many of the shared photos have a date.
// :param min_photos INT64 = 1      keep pairs that share at least this many photos
// :param since TIMESTAMP = NULL    only photos taken at or after this time (EXIF date)
// :param until TIMESTAMP = NULL    only photos taken before this time
MATCH (a:Person)-[:APPEARS_IN]->(i:Image)<-[:APPEARS_IN]-(b:Person)
WHERE a.id < b.id
  AND (CAST($since AS TIMESTAMP) IS NULL OR i.taken_at >= CAST($since AS TIMESTAMP))
  AND (CAST($until AS TIMESTAMP) IS NULL OR i.taken_at < CAST($until AS TIMESTAMP))
WITH a, b, count(*) AS photos, sum(1.0 / (i.people - 1)) AS newman,
     min(i.taken_at) AS first_seen, max(i.taken_at) AS last_seen, count(i.taken_at) AS dated
WHERE photos >= $min_photos
RETURN a.id AS person_a, b.id AS person_b, photos, newman, first_seen, last_seen, dated
ORDER BY photos DESC, newman DESC, person_a, person_b;
