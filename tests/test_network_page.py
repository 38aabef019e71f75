"""The network page as a person sees it, in real Chromium at 1400x1000: it opens on the people
with ties, faces and names large enough to read, finds a person, shows the photos behind a
tie, and looks the same on every load. Screenshots go to test-artefacts/."""

import csv
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from conftest import open_page, query, screenshot
from test_graph import random_album, write_album

from facegraph import name_person
from facegraph.coappearance.build import coappearance_network
from facegraph.coappearance.export import export_network
from facegraph.coappearance.stats import communities, network_statistics

OPENING = """() => {
  const f = window.facegraph, scale = f.network.getScale();
  const box = document.getElementById("network").getBoundingClientRect();
  const ranked = f.data.people.filter((p) => p.ties > 0)
    .sort((a, b) => b.ties - a.ties || b.photos - a.photos || a.id - b.id);
  const seen = (id) => {
    const node = f.nodes.get(id);
    const at = f.network.canvasToDOM(f.network.getPositions([id])[id]);
    return {id, label: node.label, hidden: !!node.hidden, diameter: 2 * node.size * scale,
            font: node.font.size * scale, x: at.x, y: at.y};
  };
  return {width: box.width, height: box.height, left: box.left, top: box.top,
          top10: ranked.slice(0, 10).map((p) => seen(p.id)),
          positions: f.network.getPositions(), isolated: f.data.people.filter((p) => !p.ties)
            .map((p) => f.nodes.get(p.id).hidden)};
}"""


def check_first_sight(opening: dict) -> None:
    assert opening["top10"], "the page has people with ties"
    for person in opening["top10"]:
        assert not person["hidden"] and person["label"]
        assert person["diameter"] >= 40, person  # a face you can recognise
        assert person["font"] >= 12, person  # a name you can read
        assert 0 <= person["x"] <= opening["width"] and 0 <= person["y"] <= opening["height"]
    assert all(opening["isolated"])  # people without ties wait behind the toggle


def search_and_tie(tab, name: str, tie_index: int, thumbnails: bool = True) -> None:
    """Find a person by name: the view centres on them and the panel names them. Then click
    the middle of a tie: the panel lists the photos behind it (as thumbnails where the photo
    files exist)."""
    tab.fill("#search", name)
    tab.press("#search", "Enter")
    found = tab.evaluate(
        """(name) => { const f = window.facegraph; const p = f.find(name);
        const at = f.network.canvasToDOM(f.network.getPositions([p.id])[p.id]);
        const box = document.getElementById("network").getBoundingClientRect();
        return {x: at.x, y: at.y, w: box.width, h: box.height,
                panel: document.getElementById("panel-body").textContent}; }""",
        name,
    )
    assert abs(found["x"] - found["w"] / 2) < 5 and abs(found["y"] - found["h"] / 2) < 5
    assert name in found["panel"]
    tab.keyboard.press("Escape")
    middle = tab.evaluate(
        """(first) => { const f = window.facegraph;
        // a tie whose middle no face covers (in a dense network most middles are covered)
        const all = f.network.getPositions();
        const clear = (t) => { const m = {x: (all[t.a].x + all[t.b].x) / 2,
                                          y: (all[t.a].y + all[t.b].y) / 2};
          return f.nodes.get({filter: (n) => !n.hidden}).every((n) =>
            Math.hypot(all[n.id].x - m.x, all[n.id].y - m.y) > n.size + 12) ? m : null; };
        let i = first, mid = null;
        for (; i < f.data.ties.length && !(mid = clear(f.data.ties[i])); i++);
        const t = f.data.ties[i];
        f.network.fit({nodes: [t.a, t.b], animation: false});
        const at = f.network.canvasToDOM(mid);
        const box = document.getElementById("network").getBoundingClientRect();
        return {x: box.left + at.x, y: box.top + at.y}; }""",
        tie_index,
    )
    tab.mouse.click(middle["x"], middle["y"])
    tab.wait_for_selector("#panel:not([hidden])")
    # the tie under the click (another may cross the middle of the one aimed at)
    shown = tab.evaluate(
        """() => ({tie: window.facegraph.data.ties[window.facegraph.network.getSelectedEdges()[0]],
        title: document.querySelector("#panel h2").textContent,
        text: document.getElementById("panel-body").textContent,
        figures: document.querySelectorAll("#panel figure").length,
        captions: [...document.querySelectorAll("#panel figcaption")].map((c) => c.textContent)})"""
    )
    tie = shown["tie"]
    assert " & " in shown["title"]
    assert f"{len(tie['photos'])} shared photo" in shown["text"]
    # when, and where the proof is: the dates of the shared photos and the sheet's command
    assert "first 20" in shown["text"] or "no date" in shown["text"]
    assert f"facegraph evidence {tie['a']} {tie['b']}" in shown["text"]
    if thumbnails:
        assert 0 < shown["figures"] <= len(tie["photos"])
        assert all(c.split(" · ")[0] for c in shown["captions"])  # a date, or "no date"
    else:  # named, with their dates
        assert "not embedded" in shown["text"] and ".jpg (20" in shown["text"]


