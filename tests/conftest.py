"""Real photos for the tests.

Package-shipped photos (matplotlib's Grace Hopper, scikit-image's astronaut) run anywhere.
``../shared/faces`` is used where present and is required when ``CI=true``.
"""

from __future__ import annotations

import csv
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import matplotlib
import numpy as np
import pytest
import skimage.data
from PIL import Image

REPO = Path(__file__).resolve().parent.parent


@contextmanager
def read_library(library: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The library's DuckDB file, opened read-only as a user's own SQL client would."""
    con = duckdb.connect(str(Path(library) / "facegraph.duckdb"), read_only=True)
    try:
        yield con
    finally:
        con.close()


def query(library: Path, sql: str, params=()) -> list[tuple]:
    """The rows of one SQL statement on the library's DuckDB file."""
    with read_library(library) as con:
        return con.execute(sql, params).fetchall()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests on ../shared/faces are `shared` and `slow`: `pytest -m "not slow"` is the fast loop."""
    for item in items:
        if "shared_faces" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.shared)
            item.add_marker(pytest.mark.slow)
    # the longest tests first, so that the workers finish together (longest processing time
    # first) instead of one of them running a five-minute test alone at the end
    items.sort(key=lambda item: item.get_closest_marker("longest") is None)


def grace_hopper() -> Image.Image:
    path = Path(matplotlib.__file__).parent / "mpl-data" / "sample_data" / "grace_hopper.jpg"
    return Image.open(path).convert("RGB")


def astronaut() -> Image.Image:
    """Eileen Collins' head and shoulders (the full picture's suit patch fools HOG)."""
    return Image.fromarray(skimage.data.astronaut()[:300])


def side_by_side(*images: Image.Image, gap: int = 40) -> Image.Image:
    """One picture with every image in a row: a group photo of known people."""
    height = max(im.height for im in images)
    canvas = Image.new("RGB", (sum(im.width for im in images) + gap * (len(images) - 1), height))
    x = 0
    for im in images:
        canvas.paste(im, (x, 0))
        x += im.width + gap
    return canvas


def variant(image: Image.Image, seed: int) -> Image.Image:
    """A slightly different photo of the same face (crop and brightness), so files differ."""
    rng = np.random.default_rng(seed)
    dx, dy = (int(v) for v in rng.integers(0, 24, size=2))
    out = image.crop((dx, dy, image.width - 24 + dx, image.height - 24 + dy))
    gain = 0.9 + 0.2 * rng.random()
    return Image.eval(out, lambda v: min(255, int(v * gain)))


@pytest.fixture
def photo_dir(tmp_path: Path) -> Path:
    """A small folder of real photos: 2 single portraits, 1 two-person photo, 1 without faces."""
    folder = tmp_path / "photos"
    (folder / "trip").mkdir(parents=True)
    grace_hopper().save(folder / "grace.jpg", quality=92)
    astronaut().save(folder / "trip" / "astronaut.png")
    side_by_side(grace_hopper(), astronaut()).save(folder / "trip" / "pair.jpg", quality=92)
    Image.new("RGB", (400, 300), (90, 140, 200)).save(folder / "sky.jpg")
    return folder


@pytest.fixture
def library(tmp_path: Path) -> Path:
    return tmp_path / "library"


def shared_faces_dir() -> Path | None:
    configured = os.environ.get("FACEGRAPH_SHARED_FACES")
    candidate = Path(configured) if configured else REPO.parent / "shared" / "faces"
    return candidate if (candidate / "MANIFEST.csv").exists() else None


def lfw_dev_dir() -> Path:
    """../shared/lfw-dev (or $FACEGRAPH_SHARED_LFW): required in CI, a skip elsewhere."""
    folder = Path(os.environ.get("FACEGRAPH_SHARED_LFW", REPO.parent / "shared" / "lfw-dev"))
    if not (folder / "people").is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail("../shared/lfw-dev is missing, and CI must run the tests that need it")
        pytest.skip("../shared/lfw-dev not present (set FACEGRAPH_SHARED_LFW)")
    return folder


@pytest.fixture(scope="session")
def shared_faces() -> Path:
    found = shared_faces_dir()
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("../shared/faces is missing, and CI must run the tests that need it")
        pytest.skip("../shared/faces not present (set FACEGRAPH_SHARED_FACES)")
    return found


@pytest.fixture(scope="session")
def manifest(shared_faces: Path) -> list[dict[str, str]]:
    with open(shared_faces / "MANIFEST.csv", newline="") as handle:
        return list(csv.DictReader(handle))


#: screenshots and pages from the browser tests, kept for a person to look at
ARTEFACTS = REPO / "test-artefacts"


def chromium_path() -> str:
    """Debian's chromium (`.ci/run` installs it): required in CI, a skip elsewhere."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        for folder in os.environ.get("PATH", "").split(os.pathsep):
            if (Path(folder) / name).exists():
                return str(Path(folder) / name)
    if os.environ.get("CI") == "true":
        pytest.fail("chromium is missing; .ci/run installs Debian's chromium package")
    pytest.skip("chromium not installed (apt-get install chromium)")


@pytest.fixture(scope="session")
def browser():
    """Real Chromium driven by Playwright, offline, as a person would open a page."""
    path = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=path,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield launched
        launched.close()


@contextmanager
def open_page(browser, page: Path, width: int = 1400, height: int = 1000, ready: str | None = None):
    """The page in a fresh browser tab of `width` x `height`, once `ready` (a script; default:
    the network page's data is there) is true; fails on any script error or on any request
    that leaves the file."""
    context = browser.new_context(viewport={"width": width, "height": height})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on(
        "request",
        lambda request: (
            None
            if request.url.startswith(("file:", "data:"))
            else errors.append(f"request to {request.url}")
        ),
    )
    tab.goto(page.as_uri())
    tab.wait_for_function(ready or "window.facegraph !== undefined")
    try:
        yield tab
        assert errors == []
    finally:
        context.close()


def screenshot(tab, name: str) -> Path:
    ARTEFACTS.mkdir(exist_ok=True)
    path = ARTEFACTS / f"{name}.png"
    tab.screenshot(path=str(path))
    return path


@contextmanager
def served_app(library: Path):
    """The review app over `library` on a free port of this machine."""
    import uvicorn

    from facegraph.web.app import create_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(library), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
