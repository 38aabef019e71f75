"""`facegraph find`: a person from a reference photo, everywhere in a real library (real dlib,
real DuckDB, real Kùzu), with confidence, accept and reject; the exact search's cache; bad input
in one line each."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import astronaut, grace_hopper, query, side_by_side, variant
from PIL import Image

from facegraph import cluster_people, find_faces, forget_person, ingest
from facegraph.cli import main
from facegraph.errors import FindError
from facegraph.find import confidence
from facegraph.find.matrix import CACHE_DIR, load_matrix
from facegraph.library import Library


@pytest.fixture
def searched(tmp_path: Path) -> tuple[Path, Path]:
    """A clustered library (Grace Hopper alone, with the astronaut, twice more) and a
    reference photo of Grace Hopper that is not in it."""
    photos = tmp_path / "photos"
    photos.mkdir()
    grace_hopper().save(photos / "grace.jpg", quality=92)
    variant(grace_hopper(), 1).save(photos / "grace-2.jpg", quality=90)
    side_by_side(variant(grace_hopper(), 2), astronaut()).save(photos / "pair.jpg", quality=92)
    astronaut().save(photos / "astronaut.png")
    library = tmp_path / "library"
    ingest([photos], library)
    cluster_people(library)
    reference = tmp_path / "reference.jpg"
    variant(grace_hopper(), 7).resize((400, 516)).save(reference, quality=85)
    return library, reference


def grace_faces(library: Path) -> set[int]:
    """The stored faces of Grace Hopper: every face of a photo with "grace" in its name, and
    the left face of the pair."""
    rows = query(
        library,
        "SELECT f.face_id, i.path, f.box_left FROM faces f JOIN images i USING (image_id)",
    )
    return {f for f, path, left in rows if "grace" in path or ("pair" in path and left < 400)}


def test_finds_every_face_of_the_person_and_no_one_else(searched):
    library, reference = searched
    result = find_faces(library, [reference])
    found = {m.face_id for m in result.matches}
    assert found == grace_faces(library)
    assert all(m.confidence >= 0.5 for m in result.matches)
    assert [m.distance for m in result.matches] == sorted(m.distance for m in result.matches)
    assert result.query_faces[0].used and result.query_faces[0].faces_in_photo == 1
    # grouped by person: they are all one clustered person
    assert len(result.by_person()) == 1
    assert result.summary().startswith("found in 3 photos: 3 already Person")


def test_the_reference_photo_itself_is_left_out_and_said(searched):
    library, _ = searched
    grace = next(p for p in query(library, "SELECT path FROM images") if "grace.jpg" in p[0])[0]
    result = find_faces(library, [grace])
    assert grace not in {m.path for m in result.matches}
    assert len(result.matches) == 2
    assert any("reference photo is in the library" in note for note in result.notes)


def test_a_face_is_picked_by_number_and_a_group_photo_says_which(searched, tmp_path):
    library, _ = searched
    group = tmp_path / "group.jpg"
    side_by_side(astronaut(), variant(grace_hopper(), 9)).save(group, quality=90)
    largest = find_faces(library, [group])  # Grace Hopper's face is the larger
    assert [q.used for q in largest.query_faces] == [False, True]
    assert {m.face_id for m in largest.matches} == grace_faces(library)
    first = find_faces(library, [group], face=1)  # the astronaut
    assert first.matches and not {m.face_id for m in first.matches} & grace_faces(library)
    with pytest.raises(FindError, match="has 2 face"):
        find_faces(library, [group], face=3)


def test_several_references_and_stored_faces_combine(searched):
    library, reference = searched
    one = find_faces(library, [reference], min_confidence=0.0, top=50)
    stored = sorted(grace_faces(library))[0]
    both = find_faces(library, [reference], face_ids=[stored], min_confidence=0.0, top=50)
    assert stored not in {m.face_id for m in both.matches}  # a reference is no match
    by_one = {m.face_id: m.distance for m in one.matches}
    for m in both.matches:  # the mean of the two references' distances
        own = float(np.linalg.norm(encoding_of(library, stored) - encoding_of(library, m.face_id)))
        assert m.distance == pytest.approx((by_one[m.face_id] + own) / 2, abs=2e-4)


def encoding_of(library: Path, face_id: int) -> np.ndarray:
    return np.array(query(library, "SELECT encoding FROM faces WHERE face_id = ?", [face_id])[0][0])


def test_min_confidence_top_and_dates_narrow_the_matches(searched):
    library, reference = searched
    everything = find_faces(library, [reference], min_confidence=0.0)
    assert len(everything.matches) == 5  # the astronaut's two faces too, at confidence ~0
    assert [m.confidence < 0.05 for m in everything.matches] == [False] * 3 + [True] * 2
    assert len(find_faces(library, [reference], top=1).matches) == 1
    from datetime import datetime

    undated = find_faces(library, [reference], since=datetime(2000, 1, 1))
    assert undated.matches == []  # none of these photos has a date


def test_the_matrix_is_cached_rebuilt_when_faces_change_and_removed_on_forget(searched, tmp_path):
    library, reference = searched
    find_faces(library, [reference])
    cache = library / CACHE_DIR
    state = json.loads((cache / "state.json").read_text())
    with Library.open(library) as lib:
        matrix = load_matrix(lib.connection, lib.path)
        assert isinstance(matrix.encodings, np.memmap)  # read from the cache
        stored = np.array([encoding_of(library, int(f)) for f in matrix.face_ids], dtype=np.float32)
        assert np.array_equal(np.asarray(matrix.encodings), stored)
    more = tmp_path / "more"
    more.mkdir()
    variant(grace_hopper(), 11).save(more / "grace-3.jpg")
    ingest([more], library)
    find_faces(library, [reference])
    assert json.loads((cache / "state.json").read_text()) != state
    assert len(find_faces(library, [reference]).matches) == 4
    person = find_faces(library, [reference]).matches[0].person_id
    theirs = {
        f for (f,) in query(library, "SELECT face_id FROM faces WHERE person_id = ?", [person])
    }
    forget_person(library, person)
    assert not cache.exists()  # no encoding of a forgotten person stays behind
    after = find_faces(library, [reference])
    assert after.matches and not {m.face_id for m in after.matches} & theirs


def test_assign_and_reject_from_the_command_line(searched):
    library, reference = searched
    runner = CliRunner()
    listed = runner.invoke(main, ["find", str(reference), "--library", str(library), "--json"])
    assert listed.exit_code == 0, listed.output
    data = json.loads(listed.output)
    assert set(data["matches"][0]) >= {
        "face_id",
        "path",
        "person_id",
        "name",
        "distance",
        "confidence",
        "taken_at",
        "box",
    }
    faces = [m["face_id"] for m in data["matches"]]
    wrong = faces[-1]
    done = runner.invoke(
        main,
        [
            "find",
            str(reference),
            "--library",
            str(library),
            "--assign",
            "Grace Hopper",
            "--reject",
            str(wrong),
        ],
    )
    assert done.exit_code == 0, done.output
    rows = query(
        library,
        "SELECT person_id, assigned_by FROM faces WHERE face_id IN (SELECT unnest(?))",
        [faces[:-1]],
    )
    (person,) = {p for p, _ in rows}
    assert {by for _, by in rows} == {"user"}
    assert query(library, "SELECT name FROM people WHERE person_id = ?", [person]) == [
        ("Grace Hopper",)
    ]
    assert query(library, "SELECT person_id FROM faces WHERE face_id = ?", [wrong]) != [(person,)]
    # the rejected face is never proposed for her again, and clustering keeps it out
    again = find_faces(library, [reference], for_person=person)
    assert wrong not in {m.face_id for m in again.matches}
    cluster_people(library, full=True)
    assert query(library, "SELECT person_id FROM faces WHERE face_id = ?", [wrong]) != [(person,)]
    # undo takes it back
    assert runner.invoke(main, ["people", "undo", "--library", str(library)]).exit_code == 0
    assert query(library, "SELECT count(*) FROM face_rejections") == [(0,)]


def test_forgetting_a_person_found_by_name_leaves_the_name_nowhere(searched):
    library, reference = searched
    args = ["find", str(reference), "--library", str(library), "--assign", "Grace Hopper"]
    assert CliRunner().invoke(main, args).exit_code == 0
    (person,) = query(library, "SELECT person_id FROM people WHERE name = 'Grace Hopper'")[0]
    forget_person(library, person)
    assert query(library, "SELECT count(*) FROM edits WHERE detail LIKE '%Grace%'") == [(0,)]
    # a search that finds nobody makes no empty person of the name
    nobody = ["find", str(reference), "--library", str(library), "--assign", "Nobody",
              "--min-confidence", "1"]  # fmt: skip
    assert CliRunner().invoke(main, nobody).exit_code == 0
    assert query(library, "SELECT count(*) FROM people WHERE name = 'Nobody'") == [(0,)]


@pytest.mark.parametrize("case", ["no face", "not an image", "missing", "empty library"])
def test_bad_input_is_one_line(tmp_path, searched, case):
    library, reference = searched
    photo = tmp_path / "bad.jpg"
    if case == "no face":
        Image.new("RGB", (300, 200), (90, 140, 200)).save(photo)
    elif case == "not an image":
        photo.write_text("hello")
    elif case == "empty library":
        library = tmp_path / "empty"
        Library.open(library, write=True).close()
        photo = reference
    args = ["find", str(photo), "--library", str(library)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    message = result.output.strip().splitlines()
    assert len(message) == 1 and message[0].startswith("Error: "), result.output
    if case != "empty library":
        assert str(photo) in message[0] or photo.name in message[0]
    else:
        assert "holds no faces" in message[0]


def test_the_confidence_table_falls_with_distance_and_has_a_threshold():
    grid = np.linspace(0, 1.2, 121)
    values = confidence.confidence(grid)
    assert np.all(np.diff(values) <= 0) and values[0] > 0.99 and values[-1] == 0
    limit = confidence.distance_for(0.5)
    assert confidence.confidence(limit) >= 0.5 > confidence.confidence(limit + 0.01)


def test_identify_on_several_processes_prints_the_same_lines_in_the_same_order(tmp_path):
    known, photos = tmp_path / "known", tmp_path / "photos"
    known.mkdir()
    photos.mkdir()
    grace_hopper().save(known / "Grace Hopper.jpg")
    astronaut().save(known / "Eileen Collins.jpg")
    side_by_side(variant(grace_hopper(), 3), variant(astronaut(), 4)).save(photos / "a-pair.jpg")
    variant(grace_hopper(), 9).save(photos / "b-grace.jpg")
    Image.new("RGB", (300, 200), (80, 120, 160)).save(photos / "c-sky.jpg")
    (photos / "d-notes.jpg").write_text("not a photo")
    args = ["identify", str(known), str(photos), "--model", "auto"]
    one = CliRunner().invoke(main, args)
    every = CliRunner().invoke(main, [*args, "--cpus", "-1"])
    assert one.exit_code == 0 and every.exit_code == 0, one.output + every.output
    assert every.output == one.output
    lines = one.output.splitlines()
    named = sorted(tuple(line.rsplit(",", 1)) for line in lines if not line.startswith("WARN"))
    assert [(Path(path).name, name) for path, name in named] == [
        ("a-pair.jpg", "Eileen Collins"), ("a-pair.jpg", "Grace Hopper"),
        ("b-grace.jpg", "Grace Hopper"), ("c-sky.jpg", "no_persons_found"),
    ]  # fmt: skip
    assert any("d-notes.jpg" in line and "Ignoring file" in line for line in lines)