@pytest.fixture(scope="module")
def named_shared_page(shared_faces, tmp_path_factory) -> tuple[Path, Path]:
    """`facegraph run` on ../shared/faces, every labelled person named, the page exported."""
    library = tmp_path_factory.mktemp("page") / "library"
    done = subprocess.run(
        [sys.executable, "-m", "facegraph", "run", str(shared_faces), "--library", str(library)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr
    with open(shared_faces / "MANIFEST.csv", newline="") as handle:
        portraits = [row for row in csv.DictReader(handle) if row["identity"]]
    people = query(
        library,
        "SELECT i.path, f.person_id FROM faces f JOIN images i USING (image_id)"
        " WHERE f.person_id IS NOT NULL",
    )
    by_path: dict[str, list[int]] = {}
    for path, person in people:
        by_path.setdefault(path, []).append(person)
    votes: dict[str, Counter] = {}
    for row in portraits:
        for person in by_path.get(str(shared_faces / row["path"]), []):
            votes.setdefault(row["identity"], Counter())[person] += 1
    for identity, counter in votes.items():
        name_person(library, counter.most_common(1)[0][0], identity.replace("_", " ").title())
    page = library / "named.html"
    export_network(library, "html", page)
    return library, page


def test_the_shared_photos_page_reads_at_first_sight(named_shared_page, browser):
    library, page = named_shared_page
    with open_page(browser, page) as tab:
        opening = tab.evaluate(OPENING)
        screenshot(tab, "network-shared-faces-opening")
        check_first_sight(opening)
        labels = tab.evaluate("() => window.facegraph.data.people.map((p) => p.label)")
        assert "Barack Obama" in labels and "Joe Biden" in labels
        legend = tab.text_content("#legend")
        assert "communities" in legend and "no tie" in legend
        header = tab.text_content("#counts")
        assert "people with ties" in header and "ties" in header
        obama_biden = tab.evaluate(
            """() => { const f = window.facegraph, id = (n) => f.find(n).id;
            return f.data.ties.findIndex((t) => [t.a, t.b].includes(id("Barack Obama"))
                                               && [t.a, t.b].includes(id("Joe Biden"))); }"""
        )
        assert obama_biden >= 0  # the manifest's pair photo makes a tie
        search_and_tie(tab, "Joe Biden", obama_biden)
        screenshot(tab, "network-shared-faces-tie")
    with open_page(browser, page) as again:
        assert again.evaluate(OPENING)["positions"] == opening["positions"]


def test_a_200_person_page_opens_on_its_most_connected_people(tmp_path, browser):
    library = tmp_path / "library"
    write_album(library, random_album(seed=21, people=200, photos=500))
    name_person(library, 1, "Ada Lovelace")
    page = tmp_path / "net.html"
    export_network(library, "html", page)
    with open_page(browser, page) as tab:
        opening = tab.evaluate(OPENING)
        screenshot(tab, "network-200-people-opening")
        check_first_sight(opening)
        search_and_tie(tab, "Ada Lovelace", 0, thumbnails=False)
        tab.check("#show-isolated")
        shown = tab.evaluate("() => window.facegraph.nodes.get({filter: (n) => !n.hidden}).length")
        assert shown == tab.evaluate("() => window.facegraph.data.people.length")
        tab.fill("#min-weight", "3")
        tab.dispatch_event("#min-weight", "input")
        heavy = tab.evaluate(
            """() => window.facegraph.edges.get({filter: (e) => !e.hidden}).map((e) => e.id)
               .every((i) => window.facegraph.data.ties[i].weight >= 3)"""
        )
        assert heavy


def test_filters_mean_what_they_say_and_statistics_match_the_page(tmp_path):
    library = tmp_path / "library"
    write_album(library, random_album(seed=4, people=40, photos=90))
    write_album(library, [("/photos/undated.jpg", [1, 2])], first_photo_date=None)
    from datetime import datetime

    from facegraph import NetworkFilter

    full = coappearance_network(library)
    heavy = coappearance_network(library, NetworkFilter(min_weight=2))
    assert all(heavy.degree(n) > 0 for n in heavy.nodes)  # no one left without a tie
    kept = coappearance_network(library, NetworkFilter(min_weight=2, keep_isolated=True))
    assert set(kept.nodes) == set(full.nodes) and kept.number_of_edges() == heavy.number_of_edges()
    dated = coappearance_network(library, NetworkFilter(since=datetime(2020, 3, 1)))
    assert dated.graph["undated_left_out"] == 1
    stats = network_statistics(full)
    groups = communities(full)
    assert stats["summary"]["communities"] == len(set(groups.values()))
    assert stats["summary"]["people"] == full.number_of_nodes()
    assert {p["person_id"]: p["community"] for p in stats["people"]} == {
        n: groups.get(n) for n in full.nodes
    }


def test_figures_open_as_images_of_the_expected_size(tmp_path):
    from PIL import Image

    from facegraph import plot_figure
    from facegraph.errors import ExportError

    library = tmp_path / "library"
    write_album(library, random_album(seed=6, people=30, photos=80))
    for kind in ("network", "centrality", "degrees"):
        path = plot_figure(library, kind, tmp_path / f"{kind}.png")
        with Image.open(path) as image:
            assert image.size == (1200, 900) and image.getbbox() is not None
    svg = plot_figure(library, "network", tmp_path / "by-year.svg", colour="year")
    assert "<svg" in svg.read_text()[:2000] and "median year" in svg.read_text()
    with pytest.raises(ExportError, match="png or .svg"):
        plot_figure(library, "network", tmp_path / "net.gif")


def test_export_says_how_big_the_page_is_and_what_a_date_filter_left_out(tmp_path):
    import json

    from click.testing import CliRunner

    from facegraph.cli import main

    library = tmp_path / "library"
    write_album(library, random_album(seed=7, people=20, photos=40))
    write_album(library, [("/photos/undated.jpg", [1, 2])], first_photo_date=None)
    done = CliRunner().invoke(main, ["export", "html", "-o", str(tmp_path / "n.html"),
                                     "--since", "2020-03-01", "--library", str(library),
                                     "--json"])  # fmt: skip
    assert done.exit_code == 0, done.output
    report = json.loads(done.output)
    assert report["undated_left_out"] == 1 and report["files"][0]["bytes"] > 100_000
    said = CliRunner().invoke(
        main, ["export", "html", "-o", str(tmp_path / "n.html"), "--until", "2020-06-01",
               "--library", str(library)],
    )  # fmt: skip
    assert said.stdout.strip() == str(tmp_path / "n.html")  # scripts read the file names
    assert "1 photos without a date were left out" in said.stderr


def test_the_evidence_sheet_of_a_tie_shows_its_photos_with_their_proof(
    named_shared_page, browser, tmp_path
):
    """Obama & Biden on ../shared/faces: exactly the photos `query photos_together` gives,
    each file's SHA-256 as sha256sum computes it, boxes drawn on thumbnails a person can see,
    and who decided each identity following the edit log (a face accepted by hand, then undone)."""
    import hashlib
    import json

    from facegraph import undo
    from facegraph.coappearance.queries import run_query
    from facegraph.evidence import write_evidence
    from facegraph.people.edits import accept_faces

    library, _ = named_shared_page
    copy = tmp_path / "library"
    shutil.copytree(library, copy)  # the module's library stays as the other tests expect it
    sheet, (page, data) = write_evidence(copy, ["barack obama", "Joe Biden"], tmp_path / "ev")
    obama, biden = (p["person_id"] for p in sheet.people)
    shared = run_query("photos_together", {"person_a": obama, "person_b": biden}, copy)
    assert [p.path for p in sheet.photos] == shared.column("path").to_pylist()
    assert len(sheet.photos) >= 1
    for photo in sheet.photos:
        summed = subprocess.run(["sha256sum", photo.path], capture_output=True, text=True)
        assert photo.sha256 == summed.stdout.split()[0]
        assert photo.sha256 == hashlib.sha256(Path(photo.path).read_bytes()).hexdigest()
        assert photo.file == "as analysed"
        assert sorted(f.person_id for f in photo.faces) == sorted([obama, biden])
        for face in photo.faces:
            assert face.decided_by == "clustering" and face.decided_at is None
            assert face.distance is not None and 0 < face.distance < 0.6
            assert 0 <= face.confidence <= 1
    assert json.loads(data.read_text())["photos"][0]["sha256"] == sheet.photos[0].sha256

    # a face confirmed by hand says so, with when; undone, it is the clustering's again
    face = sheet.photos[0].faces[0]
    accept_faces(copy, [face.face_id], face.person_id)
    again, _ = write_evidence(copy, [obama, biden], tmp_path / "ev")
    confirmed = again.photos[0].faces[0]
    assert confirmed.decided_by == "person" and confirmed.how == "a person: accepted in review"
    assert confirmed.decided_at is not None
    undo(copy)
    undone, (page, _) = write_evidence(copy, [obama, biden], tmp_path / "ev")
    assert undone.photos[0].faces[0].decided_by == "clustering"

    loaded = "[...document.images].every((i) => i.complete)"
    with open_page(browser, page, width=1200, height=900, ready=loaded) as tab:
        shown = tab.evaluate(
            """() => [...document.querySelectorAll(".photo")].map((s) => {
              const img = s.querySelector("img").getBoundingClientRect();
              return {loaded: s.querySelector("img").naturalWidth,
                      img: [img.left, img.top, img.right, img.bottom],
                      boxes: [...s.querySelectorAll(".box")].map((b) => {
                        const r = b.getBoundingClientRect();
                        return [r.left, r.top, r.right, r.bottom, b.textContent]; }),
                      text: s.textContent}; })"""
        )
        screenshot(tab, "evidence-obama-biden")
    assert len(shown) == len(sheet.photos)
    for section, photo in zip(shown, sheet.photos, strict=True):
        assert section["loaded"] > 0 and photo.sha256 in section["text"]
        left, top, right, bottom = section["img"]
        assert sorted(b[4] for b in section["boxes"]) == ["Barack Obama", "Joe Biden"]
        faces = {f.person: f.box for f in photo.faces}
        for b_left, b_top, b_right, b_bottom, label in section["boxes"]:
            assert left <= b_left < b_right <= right + 1 and top <= b_top < b_bottom <= bottom + 1
            assert b_right - b_left >= 10  # a face you can see
            # drawn where the face is: the stored box, scaled to the picture
            scale = (right - left) / photo.width
            assert abs(b_left - left - faces[label][0] * scale) < 3
            assert abs(b_bottom - top - faces[label][3] * scale) < 3
