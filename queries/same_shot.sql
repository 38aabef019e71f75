-- People seen in the same shot of a video but never together in it (one after the other): a
-- weaker tie than a shared photo or a stretch of footage in which both are seen, and not
-- counted in the network's weights. One row per pair and shot: the video, the second the shot
-- starts, and the shot's stretches in which each of the two is seen.
-- :param since TIMESTAMP = NULL    only shots dated at or after this time (the video's date)
-- :param until TIMESTAMP = NULL    only shots dated before this time
WITH seen AS (
    SELECT a.person_id, a.image_id, i.path, i.taken_at, i.shot_s,
           regexp_extract(i.path, '^(.*)#t=[^#]*$', 1) AS video
    FROM appearances a
    JOIN images i ON i.image_id = a.image_id
    WHERE i.kind = 'shot' AND i.shot_s IS NOT NULL AND i.missing_since IS NULL
      AND ($since IS NULL OR i.taken_at >= $since) AND ($until IS NULL OR i.taken_at < $until)
)
SELECT a.person_id AS person_a, b.person_id AS person_b, a.video, a.shot_s,
       list_distinct(list(a.path ORDER BY a.path)) AS seen_a,
       list_distinct(list(b.path ORDER BY b.path)) AS seen_b,
       min(least(a.taken_at, b.taken_at)) AS taken_at
FROM seen a
JOIN seen b ON b.video = a.video AND b.shot_s = a.shot_s AND a.person_id < b.person_id
GROUP BY ALL
HAVING count(*) FILTER (WHERE a.image_id = b.image_id) = 0
ORDER BY person_a, person_b, a.video, a.shot_s;
