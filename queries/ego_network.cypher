// The ego network of a person: everyone within `hops` co-appearance steps (a step is a shared
// photo), with the number of steps to reach them.
// :param person_id INT64           the person at the centre
// :param hops INT64 = 1            how many steps out (1 to 3)
MATCH (centre:Person {id: $person_id})-[e:APPEARS_IN* SHORTEST 1..6]-(other:Person)
WHERE length(e) <= 2 * $hops
RETURN other.id AS person_id, other.name AS name, other.photos AS photos,
       length(e) / 2 AS steps
ORDER BY steps, photos DESC, person_id;
