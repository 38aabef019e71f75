// Pairs of people seen together between two dates (EXIF date of the photo), with how often
// and when first and last.
// :param since TIMESTAMP           from this time on, e.g. 2019-01-01
// :param until TIMESTAMP           up to (not including) this time, e.g. 2020-01-01
// :param min_photos INT64 = 1      keep pairs seen together at least this often
MATCH (a:Person)-[:APPEARS_IN]->(i:Image)<-[:APPEARS_IN]-(b:Person)
WHERE a.id < b.id AND i.taken_at >= $since AND i.taken_at < $until
WITH a, b, count(*) AS photos, min(i.taken_at) AS first_seen, max(i.taken_at) AS last_seen
WHERE photos >= $min_photos
RETURN a.id AS person_a, a.name AS name_a, b.id AS person_b, b.name AS name_b, photos,
       first_seen, last_seen
ORDER BY photos DESC, person_a, person_b;
