// The strongest ties of the network (or of one person), by Newman's weight: shared photos
// count 1/(n-1) each, n = people in the photo, so small gatherings weigh most.
// :param limit INT64 = 20          how many ties
// :param person_id INT64 = NULL    only this person's ties
MATCH (a:Person)-[:APPEARS_IN]->(i:Image)<-[:APPEARS_IN]-(b:Person)
WHERE a.id < b.id AND (CAST($person_id AS INT64) IS NULL OR a.id = CAST($person_id AS INT64)
       OR b.id = CAST($person_id AS INT64))
WITH a, b, count(*) AS photos, sum(1.0 / (i.people - 1)) AS newman
RETURN a.id AS person_a, a.name AS name_a, b.id AS person_b, b.name AS name_b, photos, newman
ORDER BY newman DESC, photos DESC, person_a, person_b
LIMIT $limit;
