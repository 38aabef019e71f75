// Pairs of people who appear in the same photos, with two weights, counting each moment once
// (near-duplicates: a burst of shots, the same photo recompressed or resized; see `moment`):
//   photos = how many moments both appear in (all their photos with $count_duplicates);
//   newman = the sum over those moments of 1/(n-1), n = people in the moment's fullest photo
//            (Newman 2001), so a photo of two adds 1 and a 40-person group photo adds 1/39;
//   first_seen, last_seen = the dates of the first and last shared photo (NULL: all undated);
//   dated = how many of the shared moments have a date;
//   shots = how many photos both appear in, duplicates included.
// :param min_photos INT64 = 1      keep pairs that share at least this many moments
// :param since TIMESTAMP = NULL    only photos taken at or after this time (EXIF date)
// :param until TIMESTAMP = NULL    only photos taken before this time
// :param count_duplicates BOOL = false   count every photo, near-duplicates too
MATCH (a:Person)-[:APPEARS_IN]->(i:Image)<-[:APPEARS_IN]-(b:Person)
WHERE a.id < b.id
  AND (CAST($since AS TIMESTAMP) IS NULL OR i.taken_at >= CAST($since AS TIMESTAMP))
  AND (CAST($until AS TIMESTAMP) IS NULL OR i.taken_at < CAST($until AS TIMESTAMP))
WITH a, b, CASE WHEN $count_duplicates THEN i.id ELSE i.moment END AS moment,
     count(*) AS shots, max(i.people) AS people, min(i.taken_at) AS first_taken,
     max(i.taken_at) AS last_taken
WITH a, b, count(*) AS photos, sum(1.0 / (people - 1)) AS newman,
     min(first_taken) AS first_seen, max(last_taken) AS last_seen, count(first_taken) AS dated,
     sum(shots) AS shots
WHERE photos >= $min_photos
RETURN a.id AS person_a, b.id AS person_b, photos, newman, first_seen, last_seen, dated, shots
ORDER BY photos DESC, newman DESC, person_a, person_b;
