-- The co-appearance pairs of co_appearance.cypher computed in DuckDB with a self-join, for
-- SQL users (and to compare the two engines: bench/graph.py), with the same columns: each
-- moment (near-duplicate photos) counted once unless $count_duplicates.
-- :param min_photos BIGINT = 1     keep pairs that share at least this many moments
-- :param since TIMESTAMP = NULL    only photos taken at or after this time (EXIF date)
-- :param until TIMESTAMP = NULL    only photos taken before this time
-- :param count_duplicates BOOLEAN = false   count every photo, near-duplicates too
SELECT person_a, person_b, count(*) AS photos, sum(1.0 / (people - 1)) AS newman,
       min(first_taken) AS first_seen, max(last_taken) AS last_seen,
       count(first_taken) AS dated, sum(shots) AS shots
FROM (
    SELECT a.person_id AS person_a, b.person_id AS person_b,
           CASE WHEN $count_duplicates THEN a.image_id ELSE a.moment END AS moment,
           count(*) AS shots, max(p.people) AS people, min(a.taken_at) AS first_taken,
           max(a.taken_at) AS last_taken
    FROM appearances a
    JOIN appearances b ON b.image_id = a.image_id AND a.person_id < b.person_id
    JOIN network_photos p ON p.image_id = a.image_id
    WHERE ($since IS NULL OR a.taken_at >= $since) AND ($until IS NULL OR a.taken_at < $until)
    GROUP BY ALL
)
GROUP BY person_a, person_b
HAVING count(*) >= $min_photos
ORDER BY photos DESC, newman DESC, person_a, person_b;
