"""The command line under careless and hostile use: numbers out of range, Cypher that would
write files, output a terminal or a spreadsheet would obey, warnings of libraries."""

import io
import json
import socket
import struct
import subprocess
import sys

import pytest
from click.testing import CliRunner
from PIL import Image

from facegraph import ClusterParams, DetectionSettings, NetworkFilter, ingest, name_person
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


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        (ClusterParams, "threshold"),
        (ClusterParams, "attach_ratio"),
        (ClusterParams, "neighbours"),
        (DetectionSettings, "max_side"),
        (DetectionSettings, "jitters"),
        (NetworkFilter, "min_weight"),
        (NetworkFilter, "hops"),
    ],
)
def test_settings_numbers_are_checked_where_every_caller_meets_them(settings, field):
    with pytest.raises(ParameterError, match=field):
        settings(**{field: float("nan")})
    with pytest.raises(ValueError):  # a ParameterError is a ValueError for Python callers
        settings(**{field: -5})


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


def flip(path, offset: int, size: int = 4096) -> None:
    with open(path, "r+b") as handle:
        handle.seek(offset)
        data = handle.read(size)
        handle.seek(offset)
        handle.write(bytes(b ^ 0xFF for b in data))


def test_damage_anywhere_in_the_database_is_the_one_line_or_nothing(clustered, tmp_path):
    """A 4 KiB flip every 64 KiB (DuckDB's blocks are 256 KiB): opening and reading every
    table either works (nothing used that block) or ends in the one damaged-library line."""
    import shutil

    from facegraph.errors import LibraryDamagedError
    from facegraph.library import Library, verify_database

    database = clustered / "facegraph.duckdb"
    found = 0
    for offset in range(0, database.stat().st_size - 4096, 64 * 1024):
        copy = tmp_path / f"at-{offset}"
        copy.mkdir()
        shutil.copy(database, copy / "facegraph.duckdb")
        flip(copy / "facegraph.duckdb", offset)
        try:
            with Library.open(copy) as lib:
                verify_database(lib)
        except LibraryDamagedError as exc:
            found += 1
            assert str(copy / "facegraph.duckdb") in str(exc) and "\n" not in str(exc)
        shutil.rmtree(copy)
    assert found >= 2  # the header and the first data block at least


@pytest.mark.parametrize("damage", ["first data block", "truncated"])
def test_every_command_and_serve_say_a_damaged_database_in_one_line(clustered, damage):
    database = clustered / "facegraph.duckdb"
    if damage == "truncated":
        with open(database, "r+b") as handle:
            handle.truncate(database.stat().st_size // 2)
    else:
        flip(database, 3 * 4096)  # after DuckDB's 12 KiB of headers
    for command in (("stats",), ("people", "list"), ("cluster",), ("export", "html", "-o",
                    str(clustered.parent / "page.html"))):  # fmt: skip
        result = run(*command, "--library", clustered)
        if result.exit_code == 0:  # a truncation may spare what a command reads
            assert damage == "truncated"
            continue
        assert result.exit_code == 1, result.output
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert len(lines) == 1 and str(database) in lines[0] and "damaged" in lines[0], lines
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    served = subprocess.run(
        [sys.executable, "-m", "facegraph", "serve", "--library", str(clustered), "--port", port],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert served.returncode == 1
    assert served.stderr.strip().count("\n") == 0 and "damaged" in served.stderr
    assert served.stdout == ""  # it never said an address: it did not start


def test_the_graph_heals_from_what_a_cut_short_write_leaves_beside_it(clustered):
    import kuzu

    count = "MATCH (p:Person) RETURN count(p) AS people"
    first = run("cypher", count, "--library", clustered, "--json")
    assert first.exit_code == 0, first.output
    # what an older facegraph let `cypher "CHECKPOINT"` do on the read-only graph
    database = kuzu.Database(str(clustered / "graph.kuzu"), read_only=True)
    connection = kuzu.Connection(database)
    with pytest.raises(RuntimeError):
        connection.execute("CHECKPOINT")
    del connection, database
    leftovers = [clustered / "graph.kuzu.shadow", clustered / "graph.kuzu.wal"]
    assert any(p.exists() for p in leftovers)
    again = run("cypher", count, "--library", clustered, "--json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout) == json.loads(first.stdout)
    assert not any(p.exists() for p in leftovers)


def test_a_graph_that_cannot_be_written_is_one_line_naming_its_file(clustered, monkeypatch):
    import facegraph.graph

    def full_disk(*args, **kwargs):  # Kùzu's words when the disk is full
        raise RuntimeError("IO exception: Cannot write to file. Error: No space left on device")

    monkeypatch.setattr(facegraph.graph, "sync", full_disk)
    result = run("graph", "sync", "--library", clustered)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and str(clustered / "graph.kuzu") in lines[0], lines
