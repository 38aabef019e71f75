"""A finding can be produced again: the same photos, settings and edits give byte-identical
network files and equal run records (times aside), whatever order the photos were ingested in
and even when an ingest was killed and resumed."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys

import pytest
from test_resume import wait_for_a_commit

import facegraph
from facegraph.coappearance.manifest import comparable

#: a few people seen in portraits and group photos (Obama and Biden together), and the groups
PEOPLE = ("barack_obama", "joe_biden", "serena_williams", "venus_williams", "kofi_annan")


@pytest.fixture(scope="module")
def photo_folders(shared_faces, tmp_path_factory):
    root = tmp_path_factory.mktemp("photos")
    folders = []
    for name in PEOPLE:
        shutil.copytree(shared_faces / "people" / name, root / name)
        folders.append(root / name)
    shutil.copytree(shared_faces / "groups", root / "groups")
    folders.append(root / "groups")
    return root, folders


def network_files(library, out):
    facegraph.cluster_people(library)
    facegraph.name_person(library, 1, "First person")  # an edit, the same in every library
    files = facegraph.export_network(library, "csv", out / "net.csv")
    record = json.loads((out / "net.manifest.json").read_text("utf-8"))
    return [f.read_bytes() for f in files], record


@pytest.mark.slow
def test_ingest_order_and_a_killed_ingest_change_nothing_in_the_network(photo_folders, tmp_path):
    root, folders = photo_folders
    # one library in one go
    facegraph.ingest([root], tmp_path / "a", progress=False)
    # one folder at a time, in the reverse order
    for folder in reversed(folders):
        facegraph.ingest([folder], tmp_path / "b", progress=False)
    # killed once a batch was committed, then run again
    killed = subprocess.Popen(
        [sys.executable, "-m", "facegraph", "ingest", str(root), "--library",
         str(tmp_path / "c"), "--workers", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    wait_for_a_commit(tmp_path / "c")
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=60)
    resumed = facegraph.ingest([root], tmp_path / "c", progress=False)
    assert resumed.unchanged > 0 and resumed.new > 0, "the kill did not land mid-run"

    results = {}
    for name in "abc":
        out = tmp_path / f"out-{name}"
        out.mkdir()
        results[name] = network_files(tmp_path / name, out)
    (files_a, record_a), (files_b, record_b), (files_c, record_c) = results.values()
    assert files_a == files_b == files_c
    assert len(files_a[1].splitlines()) > 2  # the edges: a header and ties
    assert comparable(record_a) == comparable(record_b) == comparable(record_c)
    assert record_a["photos"]["count"] == sum(1 for _ in root.rglob("*.jpg"))
    assert record_a["edits"]["count"] == 1 and record_a["clustering"]["method"] == "consensus"
    assert (
        record_a["export"]["files"]["net.edges.csv"] == record_c["export"]["files"]["net.edges.csv"]
    )


def test_the_record_changes_with_what_produced_the_result(photo_dir, tmp_path):
    library = tmp_path / "library"
    facegraph.ingest([photo_dir], library, progress=False)
    facegraph.cluster_people(library)
    before = facegraph.manifest(library)
    assert (
        before["photos"]["count"] >= 1
        and before["models"]["dlib_face_recognition_resnet_model_v1.dat"]
    )
    facegraph.name_person(library, 1, "Ada")
    named = facegraph.manifest(library)
    assert named["edits"]["count"] == before["edits"]["count"] + 1
    assert named["edits"]["sha256"] != before["edits"]["sha256"]
    assert named["photos"] == before["photos"]
    facegraph.undo(library)
    assert comparable(facegraph.manifest(library))["edits"] == comparable(before)["edits"]
    facegraph.cluster_people(library, facegraph.ClusterParams(threshold=0.45), full=True)
    assert facegraph.manifest(library)["clustering"]["threshold"] == 0.45
