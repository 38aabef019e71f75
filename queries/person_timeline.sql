-- A person's timeline: photos per month (EXIF date; photos without a date are left out), and
-- who else appears in that month's photos.
-- :param person_id BIGINT          the person
SELECT date_trunc('month', a.taken_at)::DATE AS month,
       count(DISTINCT a.image_id) AS photos,
       count(DISTINCT o.person_id) AS other_people
FROM appearances a
LEFT JOIN appearances o ON o.image_id = a.image_id AND o.person_id <> a.person_id
WHERE a.person_id = $person_id AND a.taken_at IS NOT NULL
GROUP BY month
ORDER BY month;
