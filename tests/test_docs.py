"""The README stays short and true; the documentation site builds strict, covers every command,
public name and environment variable, and opens offline in Chromium; the README's screenshots
come from photos that may be shown anywhere (the ones shipped inside matplotlib and
scikit-image)."""

from __future__ import annotations

import functools
import http.server
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import click
import pytest
from conftest import (
    REPO,
    astronaut,
    grace_hopper,
    open_page,
    query,
    screenshot,
    served_app,
    side_by_side,
    variant,
)

import facegraph
from facegraph.cli import main

README = REPO / "README.md"
MAX_README_LINES = 150


def test_the_readme_is_short_and_opens_with_the_two_commands_ci_runs():
    lines = README.read_text("utf-8").splitlines()
    assert len(lines) <= MAX_README_LINES, len(lines)
    first_block = lines[lines.index("```bash") + 1 : lines.index("```")]
    commands = [line for line in first_block if line and not line.startswith("#")]
    assert len(commands) == 2 and commands[0].endswith("facegraph run ../shared/faces")
    # .ci/run takes the test command from the README: it must find exactly that line
    pattern = re.search(r"grep -m1 -E '([^']+)' README.md", (REPO / ".ci/run").read_text())
    assert pattern, ".ci/run no longer reads its test command from the README"
    matching = [line for line in lines if re.search(pattern.group(1), line)]
    assert matching[0] == commands[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The documentation site, built strict (a broken link or reference fails the build)."""
    out = tmp_path_factory.mktemp("site") / "site"
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=300,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return out


def _commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, command in sorted(group.commands.items()):
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


def test_every_command_and_public_name_has_a_reference_entry(site):
    cli = (site / "reference" / "cli.html").read_text("utf-8")
    missing = [" ".join(p) for p in _commands(main) if f"facegraph {' '.join(p)}" not in cli]
    assert not missing, missing
    api = (site / "reference" / "python.html").read_text("utf-8")
    exports = facegraph._EXPORTS
    missing = [n for n in facegraph.__all__ if f'id="{exports[n]}.{n}"' not in api]
    assert not missing, missing


def test_every_environment_variable_is_documented():
    read = set()
    for path in (REPO / "facegraph").rglob("*.py"):
        read |= set(re.findall(r"FACEGRAPH_[A-Z_]+", path.read_text("utf-8")))
    documented = (REPO / "docs" / "reference" / "configuration.md").read_text("utf-8")
    assert read and not [v for v in sorted(read) if f"`{v}`" not in documented]


def test_everything_the_readme_says_has_a_page(site):
    """Each page of the docs is in the built site, and the README links to pages that exist."""
    for page in (REPO / "docs").rglob("*.md"):
        built = site / page.relative_to(REPO / "docs").with_suffix(".html")
        assert built.exists(), built
    for link in re.findall(r"\]\((docs/[^)#]+\.md)", README.read_text("utf-8")):
        assert (REPO / link).exists(), link


@pytest.fixture
def served_site(site):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_the_site_opens_offline_and_its_search_works(served_site, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    outside: list[str] = []
    tab.on("request", lambda r: None if r.url.startswith(served_site) else outside.append(r.url))
    try:
        tab.goto(f"{served_site}/index.html")
        tab.wait_for_load_state("networkidle")
        assert "facegraph" in tab.title()
        screenshot(tab, "docs-home")
        tab.goto(f"{served_site}/reference/cli.html")
        tab.wait_for_load_state("networkidle")
        assert tab.locator("text=facegraph find").count() > 0
        screenshot(tab, "docs-cli-reference")
        tab.click("input.md-search__input")
        tab.keyboard.type("forget")
        tab.wait_for_selector(".md-search-result__item", timeout=15_000)
        assert tab.locator(".md-search-result__item").count() > 0
        screenshot(tab, "docs-search")
    finally:
        context.close()
    assert outside == []


def test_the_readme_screenshots_come_from_photos_that_may_be_shown(tmp_path, browser):
    """`python docs/screenshots.py` shrinks these into docs/images/."""
    photos = tmp_path / "photos"
    photos.mkdir()
    for seed in range(3):
        variant(grace_hopper(), seed).save(photos / f"grace-{seed}.jpg", quality=90)
        side_by_side(variant(grace_hopper(), 10 + seed), variant(astronaut(), seed)).save(
            photos / f"together-{seed}.jpg", quality=90
        )
    astronaut().save(photos / "astronaut.png")
    library = tmp_path / "library"
    facegraph.run([photos], library, progress=False)
    # the person in the astronaut's own photo is Eileen Collins; the other is Grace Hopper
    (collins,) = query(
        library,
        "SELECT DISTINCT f.person_id FROM faces f JOIN images i USING (image_id)"
        " WHERE i.path LIKE '%astronaut.png'",
    )[0]
    people = {p for (p,) in query(library, "SELECT person_id FROM people")}
    assert len(people) == 2, people
    facegraph.name_person(library, collins, "Eileen Collins")
    facegraph.name_person(library, (people - {collins}).pop(), "Grace Hopper")
    page = library / "network.html"
    facegraph.export_network(library, "html", page)
    with open_page(browser, page) as tab:
        assert tab.locator("text=Grace Hopper").count() > 0
        screenshot(tab, "readme-network")
    with served_app(library) as url:
        context = browser.new_context(viewport={"width": 1200, "height": 700})
        tab = context.new_page()
        try:
            tab.goto(f"{url}/people")
            tab.wait_for_load_state("networkidle")
            assert tab.locator(".grid .card").count() == 2
            screenshot(tab, "readme-review-app")
        finally:
            context.close()


def python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text("utf-8"), flags=re.S)


@pytest.mark.parametrize(
    "page", ["README.md", "docs/how-to/ingest.md", "docs/how-to/proof-and-publishing.md"]
)
def test_the_python_examples_run_as_written(page, tmp_path):
    """The examples as a reader copies them: `~` is a home holding the photos they name."""
    home = tmp_path / "home"
    for folder in ("Pictures/reunion", "Pictures/2024"):
        (home / folder).mkdir(parents=True)
        grace_hopper().save(home / folder / "grace.jpg", quality=90)
        side_by_side(variant(grace_hopper(), 1), astronaut()).save(home / folder / "pair.jpg")
    variant(grace_hopper(), 5).save(home / "ada.jpg", quality=90)  # what `find` looks for
    blocks = python_blocks(REPO / page)
    assert blocks
    for block in blocks:
        done = subprocess.run(
            [sys.executable, "-c", block], cwd=home, capture_output=True, text=True,
            timeout=600, env={**os.environ, "HOME": str(home)},
        )  # fmt: skip
        assert done.returncode == 0, f"{page}:\n{block}\n{done.stderr[-2000:]}"
    assert (home / "faces" / "facegraph.duckdb").exists()
