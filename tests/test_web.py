"""`facegraph serve`: the pages over HTTP (Starlette's test client) and as a person uses them
(real Chromium against a real server), with DuckDB checked after every change."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote

import pytest
from conftest import query, screenshot, served_app

from facegraph.web.app import create_app

starlette_testclient = pytest.importorskip("starlette.testclient")


def facegraph(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "facegraph", *args], capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def small_library(tmp_path_factory) -> Path:
    from conftest import astronaut, grace_hopper, side_by_side

    folder = tmp_path_factory.mktemp("photos")
    grace_hopper().save(folder / "grace.jpg", quality=92)
    astronaut().save(folder / "astronaut.png")
    side_by_side(grace_hopper(), astronaut()).save(folder / "pair.jpg", quality=92)
    library = folder.parent / "library"
    facegraph("ingest", str(folder), "--library", str(library))
    facegraph("cluster", "--library", str(library))
    return library


@pytest.fixture
def client(small_library, tmp_path):
    library = tmp_path / "library"
    shutil.copytree(small_library, library)
    app = create_app(library)
    with starlette_testclient.TestClient(app, base_url="http://127.0.0.1:8765") as web:
        web.library = library
        web.token = app.state.site.token
        yield web


def post(client, path: str, data: dict, *, token: str | None = "", origin: str | None = None):
    headers = {"origin": origin} if origin else {}
    if token is not None:
        data = {**data, "csrf": token or client.token}
    return client.post(path, data=data, headers=headers, follow_redirects=False)


def names(library: Path) -> dict[int, str | None]:
    return dict(query(library, "SELECT person_id, name FROM people"))


# ---------------------------------------------------------------- over HTTP


def test_every_page_answers(client):
    person = min(names(client.library))
    image = query(client.library, "SELECT min(image_id) FROM images")[0][0]
    face = query(client.library, "SELECT min(face_id) FROM faces")[0][0]
    for path in ["/", "/people", f"/people/{person}", "/review", f"/photos/{image}", "/network"]:
        page = client.get(path)
        assert page.status_code == 200, path
        assert "<html" in page.text
    assert client.get(f"/faces/{face}.jpg").headers["content-type"] == "image/jpeg"
    assert client.get(f"/photos/{image}/image").content[:2] in (b"\xff\xd8", b"\x89P")
    assert client.get("/people/999999").status_code == 404
    assert client.get("/photos/999999/image").status_code == 404
    assert client.get("/jobs/ingest").json() == {"running": False}


def test_the_evidence_sheet_of_a_tie_is_served_without_scripts(client):
    pair = query(
        client.library,
        "SELECT min(a.person_id), max(a.person_id) FROM appearances a GROUP BY a.image_id"
        " HAVING count(*) = 2 LIMIT 1",
    )[0]
    page = client.get(f"/evidence?people={pair[0]},{pair[1]}")
    assert page.status_code == 200 and "SHA-256" in page.text and "<script" not in page.text
    assert "script-src" not in page.headers["content-security-policy"]
    assert client.get("/evidence?people=999999").status_code == 404
    assert client.get("/evidence").status_code == 400


def test_changes_need_this_servers_token_and_origin(client):
    person = min(names(client.library))
    before = names(client.library)
    for answer in (
        post(client, f"/people/{person}/name", {"name": "Mallory"}, token=None),
        post(client, f"/people/{person}/name", {"name": "Mallory"}, token="forged"),
        post(client, f"/people/{person}/name", {"name": "Mallory"}, origin="http://evil.example"),
    ):
        assert answer.status_code == 403
    assert names(client.library) == before
    done = post(client, f"/people/{person}/name", {"name": "Grace"}, origin="http://127.0.0.1:8765")
    assert done.status_code == 303 and names(client.library)[person] == "Grace"
    # a page served to another host name (DNS rebinding) is refused
    assert client.get("/", headers={"host": "evil.example"}).status_code == 400


def test_paths_in_requests_are_never_files(client):
    for path in [
        "/photos/..%2F..%2F..%2Fetc%2Fpasswd/image",
        "/photos/%2Fetc%2Fpasswd/image",
        "/static/..%2Fapp.py",
        "/static/../../library.py",
        "/faces/..%2F..%2Fetc%2Fpasswd.jpg",
    ]:
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert "root:" not in answer.text and "import" not in answer.text
    # redirects only ever go to this site
    person = min(names(client.library))
    answer = post(client, f"/people/{person}/name", {"name": "A", "next": "//evil.example/x"})
    assert answer.headers["location"].startswith("/?")


def test_names_are_text_never_markup(client):
    person = min(names(client.library))
    post(client, f"/people/{person}/name", {"name": "<script>alert(1)</script>"})
    for path in ["/people", f"/people/{person}"]:
        page = client.get(path).text
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_used_name_offers_a_merge(client):
    first, second = sorted(names(client.library))[:2]
    post(client, f"/people/{first}/name", {"name": "Grace"})
    answer = post(client, f"/people/{second}/name", {"name": "Grace", "next": f"/people/{second}"})
    assert f"merge_with={first}" in answer.headers["location"]
    assert names(client.library)[second] != "Grace"
    page = client.get(answer.headers["location"]).text
    assert f"Merge into Person {first}" in page
    post(client, "/merge", {"source": str(second), "into": str(first)})
    assert second not in names(client.library)


def test_adding_a_folder_ingests_it_with_progress(client, tmp_path):
    from conftest import grace_hopper

    folder = tmp_path / "more"
    folder.mkdir()
    for angle in (0, 8):
        grace_hopper().rotate(angle).save(folder / f"g{angle}.jpg", quality=90)
    photos = query(client.library, "SELECT count(*) FROM images")[0][0]
    assert post(client, "/ingest", {"folder": str(folder)}).status_code == 303
    deadline = time.monotonic() + 300
    while client.get("/jobs/ingest").json()["running"] and time.monotonic() < deadline:
        time.sleep(0.5)
    state = client.get("/jobs/ingest").json()
    assert state["done"] == state["total"] == 2 and "2 photos analysed" in state["summary"]
    assert query(client.library, "SELECT count(*) FROM images")[0][0] == photos + 2
    answer = post(client, "/ingest", {"folder": str(tmp_path / "nowhere")})
    assert "no+folder" in answer.headers["location"] or "no%20folder" in answer.headers["location"]


def test_uploaded_photos_are_kept_in_the_library_and_added(client):
    import io

    from conftest import grace_hopper

    photo = io.BytesIO()
    grace_hopper().save(photo, "JPEG", quality=90)
    files = [
        ("files", ("../../escape me.jpg", photo.getvalue(), "image/jpeg")),
        ("files", ("..", b"", "application/octet-stream")),
    ]
    answer = client.post(
        "/upload", data={"csrf": client.token}, files=files, follow_redirects=False
    )
    assert answer.status_code == 303 and "1%20files%20uploaded" in answer.headers["location"]
    saved = list((client.library / "uploads").rglob("*"))
    assert [p.name for p in saved if p.is_file()] == ["escape me.jpg"]  # never outside it
    deadline = time.monotonic() + 300
    while client.get("/jobs/ingest").json()["running"] and time.monotonic() < deadline:
        time.sleep(0.5)
    stored = query(client.library, "SELECT path FROM images WHERE path LIKE '%escape me.jpg'")
    assert len(stored) == 1 and "/uploads/" in stored[0][0]


# ---------------------------------------------------------------- in a real browser


@pytest.fixture(scope="module")
def shared_library(shared_faces, tmp_path_factory) -> Path:
    library = tmp_path_factory.mktemp("served") / "library"
    facegraph("ingest", str(shared_faces), "--library", str(library))
    facegraph("cluster", "--library", str(library))
    return library


@pytest.fixture
def server(shared_library, tmp_path):
    """A real server (uvicorn) on a free port, over a copy of the shared library."""
    library = tmp_path / "library"
    shutil.copytree(shared_library, library)
    with served_app(library) as url:
        yield url, library


@contextmanager
def served_tab(browser, url: str):
    """A fresh 1400x1000 tab; fails on any script error or any request that leaves the app."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on(
        "request",
        lambda request: None if request.url.startswith(url) else errors.append(request.url),
    )
    # the app's own pages satisfy its content security policy: a violation is a failure
    tab.on(
        "console",
        lambda message: (
            errors.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    try:
        yield tab
        assert errors == []
    finally:
        context.close()


def person_of_face(library: Path, face_id: int):
    return query(library, "SELECT person_id, not_a_face FROM faces WHERE face_id = ?", [face_id])[0]


def test_a_person_fixes_the_library_in_the_browser(server, browser):
    url, library = server
    with served_tab(browser, url) as tab:
        tab.goto(f"{url}/people")
        tab.wait_for_selector(".grid .card")
        assert tab.locator(".grid .card").count() >= 20
        tab.wait_for_load_state("networkidle")
        screenshot(tab, "serve-people")

        # rename the person with most faces
        tab.locator(".grid .card a").first.click()
        person = int(re.search(r"/people/(\d+)", tab.url).group(1))
        tab.fill("#name-input", "Most Photos")
        tab.click("text=Save name")
        tab.wait_for_selector("text=named Most Photos")
        assert names(library)[person] == "Most Photos"
        assert tab.inner_text("#person-name") == "Most Photos"
        tab.wait_for_load_state("networkidle")
        screenshot(tab, "serve-person")

        # move a face to a new person, then mark another not a face
        faces = [int(v) for v in tab.locator("input[name=face]").evaluate_all(
            "boxes => boxes.map(b => b.value)")]  # fmt: skip
        tab.check(f"input[name=face][value='{faces[0]}']")
        tab.click("button[value=new]")
        tab.wait_for_selector("text=moved to a new person")
        moved_to, _ = person_of_face(library, faces[0])
        assert moved_to not in (None, person)
        tab.check(f"input[name=face][value='{faces[1]}']")
        tab.click("button[value=not-a-face]")
        tab.wait_for_selector("text=marked not a face")
        assert person_of_face(library, faces[1]) == (None, True)

        # undo takes the last edit back
        tab.keyboard.press("u")
        tab.wait_for_selector("text=undone: not-a-face")
        assert person_of_face(library, faces[1]) == (person, False)

        # merge two people from /review, with one key
        tab.goto(f"{url}/review")
        pair = tab.locator(".suggestion[data-kind=pair]").first
        keep = int(pair.locator("input[name=person_a]").get_attribute("value"))
        gone = int(pair.locator("input[name=person_b]").get_attribute("value"))
        tab.wait_for_load_state("networkidle")
        screenshot(tab, "serve-review")
        tab.keyboard.press("y")
        tab.wait_for_selector(f"text=merged {gone} into {keep}")
        assert gone not in names(library)
        assert query(library, "SELECT count(*) FROM faces WHERE person_id = ?", [gone]) == [(0,)]

        # a change made with the CLI while the app runs shows at the next page load
        facegraph("people", "name", str(keep), "Named In A Terminal", "--library", str(library))
        tab.goto(f"{url}/people/{keep}")
        assert tab.inner_text("#person-name") == "Named In A Terminal"

        # the network page runs its inline script under its own policy, framed by nobody
        tab.goto(f"{url}/network")
        tab.wait_for_function("window.facegraph !== undefined")
        assert tab.evaluate("window.self === window.top")
        screenshot(tab, "serve-network")

    log = json.loads(facegraph("people", "log", "--json", "--library", str(library)))
    actions = [entry["action"] for entry in log]
    for action in ("name", "move", "not-a-face", "merge"):
        assert action in actions


def test_every_button_of_every_page_answers_without_a_server_error(server, browser):
    """Each page's every button pressed, one at a time, on a fresh load (faces ticked where a
    button acts on them; folded parts opened): no answer of the server is a 5xx."""
    url, library = server
    person = query(
        library,
        "SELECT person_id FROM faces WHERE person_id IS NOT NULL"
        " GROUP BY person_id ORDER BY count(*) DESC LIMIT 1",
    )[0][0]
    image = query(library, "SELECT image_id FROM faces WHERE person_id = ? LIMIT 1", [person])
    pages = [
        "/",
        "/people",
        f"/people/{person}",
        "/review",
        f"/photos/{image[0][0]}",
        "/network",
        "/find",
        f"/find?face={image[0][0]}",
    ]
    photo = library.parent / "upload.jpg"
    from conftest import grace_hopper

    grace_hopper().save(photo, quality=90)
    failures: list[tuple[str, int]] = []
    pressed = 0
    with served_tab(browser, url) as tab:
        tab.on(
            "response",
            lambda answer: (
                failures.append((answer.url, answer.status)) if answer.status >= 500 else None
            ),
        )
        for page in pages:
            tab.goto(url + page)
            for index in range(tab.locator("form button").count()):
                tab.goto(url + page)
                buttons = tab.locator("form button")
                if index >= buttons.count():  # the page lost a form (a merge, a forget)
                    break
                button = buttons.nth(index)
                button.evaluate("b => { const d = b.closest('details'); if (d) d.open = true; }")
                form = button.evaluate_handle("b => b.form").as_element()
                box = form.query_selector("input[type=checkbox]")
                if box is not None:
                    box.check()
                for field in form.query_selector_all("input[required]:not([type=file])"):
                    field.fill("/no/such/folder")  # as a person would type, mistyped
                chooser = form.query_selector("input[type=file]")
                if chooser is not None:
                    chooser.set_input_files(str(photo))
                with tab.expect_navigation(timeout=60_000):
                    button.click()
                pressed += 1
    assert failures == []
    assert pressed >= 15


def test_find_a_person_accept_and_reject_in_the_browser(server, browser, shared_faces, tmp_path):
    """Upload a photo of someone, accept the matches into a new named person, reject one: the
    rejected face is not proposed for them again."""
    from conftest import variant
    from PIL import Image

    url, library = server
    source = sorted((shared_faces / "people" / "serena_williams").iterdir())[0]
    reference = tmp_path / "who-is-this.jpg"
    variant(Image.open(source).convert("RGB"), 3).save(reference, quality=90)
    with served_tab(browser, url) as tab:
        tab.goto(f"{url}/find")
        tab.set_input_files("#find-files", str(reference))
        with tab.expect_navigation():
            tab.click("#find-search")
        tab.wait_for_selector("#find-results")
        tab.wait_for_load_state("networkidle")
        screenshot(tab, "find-results")
        groups = tab.locator(".matches").evaluate_all(
            "lists => lists.map(l => [...l.querySelectorAll('.match')].map(i => +i.dataset.face))"
        )
        assert len(groups[0]) >= 3, tab.inner_text("#find-results")
        assert "found in" in tab.inner_text("#find-summary")
        assert not query(library, "SELECT 1 FROM images WHERE path LIKE '%who-is-this%'")
        # her own clustered person is accepted; a face of the next group (her sister) is not her
        accepted = groups[0]
        rejected = groups[1][0] if len(groups) > 1 else accepted.pop()
        for face in accepted:
            tab.check(f"input[name=decision-{face}][value=accept]")
        tab.check(f"input[name=decision-{rejected}][value=reject]")
        for group in groups[1:]:
            for face in group:
                if face != rejected:
                    tab.check(f"input[name=decision-{face}][value=leave]")
        tab.fill("#accept-new-name", "Serena Found")
        with tab.expect_navigation():
            tab.click("#accept-save")
        assert "accepted" in tab.inner_text(".said")
        person = int(re.search(r"/people/(\d+)", tab.url).group(1))
        assert tab.inner_text("#person-name") == "Serena Found"
        screenshot(tab, "find-accepted")
        placed = query(
            library, "SELECT face_id, assigned_by FROM faces WHERE person_id = ?", [person]
        )
        assert {f for f, _ in placed} == set(accepted)
        assert {by for _, by in placed} == {"user"}
        assert query(
            library, "SELECT person_id FROM face_rejections WHERE face_id = ?", [rejected]
        ) == [(person,)]
        # searching for her again: the rejected face is not proposed
        tab.goto(f"{url}/find")
        tab.set_input_files("#find-files", str(reference))
        tab.select_option("#find-person", str(person))
        with tab.expect_navigation():
            tab.click("#find-search")
        tab.wait_for_selector("#find-results")
        again = [
            int(m)
            for m in tab.locator(".match").evaluate_all("items => items.map(i => i.dataset.face)")
        ]
        assert rejected not in again and set(accepted) <= set(again)
        assert "Serena Found" in tab.inner_text("#find-summary")
        tab.wait_for_load_state("networkidle")
        screenshot(tab, "find-again")


# ---------------------------------------------------------------- the command


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("host", ["127.0.0.1", "0.0.0.0"])
def test_serve_prints_its_address_and_warns_off_this_machine(small_library, host):
    import urllib.request

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "facegraph", "serve", "--library", str(small_library),
         "--host", host, "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        url = server.stdout.readline().strip()
        assert url == f"http://{host}:{port}/"
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/people", timeout=60).read()
        assert b"People" in page
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=30)
    warned = "anyone who can reach it can see and change this library" in errors
    assert warned == (host != "127.0.0.1")


def test_serve_on_a_missing_library_is_one_line(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "facegraph", "serve", "--library", str(tmp_path / "none")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip().startswith("Error: no facegraph library at")
    assert len(done.stderr.strip().splitlines()) == 1


# ---------------------------------------------------------------- hostile and careless use


def test_not_this_person_takes_the_face_out_and_remembers_it(client):
    face, person = query(
        client.library, "SELECT face_id, person_id FROM faces WHERE person_id IS NOT NULL LIMIT 1"
    )[0]
    answer = post(client, "/faces", {"face": str(face), "action": "not-this-person"})
    assert answer.status_code == 303
    assert query(client.library, "SELECT person_id FROM faces WHERE face_id = ?", [face]) != [
        (person,)
    ]
    assert query(client.library, "SELECT person_id FROM face_rejections WHERE face_id = ?",
                 [face]) == [(person,)]  # fmt: skip


def test_every_answer_refuses_framing_and_sniffing(client):
    person = min(names(client.library))
    for path in ["/", f"/people/{person}", "/network", "/static/app.css", "/people/999999"]:
        headers = client.get(path).headers
        assert headers["x-frame-options"] == "DENY", path
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["referrer-policy"] == "same-origin", path
    assert "script-src 'self';" in client.get("/").headers["content-security-policy"]


def test_the_test_clients_host_name_is_not_a_local_one(client):
    assert client.get("/", headers={"host": "testserver"}).status_code == 400


def test_an_upload_over_the_limit_is_refused_before_it_is_read(small_library, tmp_path):
    library = tmp_path / "library"
    shutil.copytree(small_library, library)
    app = create_app(library, max_upload_mb=1)
    with starlette_testclient.TestClient(app, base_url="http://127.0.0.1:8765") as web:
        answer = web.post(
            "/upload",
            data={"csrf": app.state.site.token},
            files={"files": ("big.jpg", b"\xff\xd8" + b"0" * (2 * 1024 * 1024), "image/jpeg")},
            follow_redirects=False,
        )
    assert answer.status_code == 413
    assert "at most 1 MB" in answer.text and len(answer.text.splitlines()) == 1
    assert not (library / "uploads").exists()


def test_names_are_bounded_and_a_person_is_not_merged_into_itself(client):
    person = min(names(client.library))
    edits = query(client.library, "SELECT count(*) FROM edits")
    huge = post(client, f"/people/{person}/name", {"name": "x" * 900_000})
    assert huge.status_code == 400 and len(huge.text.splitlines()) == 1  # refused as it is read
    long = post(client, f"/people/{person}/name", {"name": "x" * 300})
    assert long.status_code == 303 and len(long.headers["location"]) < 300
    assert "at most 200 characters" in unquote(long.headers["location"])
    assert names(client.library)[person] is None
    answer = post(client, "/merge", {"source": str(person), "into": str(person)})
    assert answer.status_code == 303 and "itself" in unquote(answer.headers["location"])
    assert query(client.library, "SELECT count(*) FROM edits") == edits  # nothing logged


@pytest.mark.parametrize("threshold", ["nan", "-1", "99", "inf"])
def test_the_cluster_form_refuses_numbers_out_of_range(client, threshold):
    people = names(client.library)
    answer = post(client, "/cluster", {"threshold": threshold, "method": "consensus"})
    assert answer.status_code == 303
    assert "threshold must be" in unquote(answer.headers["location"])
    assert names(client.library) == people


def test_forget_deletes_the_uploads_that_showed_the_person_and_names_the_exports(client):
    import io

    from conftest import astronaut

    photo = io.BytesIO()
    astronaut().save(photo, "JPEG", quality=90)
    files = [("files", ("eileen again.jpg", photo.getvalue(), "image/jpeg"))]
    client.post("/upload", data={"csrf": client.token}, files=files, follow_redirects=False)
    deadline = time.monotonic() + 300
    while client.get("/jobs/ingest").json()["running"] and time.monotonic() < deadline:
        time.sleep(0.5)
    assert post(client, "/cluster", {"method": "consensus"}).status_code == 303
    ((image_id, path, person),) = query(
        client.library,
        "SELECT i.image_id, i.path, f.person_id FROM images i JOIN faces f USING (image_id)"
        " WHERE i.path LIKE '%eileen again.jpg'",
    )
    assert person is not None and Path(path).exists()
    export = client.library.parent / "outside.html"
    facegraph("export", "html", "--library", str(client.library), "-o", str(export))
    answer = post(client, f"/people/{person}/forget", {"confirm": f"forget {person}"})
    said = unquote(answer.headers["location"])
    assert "1 uploaded photos that showed them deleted" in said
    assert str(export) in said  # the export outside the library, named
    assert not Path(path).exists()
    assert client.get(f"/photos/{image_id}/image").status_code == 404
