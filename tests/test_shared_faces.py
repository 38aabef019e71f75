"""Real labelled photos from ../shared/faces (always present in CI)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest


def cli_json(*args: str) -> dict:
    """Run the real `facegraph` command in a subprocess and parse its --json output."""
    done = subprocess.run(
        [sys.executable, "-m", "facegraph.cli", *args, "--json"],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def shared_library(shared_faces, tmp_path_factory) -> Path:
    library = tmp_path_factory.mktemp("shared") / "library"
    cli_json("ingest", str(shared_faces), "--library", str(library))
    return library


def counts(library):
    con = duckdb.connect(str(library / "facegraph.duckdb"), read_only=True)
    try:
        return dict(con.execute("SELECT path, face_count FROM images").fetchall())
    finally:
        con.close()


def test_every_photo_is_stored_without_errors(shared_library, shared_faces, manifest):
    data = cli_json("stats", "--library", str(shared_library))
    assert data["images"] == len(manifest) and data["errors"] == 0
    assert data["faces"] >= sum(int(r["hog_faces"] or 0) for r in manifest) - 5


def test_group_photo_face_counts_match_the_manifest(shared_library, shared_faces, manifest):
    found = counts(shared_library)
    off = []
    for row in manifest:
        if not row["path"].startswith("groups/"):
            continue
        got = found[os.path.join(str(shared_faces), row["path"])]
        hog = int(row["hog_faces"])
        # dlib's HOG detector at the old tool's scale: the manifest's HOG count, give or take one
        # face in a crowd, and never more faces than the photo has
        if abs(got - hog) > max(1, hog // 10) or (
            row["expected_faces"] and got > int(row["expected_faces"]) + 1
        ):
            off.append((row["path"], got, hog, row["expected_faces"]))
    assert off == []


def test_every_labelled_portrait_has_its_face(shared_library, shared_faces, manifest):
    found = counts(shared_library)
    missing = [
        row["path"]
        for row in manifest
        if row["path"].startswith("people/")
        and found[os.path.join(str(shared_faces), row["path"])] < 1
    ]
    assert missing == []


def test_rerun_on_the_shared_photos_adds_nothing(shared_library, shared_faces):
    report = cli_json("ingest", str(shared_faces), "--library", str(shared_library))
    assert report["processed"] == 0 and report["unchanged"] == report["scanned"]
