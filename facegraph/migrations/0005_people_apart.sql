-- "These two are different people": a rejected suggestion, remembered so that it is never
-- suggested again and no clustering run puts the two together. person_a < person_b.
CREATE TABLE people_apart (
    person_a   BIGINT NOT NULL,
    person_b   BIGINT NOT NULL,
    decided_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (person_a, person_b)
);
