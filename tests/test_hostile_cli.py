"""The command line under careless and hostile use: numbers out of range, Cypher that would
write files, output a terminal or a spreadsheet would obey, warnings of libraries."""

import io
import json
import struct
import subprocess
import sys

import pytest
from click.testing import CliRunner
from PIL import Image

from facegraph import ClusterParams, ingest, name_person
from facegraph.cli import main
from facegraph.errors import ParameterError


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def clustered(photo_dir, library):
    ingest([photo_dir], library, workers=1, progress=False)
    assert run("cluster", "--library", library).exit_code == 0
    return library


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "99"])
def test_a_threshold_that_is_no_distance_is_refused_in_one_line(clustered, value):
    result = run("cluster", "--library", clustered, "--threshold", value, "--full")
    assert result.exit_code == 2
    assert "--threshold" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("field", ["threshold", "attach_ratio", "neighbours"])
def test_clustering_settings_are_checked_in_one_place(field):
    with pytest.raises(ParameterError, match=field):
        ClusterParams(**{field: float("nan")})
    with pytest.raises(ValueError):  # a ParameterError is a ValueError for Python callers
        ClusterParams(**{field: -5})


def test_a_read_only_cypher_checkpoint_is_refused_and_the_graph_still_answers(clustered):
    count = "MATCH (p:Person) RETURN count(p) AS people"
    first = run("cypher", count, "--library", clustered, "--json")
    assert first.exit_code == 0, first.output
    for statement in ("CHECKPOINT", "checkpoint;", "MATCH (p) RETURN p LIMIT 1; CHECKPOINT"):
        refused = run("cypher", statement, "--library", clustered)
        assert refused.exit_code == 1 and "CHECKPOINT writes" in refused.output
    assert run("cypher", "RETURN 'CHECKPOINT' AS word", "--library", clustered).exit_code == 0
    for command in (("graph", "sync"), ("cypher", count, "--json")):
        again = run(*command, "--library", clustered)
        assert again.exit_code == 0, again.output
    assert json.loads(again.stdout) == json.loads(first.stdout)


def test_csv_output_cannot_run_formulas_or_move_the_terminal(clustered):
    people = run("people", "list", "--library", clustered, "--json")
    first, second = (row["person_id"] for row in json.loads(people.stdout)[:2])
    name_person(clustered, first, '=HYPERLINK("http://evil.example")')
    name_person(clustered, second, "\x1b[2J\x1b[31mred")
    for command in (
        ("sql", "SELECT name FROM people WHERE name IS NOT NULL ORDER BY name"),
        ("cypher", "MATCH (p:Person) WHERE p.name IS NOT NULL RETURN p.name AS name ORDER BY name"),
    ):
        result = run(*command, "--library", clustered, "--csv")
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.stdout
        lines = result.stdout.splitlines()
        assert lines[0] == "name"
        assert all(not line.lstrip('"').startswith(("=", "+", "@")) for line in lines[1:])
        assert any("'=HYPERLINK" in line for line in lines)


def test_a_library_warning_is_one_note_not_lines_on_the_terminal(tmp_path):
    # EXIF whose one tag points past the end of the data: Pillow warns as it reads it
    entry = struct.pack("<H", 1) + struct.pack("<HHII", 0x010F, 2, 100, 4096) + b"\0" * 4
    exif = b"Exif\x00\x00II*\x00" + struct.pack("<I", 8) + entry
    photos = tmp_path / "photos"
    photos.mkdir()
    data = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 100, 50)).save(data, "JPEG", exif=exif)
    (photos / "odd exif.jpg").write_bytes(data.getvalue())
    done = subprocess.run(
        [sys.executable, "-m", "facegraph", "ingest", str(photos), "--library",
         str(tmp_path / "library")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    notes = [line for line in done.stderr.splitlines() if line.strip()]
    # Pillow's own words, once, as facegraph's one-line note (it does not say "EXIF")
    assert notes == [
        f"warning: {photos / 'odd exif.jpg'}: the image decoder warned: Truncated File Read"
    ]
