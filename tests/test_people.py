"""People on real photos in a real library: stable IDs, incremental runs, edits, undo, forget."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import astronaut, grace_hopper, query, side_by_side, variant
from PIL import Image

from facegraph import (
    cluster_people,
    forget_person,
    hide_person,
    ingest,
    list_people,
    merge_people,
    move_faces,
    name_person,
    reject_faces,
    undo,
)
from facegraph.cli import main
from facegraph.library import Library


def state(library):
    """Everything a person edit may touch."""
    return (
        query(library, "SELECT face_id, person_id, assigned_by, not_a_face FROM faces ORDER BY 1"),
        query(library, "SELECT person_id, name, hidden, created_at FROM people ORDER BY 1"),
        query(library, "SELECT * FROM face_rejections ORDER BY ALL"),
    )


def person_of(library, path_fragment):
    rows = query(
        library,
        "SELECT f.person_id FROM faces f JOIN images i USING (image_id)"
        " WHERE i.path LIKE ? ORDER BY f.box_left",
        [f"%{path_fragment}"],
    )
    return [r[0] for r in rows]


@pytest.fixture
def album(tmp_path):
    """Grace Hopper in 4 photos, the astronaut in 3, both together in one."""
    folder = tmp_path / "album"
    folder.mkdir()
    for i in range(4):
        variant(grace_hopper(), i).save(folder / f"grace{i}.jpg")
    for i in range(3):
        variant(astronaut(), 10 + i).save(folder / f"astro{i}.jpg")
    side_by_side(variant(grace_hopper(), 20), variant(astronaut(), 21)).save(folder / "pair.jpg")
    return folder


@pytest.fixture
def clustered(album, library):
    ingest([album], library, workers=1)
    report = cluster_people(library)
    assert (report.mode, report.new_people, report.unassigned) == ("full", 2, 0)
    return library


def test_each_person_is_found_and_the_pair_photo_links_both(clustered):
    grace = set(person_of(clustered, "grace%.jpg"))
    astro = set(person_of(clustered, "astro%.jpg"))
    assert len(grace) == 1 and len(astro) == 1 and grace != astro
    assert person_of(clustered, "pair.jpg") == [*grace, *astro]
    people = list_people(clustered)
    assert [(p["faces"], p["photos"]) for p in people] == [(5, 5), (4, 4)]
    assert all(p["representative_face_id"] is not None for p in people)


def test_rerun_changes_nothing(clustered):
    before = state(clustered)
    report = cluster_people(clustered)
    assert (report.mode, report.considered) == ("incremental", 0)
    assert state(clustered)[:2] == before[:2]


def test_new_photos_join_existing_people_and_touch_nothing_else(clustered, album):
    grace_id = person_of(clustered, "grace0.jpg")[0]
    name_person(clustered, grace_id, "Grace Hopper")
    old_faces = query(clustered, "SELECT face_id, person_id, assigned_by FROM faces ORDER BY 1")
    variant(grace_hopper(), 99).save(album / "grace_new.jpg")
    Image.new("RGB", (300, 300), (0, 120, 0)).save(album / "lawn.jpg")
    ingest([album], clustered, workers=1)
    report = cluster_people(clustered)
    assert (report.mode, report.considered, report.assigned_to_existing) == ("incremental", 1, 1)
    assert person_of(clustered, "grace_new.jpg") == [grace_id]
    old_ids = [f for f, _, _ in old_faces]
    after = query(
        clustered,
        "SELECT face_id, person_id, assigned_by FROM faces"
        " WHERE face_id IN (SELECT unnest(?)) ORDER BY 1",
        [old_ids],
    )
    assert after == old_faces


def test_names_and_edits_survive_a_full_recluster(clustered):
    grace_id = person_of(clustered, "grace0.jpg")[0]
    astro_id = person_of(clustered, "astro0.jpg")[0]
    name_person(clustered, grace_id, "Grace Hopper")
    name_person(clustered, astro_id, "Eileen Collins")
    # by hand: one astronaut photo is filed under Grace (a user's choice wins), and one Grace
    # photo is "not this person"
    moved = query(
        clustered,
        "SELECT face_id FROM faces f JOIN images i USING (image_id)"
        " WHERE i.path LIKE '%astro2.jpg'",
    )[0][0]
    rejected = query(
        clustered,
        "SELECT face_id FROM faces f JOIN images i USING (image_id)"
        " WHERE i.path LIKE '%grace3.jpg'",
    )[0][0]
    move_faces(clustered, [moved], grace_id)
    reject_faces(clustered, [rejected])
    for _ in range(2):
        cluster_people(clustered, full=True)
        names = {p["person_id"]: p["name"] for p in list_people(clustered)}
        assert names == {grace_id: "Grace Hopper", astro_id: "Eileen Collins"}
        assert person_of(clustered, "astro2.jpg") == [grace_id]
        assert person_of(clustered, "grace3.jpg") != [grace_id]
        assert person_of(clustered, "grace1.jpg") == [grace_id]


def test_undo_restores_the_previous_state_exactly(clustered):
    before = state(clustered)
    grace_id = person_of(clustered, "grace0.jpg")[0]
    astro_id = person_of(clustered, "astro0.jpg")[0]
    some_face = query(clustered, "SELECT min(face_id) FROM faces WHERE person_id = ?", [grace_id])
    name_person(clustered, grace_id, "Grace")
    hide_person(clustered, astro_id)
    reject_faces(clustered, [some_face[0][0]])
    new_person = move_faces(clustered, [some_face[0][0]])  # split into a new person
    assert new_person not in (grace_id, astro_id)
    merge_people(clustered, [astro_id], grace_id)
    assert state(clustered) != before
    assert undo(clustered, 5) == ["merge", "move", "not-this-person", "hide", "name"]
    assert state(clustered) == before


def test_forget_erases_every_encoding_and_crop_from_the_library_files(clustered):
    grace_id = person_of(clustered, "grace0.jpg")[0]
    name_person(clustered, grace_id, "Zelda Quixotic-Name")
    crops = [
        c
        for (c,) in query(clustered, "SELECT crop_jpeg FROM faces WHERE person_id = ?", [grace_id])
    ]
    assert len(crops) == 5
    assert forget_person(clustered, grace_id).faces_erased == 5
    left = query(
        clustered,
        "SELECT count(*) FROM faces WHERE forgotten AND encoding IS NULL"
        " AND crop_jpeg IS NULL AND person_id IS NULL",
    )
    assert left == [(5,)]
    assert grace_id not in {p["person_id"] for p in list_people(clustered, include_hidden=True)}
    files = [p for p in Path(clustered).rglob("*") if p.is_file()]
    blob = b"".join(p.read_bytes() for p in files)
    for crop in crops:
        assert crop[-300:-50] not in blob  # a slice of compressed image data is unique to it
    assert b"Zelda Quixotic-Name" not in blob
    cluster_people(clustered, full=True)  # forgotten faces never come back
    assert set(person_of(clustered, "grace%.jpg")) == {None}


def test_cli_people_commands(clustered, tmp_path):
    runner = CliRunner()

    def run(*args):
        result = runner.invoke(main, [*map(str, args), "--library", str(clustered)])
        assert result.exit_code == 0, result.output
        return result.stdout

    people = json.loads(run("people", "list", "--json"))
    first = people[0]["person_id"]
    run("people", "name", first, "Grace <b>Hopper</b>")
    shown = json.loads(run("people", "show", first, "--json"))
    assert shown["name"] == "Grace <b>Hopper</b>" and len(shown["faces_list"]) == 5
    assert "Grace <b>Hopper</b>" in run("people", "list")
    out = tmp_path / "Clusters"
    assert "2 mosaics" in run("people", "mosaic", "-o", out)
    sheet = Image.open(out / f"person_{first}.jpg")
    assert sheet.size == (3 * 96, 2 * 96)  # 5 faces tile as 3 x 2
    log = json.loads(run("people", "log", "--json"))
    assert [e["action"] for e in log[:2]] == ["name", "cluster"]
    assert "undone: name" in run("people", "undo")
    missing = runner.invoke(main, ["people", "name", "999", "x", "--library", str(clustered)])
    assert missing.exit_code == 1 and "no person 999" in missing.output


def test_forget_also_leaves_no_trace_in_the_graph(clustered):
    from facegraph.graph import graph_path, resolve_engine, sync

    grace_id = person_of(clustered, "grace0.jpg")[0]
    name_person(clustered, grace_id, "Yolanda Unforgettable")
    sync(clustered)
    graph_file = graph_path(clustered, resolve_engine())
    assert b"Yolanda Unforgettable" in b"".join(
        p.read_bytes() for p in Path(clustered).iterdir() if p.name.startswith(graph_file.name)
    )
    forget_person(clustered, grace_id)
    graph_bytes = b"".join(
        p.read_bytes() for p in Path(clustered).iterdir() if p.name.startswith(graph_file.name)
    )
    assert graph_bytes and b"Yolanda Unforgettable" not in graph_bytes


def _split_by_clustering(library, person, faces):
    """As if a clustering run had put some of a person's faces in a second person."""
    with Library.open(library, write=True) as lib:
        (other,) = lib.connection.execute(
            "INSERT INTO people DEFAULT VALUES RETURNING person_id"
        ).fetchall()[0]
        lib.connection.execute(
            "UPDATE faces SET person_id = ?, assigned_by = 'cluster'"
            " WHERE face_id IN (SELECT unnest(?))",
            [other, faces],
        )
    return other


