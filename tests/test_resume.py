"""A run killed at any moment resumes exactly; a second writer is turned away cleanly."""

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
from conftest import astronaut, grace_hopper, query, side_by_side, variant

from facegraph import Library, LibraryInUseError, ingest, stats

PHOTOS = 60


@pytest.fixture
def many_photos(tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(PHOTOS):
        if i % 3 == 2:
            image = side_by_side(variant(grace_hopper(), i), variant(astronaut(), i + 1000))
        else:
            image = variant(grace_hopper() if i % 2 else astronaut(), i)
        image.save(folder / f"{i:03d}.jpg", quality=90)
    return folder


def start_ingest(folder, library):
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "facegraph",
            "ingest",
            str(folder),
            "--library",
            str(library),
            "--workers",
            "1",
            "--progress",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def wait_for_progress(process, at_least: int, timeout: float = 120) -> None:
    """Read the progress bar until it shows `at_least` photos done."""
    os.set_blocking(process.stderr.fileno(), False)
    seen, deadline = b"", time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen += process.stderr.read() or b""
        done = [int(n) for n in re.findall(rb"(\d+)/%d" % PHOTOS, seen)]
        if done and max(done) >= at_least:
            return
        assert process.poll() is None, seen.decode(errors="replace")
        time.sleep(0.05)
    raise AssertionError("ingest made no progress")


def wait_for_a_commit(library, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if faces_per_image(library):
                return
        except Exception:  # not created yet, or the writer holds it this instant
            pass
        time.sleep(0.1)
    raise AssertionError("no batch was committed")


def faces_per_image(library):
    return query(
        library,
        "SELECT i.path, i.face_count, count(f.face_id) FROM images i"
        " LEFT JOIN faces f USING (image_id) GROUP BY ALL ORDER BY i.path",
    )


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGINT])
def test_killed_run_resumes_with_no_duplicates(many_photos, tmp_path, stop):
    library = tmp_path / "library"
    process = start_ingest(many_photos, library)
    wait_for_progress(process, PHOTOS // 3)
    wait_for_a_commit(library)  # stop it past at least one batch commit, with work left
    process.send_signal(stop)
    process.wait(timeout=60)
    if stop == signal.SIGINT:
        assert process.returncode == 130
        assert b"run the same command again" in process.stderr.read()

    partial = faces_per_image(library)
    assert 0 < len(partial) < PHOTOS, "the stop did not land mid-run"
    assert all(count == stored for _, count, stored in partial)

    report = ingest([many_photos], library, workers=2)
    assert report.new == PHOTOS - len(partial) and report.unchanged == len(partial)
    resumed = faces_per_image(library)
    assert len(resumed) == PHOTOS
    assert all(count == stored for _, count, stored in resumed)

    clean = tmp_path / "clean"
    ingest([many_photos], clean, workers=2)
    assert resumed == [(p, c, s) for p, c, s in faces_per_image(clean)]
    assert stats(library)["faces"] == stats(clean)["faces"]


def test_a_process_holding_the_file_makes_others_wait_then_say_so(photo_dir, library, monkeypatch):
    monkeypatch.setenv("FACEGRAPH_LOCK_TIMEOUT", "1")
    Library.open(library, write=True).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from facegraph import Library;"
            f"lib = Library.open({str(library)!r}, write=True); print('open', flush=True);"
            "time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout.readline().strip() == b"open"
        started = time.monotonic()
        with pytest.raises(
            LibraryInUseError, match=rf"library {library} is in use .*PID {holder.pid}"
        ):
            ingest([photo_dir], library, workers=1)
        assert time.monotonic() - started < 15
        done = subprocess.run(
            [sys.executable, "-m", "facegraph", "stats", "--library", str(library)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 1
        assert done.stderr.strip() == (
            f"Error: library {library} is in use by another process (PID {holder.pid}); "
            "wait for it to finish and try again"
        )
    finally:
        holder.kill()
        holder.wait()
    assert ingest([photo_dir], library, workers=1).processed == 4  # and the library is fine


@pytest.mark.slow
def test_reading_and_editing_go_on_while_an_ingest_runs(many_photos, photo_dir, tmp_path):
    """The ingest holds the file only while it writes a batch: readers and edits take turns
    with it, and a second ingest into the same library is refused at once."""
    library = tmp_path / "library"
    ingest([photo_dir], library, workers=1)  # people to edit
    from facegraph import cluster_people, name_person

    cluster_people(library, full=True)
    (person,) = query(library, "SELECT min(person_id) FROM people")[0]
    running = start_ingest(many_photos, library)
    try:
        wait_for_progress(running, 5)
        counts = []
        for _ in range(4):
            done = subprocess.run(
                [sys.executable, "-m", "facegraph", "stats", "--json", "--library", str(library)],
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert done.returncode == 0, done.stderr
            counts.append(json.loads(done.stdout)["images"])
        name_person(library, person, "Named during the ingest")
        second = subprocess.run(
            [sys.executable, "-m", "facegraph", "ingest", str(many_photos), "--library",
             str(library)],
            capture_output=True,
            text=True,
            timeout=60,
        )  # fmt: skip
        assert second.returncode == 1 and "in use" in second.stderr
        assert running.poll() is None, "the ingest should still be running"
        assert counts == sorted(counts) and counts[-1] < PHOTOS + 4
    finally:
        running.wait(timeout=600)
    assert running.returncode == 0
    assert query(library, "SELECT count(*) FROM images") == [(PHOTOS + 4,)]
    assert query(library, "SELECT name FROM people WHERE person_id = ?", [person]) == [
        ("Named during the ingest",)
    ]
