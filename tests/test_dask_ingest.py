"""`ingest --scheduler`: the per-photo work on Dask workers in other processes, the writing
here; the same library as a local ingest, whatever is killed on the way."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import astronaut, grace_hopper, query
from test_video import scene, write_video

pytest.importorskip("distributed", reason="the dask extra: pip install -e '.[test,dask]'")


def facegraph(*args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "facegraph", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def faces_of(library: Path) -> dict[tuple[str, int], np.ndarray]:
    rows = query(
        library,
        "SELECT i.path, f.face_index, f.encoding FROM faces f JOIN images i USING (image_id)",
    )
    return {(path, index): np.asarray(encoding) for path, index, encoding in rows}


def assert_same_library(a: Path, b: Path) -> None:
    photos = "SELECT path, status, face_count FROM images ORDER BY path"
    assert query(a, photos) == query(b, photos)
    faces_a, faces_b = faces_of(a), faces_of(b)
    assert faces_a.keys() == faces_b.keys()
    assert max(np.abs(faces_a[k] - faces_b[k]).max() for k in faces_a) <= 1e-4
    # no photo or face stored twice
    assert query(a, "SELECT count(*) = count(DISTINCT path) FROM images") == [(True,)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def dask_command() -> str:
    found = shutil.which("dask", path=str(Path(sys.executable).parent))
    assert found, "the dask command comes with the dask extra"
    return found


@pytest.fixture
def cluster(tmp_path):
    """A real scheduler and two single-thread workers, each its own process, on loopback."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    common = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "cwd": tmp_path}
    scheduler = subprocess.Popen(
        [dask_command(), "scheduler", "--host", "127.0.0.1", "--port", str(port),
         "--no-dashboard"], **common,
    )  # fmt: skip
    workers = [
        subprocess.Popen(
            [
                dask_command(),
                "worker",
                address,
                "--nthreads",
                "1",
                "--no-nanny",
                "--no-dashboard",
                "--name",
                f"w{i}",
            ],
            **common,
        )  # fmt: skip
        for i in range(2)
    ]
    deadline = time.monotonic() + 120
    from distributed import Client

    while True:
        try:
            with Client(address, timeout=5) as client:
                if len(client.nthreads()) == 2:
                    break
        except OSError:
            pass
        assert time.monotonic() < deadline, "the Dask cluster did not come up"
        time.sleep(1)
    yield address, workers
    for process in [*workers, scheduler]:
        process.kill()
        process.wait(timeout=30)


def stored_photos(library: Path) -> int:
    try:
        return query(library, "SELECT count(*) FROM images")[0][0]
    except Exception:  # not there yet, or the writer holds it this instant
        return 0


def test_kills_on_a_real_cluster_end_in_the_local_library(shared_faces, cluster, tmp_path):
    address, workers = cluster
    local, remote = tmp_path / "local", tmp_path / "remote"
    assert facegraph("ingest", str(shared_faces), "--library", str(local)).returncode == 0

    # the client is killed (kill -9) once some photos are committed
    client = subprocess.Popen(
        [sys.executable, "-m", "facegraph", "ingest", str(shared_faces), "--library",
         str(remote), "--scheduler", address],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 600
    while stored_photos(remote) < 20 and client.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.5)
    client.send_signal(signal.SIGKILL)
    client.wait(timeout=30)
    first = stored_photos(remote)
    assert 0 < first < 149

    # the rerun loses a worker half way: Dask runs its photos on the other one
    rerun = subprocess.Popen(
        [sys.executable, "-m", "facegraph", "ingest", str(shared_faces), "--library",
         str(remote), "--scheduler", address, "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    while stored_photos(remote) < first + 10 and rerun.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.5)
    workers[0].kill()
    out, errors = rerun.communicate(timeout=900)
    assert rerun.returncode == 0, errors
    report = json.loads(out)
    assert report["processed"] == report["scanned"] - first  # the rest, once each
    assert_same_library(remote, local)
    # and a run after that has nothing to do
    again = json.loads(
        facegraph(
            "ingest", str(shared_faces), "--library", str(remote), "--scheduler", address, "--json"
        ).stdout  # fmt: skip
    )
    assert again["processed"] == 0


def test_a_local_dask_cluster_gives_the_local_library(photo_dir, tmp_path):
    local, on_dask = tmp_path / "local", tmp_path / "dask"
    grace, eileen = grace_hopper(), astronaut()
    write_video(photo_dir / "clip.mp4", [(scene(grace), 2), (scene(grace, eileen), 2)])
    assert facegraph("ingest", str(photo_dir), "--library", str(local)).returncode == 0
    done = facegraph("ingest", str(photo_dir), "--library", str(on_dask), "--scheduler", "local")
    assert done.returncode == 0, done.stderr
    assert_same_library(on_dask, local)
    tracks = "SELECT path, start_s, end_s FROM faces JOIN images USING (image_id) ORDER BY ALL"
    assert query(on_dask, tracks) == query(local, tracks)
    assert query(local, "SELECT count(*) FROM images WHERE kind = 'shot'") == [(1,)]


def test_an_unreachable_scheduler_is_one_line(photo_dir, library):
    done = facegraph(
        "ingest", str(photo_dir), "--library", str(library),
        "--scheduler", f"tcp://127.0.0.1:{free_port()}",
    )  # fmt: skip
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: cannot reach the Dask scheduler at")
    assert stored_photos(library) == 0 or query(library, "SELECT count(*) FROM faces") == [(0,)]


def test_the_environment_names_the_scheduler(photo_dir, library):
    env = {**os.environ, "FACEGRAPH_SCHEDULER": f"tcp://127.0.0.1:{free_port()}"}
    done = subprocess.run(
        [sys.executable, "-m", "facegraph", "ingest", str(photo_dir), "--library", str(library)],
        capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert done.returncode == 1 and "cannot reach the Dask scheduler" in done.stderr