def test_a_split_person_is_suggested_and_a_rejection_is_kept_by_every_run(clustered, tmp_path):
    import shutil

    from facegraph import keep_apart, suggest_people_for_faces, suggest_same_person

    (grace,) = set(person_of(clustered, "grace%.jpg"))
    faces = [f for (f,) in query(clustered, "SELECT face_id FROM faces WHERE person_id = ?",
                                  [grace])]  # fmt: skip
    other = _split_by_clustering(clustered, grace, faces[:2])
    (first, *_) = suggest_same_person(clustered)
    assert {first["person_a"], first["person_b"]} == {grace, other}
    assert first["confidence"] > 0.3
    control = tmp_path / "control"
    shutil.copytree(clustered, control)
    keep_apart(clustered, grace, other)
    assert not suggest_same_person(clustered)
    cluster_people(control, full=True)  # without the rejection the two become one again
    assert len(set(person_of(control, "grace%.jpg"))) == 1
    cluster_people(clustered, full=True)
    grace_people = {p for p in person_of(clustered, "grace%.jpg") + person_of(clustered, "pair%")}
    for person in grace_people:  # no person holds faces of both sides
        held = {f for (f,) in query(clustered, "SELECT face_id FROM faces WHERE person_id = ?",
                                     [person])}  # fmt: skip
        assert not (held & set(faces[:2]) and held & set(faces[2:]))
    assert undo(clustered) == ["apart"]  # clustering runs are not undone; the rejection is
    assert suggest_same_person(clustered)  # the pair is a suggestion again
    # a face with no person is suggested for the person it looks like
    with Library.open(clustered, write=True) as lib:
        lib.connection.execute("UPDATE faces SET person_id = NULL WHERE face_id = ?", [faces[3]])
    (suggestion,) = [s for s in suggest_people_for_faces(clustered) if s["face_id"] == faces[3]]
    assert suggestion["person_id"] == grace and suggestion["confidence"] > 0.3


def test_cli_suggest_and_apart(clustered):
    runner = CliRunner()
    (grace,) = set(person_of(clustered, "grace%.jpg"))
    faces = [f for (f,) in query(clustered, "SELECT face_id FROM faces WHERE person_id = ?",
                                  [grace])]  # fmt: skip
    other = _split_by_clustering(clustered, grace, faces[:2])
    listed = runner.invoke(main, ["people", "suggest", "--json", "--library", str(clustered)])
    assert listed.exit_code == 0, listed.output
    (pair,) = json.loads(listed.output)["same_person"]
    assert {pair["person_a"], pair["person_b"]} == {grace, other}
    done = runner.invoke(main, ["people", "apart", str(grace), str(other), "--library",
                                str(clustered)])  # fmt: skip
    assert done.exit_code == 0 and "kept apart" in done.output
    again = runner.invoke(main, ["people", "suggest", "--library", str(clustered)])
    assert again.output.strip() == "no suggestions"
