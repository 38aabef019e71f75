// Photos in which all the given people appear (AND), oldest first, undated ones last, with how
// many other named people each shows.
// :param people INT64[]            the people, by ID: 3,7,12
// :param alone BOOL = false        true: only photos in which nobody else named appears
MATCH (p:Person)-[:APPEARS_IN]->(i:Image)
WHERE list_contains($people, p.id)
WITH i, count(DISTINCT p.id) AS present
WHERE present = size(list_distinct($people))
OPTIONAL MATCH (o:Person)-[:APPEARS_IN]->(i)
WHERE NOT list_contains($people, o.id) AND o.name IS NOT NULL AND o.name <> ''
WITH i, count(o) AS others_named
WHERE $alone = false OR others_named = 0
RETURN i.id AS image_id, i.path AS path, i.taken_at AS taken_at, i.people AS people,
       others_named
ORDER BY i.taken_at IS NULL, taken_at, path;
