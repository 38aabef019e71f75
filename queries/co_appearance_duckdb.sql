-- The co-appearance pairs of co_appearance.cypher computed in DuckDB with a self-join, for
-- SQL users (and to compare the two engines: bench/graph.py), with the same columns.
-- :param min_photos BIGINT = 1     keep pairs that share at least this many photos
-- :param since TIMESTAMP = NULL    only photos taken at or after this time (EXIF date)
-- :param until TIMESTAMP = NULL    only photos taken before this time
SELECT a.person_id AS person_a, b.person_id AS person_b, count(*) AS photos,
       sum(1.0 / (p.people - 1)) AS newman, min(a.taken_at) AS first_seen,
       max(a.taken_at) AS last_seen, count(a.taken_at) AS dated
FROM appearances a
JOIN appearances b ON b.image_id = a.image_id AND a.person_id < b.person_id
JOIN network_photos p ON p.image_id = a.image_id
WHERE ($since IS NULL OR a.taken_at >= $since) AND ($until IS NULL OR a.taken_at < $until)
GROUP BY ALL
HAVING count(*) >= $min_photos
ORDER BY photos DESC, newman DESC, person_a, person_b;
