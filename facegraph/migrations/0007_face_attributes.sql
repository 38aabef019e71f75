-- Age and gender per face (facegraph/faces/attributes.py; `ingest --attributes`, `facegraph
-- attributes`), from dlib-models' age predictor and gender classifier. One row per face the
-- models have seen: an estimate, or `skipped` saying why there is none ('small', 'blurred',
-- 'photo unreadable'). Faces without a row have not been estimated yet. `forget` deletes the rows.
CREATE TABLE face_attributes (
    face_id          BIGINT PRIMARY KEY,
    age              REAL,              -- years: expectation over the model's 81 age classes
    age_spread       REAL,              -- years: standard deviation of that distribution
    male_probability REAL,              -- 0 = surely female, 1 = surely male
    model            VARCHAR NOT NULL,  -- which models made the estimate
    skipped          VARCHAR            -- why there is no estimate, or NULL
);

-- Per person, over their estimated faces: gender by the mean of the faces' probabilities (a
-- soft majority) with the mean probability of that gender as its confidence; the median age
-- over the photos; the birth year as the median of (photo date - age) over dated photos.
CREATE VIEW person_attributes AS
SELECT f.person_id,
       count(*) AS estimated_faces,
       CASE WHEN avg(a.male_probability) > 0.5 THEN 'male' ELSE 'female' END AS gender,
       round(greatest(avg(a.male_probability), 1 - avg(a.male_probability)), 3)
           AS gender_confidence,
       round(median(a.age)::DOUBLE, 1) AS age,
       CAST(round(median(year(i.taken_at) + (dayofyear(i.taken_at) - 1) / 365.25 - a.age)
                  FILTER (WHERE i.taken_at IS NOT NULL)) AS INTEGER) AS birth_year
FROM faces f
JOIN face_attributes a ON a.face_id = f.face_id
JOIN images i ON i.image_id = f.image_id
WHERE f.person_id IS NOT NULL AND NOT f.not_a_face AND NOT f.forgotten AND a.age IS NOT NULL
GROUP BY f.person_id;

-- people of the network, with how many photos they appear in and their attributes (NULL when
-- none of their faces has an estimate)
CREATE OR REPLACE VIEW network_people AS
SELECT n.person_id, n.name, n.photos, pa.gender, pa.gender_confidence, pa.age, pa.birth_year
FROM (
    SELECT p.person_id, p.name, count(*) AS photos
    FROM people p JOIN appearances a ON a.person_id = p.person_id
    GROUP BY p.person_id, p.name
) n
LEFT JOIN person_attributes pa ON pa.person_id = n.person_id;
