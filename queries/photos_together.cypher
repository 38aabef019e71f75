// Photos in which two people appear together, oldest first.
// :param person_a INT64            one person
// :param person_b INT64            the other person
MATCH (a:Person {id: $person_a})-[:APPEARS_IN]->(i:Image)<-[:APPEARS_IN]-(b:Person {id: $person_b})
RETURN i.id AS image_id, i.path AS path, i.taken_at AS taken_at, i.people AS people
ORDER BY taken_at, path;
