"""The graph projection, its queries and the network built from it, on real DuckDB and a real
graph engine. Libraries here are written straight into DuckDB (no photos needed); the engine is
Kùzu, or ladybug when FACEGRAPH_GRAPH_ENGINE=ladybug (test_ladybug_passes_the_same_tests)."""

from __future__ import annotations

import csv
import json
import os
import random
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import networkx as nx
import pytest
from conftest import open_page
from networkx.algorithms import bipartite

from facegraph import graph
from facegraph.coappearance import queries as querying
from facegraph.coappearance.build import build_network, coappearance_network
from facegraph.coappearance.export import export_network
from facegraph.coappearance.filters import NetworkFilter
from facegraph.coappearance.stats import network_statistics
from facegraph.errors import QueryError, QueryParameterError
from facegraph.graph import Graph, graph_path, sync
from facegraph.library import Library
from facegraph.people.edits import (
    forget_person,
    hide_person,
    mark_not_a_face,
    move_faces,
    name_person,
)

ENGINE = os.environ.get("FACEGRAPH_GRAPH_ENGINE", "kuzu")
REPO = Path(__file__).resolve().parent.parent


def random_album(seed: int, people: int = 30, photos: int = 120) -> list[tuple[str, list[int]]]:
    """Photos as (path, people in it): mostly small groups, a few large ones."""
    rng = random.Random(seed)
    album = []
    for i in range(photos):
        size = rng.choice([1, 1, 2, 2, 2, 3, 3, 4, 6, 12])
        album.append((f"/photos/{seed}/img{i:04d}.jpg", rng.sample(range(1, people + 1), size)))
    return album


def write_album(library: Path, album, first_photo_date=datetime(2020, 1, 1)) -> None:
    """Images, faces (assigned to people 1..n) and people, straight into DuckDB; photos are
    undated when `first_photo_date` is None."""
    with Library.open(library, write=True) as lib:
        con = lib.connection
        wanted = max(p for _, members in album for p in members)
        (have,) = con.execute("SELECT count(*) FROM people").fetchall()[0]
        for _ in range(wanted - have):  # people 1..n, numbered by the library's own sequence
            con.execute("INSERT INTO people DEFAULT VALUES")
        for n, (path, members) in enumerate(album):
            (image_id,) = con.execute(
                "INSERT INTO images (path, size_bytes, mtime_ns, status, face_count, taken_at)"
                " VALUES (?, 1, 1, 'ok', ?, ?) RETURNING image_id",
                [
                    path,
                    len(members),
                    first_photo_date and first_photo_date.replace(month=1 + n % 12),
                ],
            ).fetchall()[0]
            for index, person in enumerate(members):
                con.execute(
                    "INSERT INTO faces (image_id, face_index, box_left, box_top, box_right,"
                    " box_bottom, person_id, assigned_by) VALUES (?, ?, ?, 0, ?, 50, ?, 'cluster')",
                    [image_id, index, 60 * index, 60 * index + 50, person],
                )


def bipartite_graph(album) -> nx.Graph:
    b = nx.Graph()
    people = {p for _, members in album for p in members}
    b.add_nodes_from(people, bipartite=0)
    for path, members in album:
        b.add_node(path, bipartite=1)
        b.add_edges_from((p, path) for p in members)
    return b


def graph_contents(library: Path) -> tuple:
    """Everything the projection holds, in a comparable form."""
    with Graph(graph_path(library, ENGINE), ENGINE, read_only=True) as g:
        people = g.execute("MATCH (p:Person) RETURN p.id, p.name, p.photos ORDER BY p.id")
        images = g.execute(
            "MATCH (i:Image) RETURN i.id, i.path, i.taken_at, i.people ORDER BY i.id"
        )
        edges = g.execute(
            "MATCH (p:Person)-[e:APPEARS_IN]->(i:Image) RETURN e.face_id, p.id, i.id, e.box_left,"
            " e.box_top, e.box_right, e.box_bottom ORDER BY e.face_id"
        )
    return people.to_pylist(), images.to_pylist(), edges.to_pylist()


@pytest.fixture
def album_library(tmp_path) -> tuple[Path, list]:
    album = random_album(seed=7)
    library = tmp_path / "library"
    write_album(library, album)
    return library, album


def pairs_from_cypher(library) -> dict[tuple[int, int], dict]:
    rows = querying.run_query("co_appearance", {}, library, ENGINE).to_pylist()
    return {(r["person_a"], r["person_b"]): r for r in rows}


def test_coappearance_weights_equal_networkx_projections(album_library):
    library, album = album_library
    b = bipartite_graph(album)
    people = {p for _, members in album for p in members}
    counted = bipartite.weighted_projected_graph(b, people)
    newman = bipartite.collaboration_weighted_projected_graph(b, people)
    pairs = pairs_from_cypher(library)
    assert len(pairs) == counted.number_of_edges() > 50
    for (a, c), row in pairs.items():
        assert row["photos"] == counted[a][c]["weight"]
        assert row["newman"] == pytest.approx(newman[a][c]["weight"], rel=1e-12)
    # and the DuckDB self-join gives the same pairs
    sql = querying.run_query("co_appearance_duckdb", {}, library).to_pylist()
    from_sql = {(r["person_a"], r["person_b"]): (r["photos"], r["newman"]) for r in sql}
    assert from_sql.keys() == pairs.keys()
    for key, (photos, newman) in from_sql.items():
        assert (photos, newman) == (pairs[key]["photos"], pytest.approx(pairs[key]["newman"]))


def test_jaccard_and_filters(album_library):
    library, album = album_library
    network = coappearance_network(library, NetworkFilter(weight="jaccard"), ENGINE)
    photos_of = {p: sum(p in m for _, m in album) for p in network.nodes}
    for a, c, data in network.edges(data=True):
        shared = sum(a in m and c in m for _, m in album)
        assert data["weight"] == pytest.approx(shared / (photos_of[a] + photos_of[c] - shared))
    heavy = coappearance_network(library, NetworkFilter(min_weight=3, min_photos=10), ENGINE)
    assert all(d["photos"] >= 3 for _, _, d in heavy.edges(data=True))
    assert all(d["photos"] >= 10 for _, d in heavy.nodes(data=True))
    top = coappearance_network(library, NetworkFilter(top=5), ENGINE)
    assert sorted(top.nodes) == sorted(sorted(photos_of, key=lambda p: (-photos_of[p], p))[:5])
    ego = coappearance_network(library, NetworkFilter(person=1, hops=1), ENGINE)
    assert set(ego.nodes) == {1, *nx.Graph(network).neighbors(1)}
    # a date range keeps only the photos taken in it (taken_at: month = 1 + index % 12)
    march = coappearance_network(
        library, NetworkFilter(since=datetime(2020, 3, 1), until=datetime(2020, 4, 1)), ENGINE
    )
    in_march = [m for n, (_, m) in enumerate(album) if n % 12 == 2]
    expected = {tuple(sorted((a, c))) for m in in_march for a in m for c in m if a != c}
    assert {tuple(sorted(e)) for e in march.edges} == expected


def test_ego_network_query_matches_networkx(album_library):
    library, album = album_library
    people = {p for _, members in album for p in members}
    projected = bipartite.weighted_projected_graph(bipartite_graph(album), people)
    for hops in (1, 2):
        rows = querying.run_query(
            "ego_network", {"person_id": "3", "hops": str(hops)}, library, ENGINE
        ).to_pylist()
        expected = nx.single_source_shortest_path_length(projected, 3, cutoff=hops)
        del expected[3]
        assert {r["person_id"]: r["steps"] for r in rows} == expected


def test_every_named_query_runs_with_its_parameters_bound(album_library):
    library, album = album_library
    examples = {
        "ego_network": {"person_id": "1"},
        "photos_together": {"person_a": "1", "person_b": "2"},
        "people_in_photo": {"photo": "img0003.jpg"},
        "person_timeline": {"person_id": "1"},
        "together_in_range": {"since": "2020-01-01", "until": "2020-07-01"},
        "together": {"people": "1,2"},
    }
    with Library.open(library, write=True) as lib:  # a face no one was given
        lib.connection.execute(
            "INSERT INTO faces (image_id, face_index, box_left, box_top, box_right, box_bottom)"
            " VALUES (1, 9, 0, 0, 10, 10)"
        )
    queries = querying.list_queries(library)
    assert len(queries) >= 10
    for query in queries:
        assert query.description and all(p.description for p in query.params), query.name
        table = querying.run_query(query.name, examples.get(query.name, {}), library, ENGINE)
        # a library of photos has no shots of a video: test_video.py gives same_shot its rows
        assert table.num_rows > 0 or query.name == "same_shot", query.name
    in_photo = querying.run_query("people_in_photo", {"photo": "img0003.jpg"}, library, ENGINE)
    assert sorted(in_photo.column("person_id").to_pylist()) == sorted(album[3][1])


def test_parameters_are_bound_never_pasted(album_library):
    library, _ = album_library
    hostile = "img0003.jpg' OR true OR '' = '"
    assert querying.run_query("people_in_photo", {"photo": hostile}, library, ENGINE).num_rows == 0
    with pytest.raises(QueryParameterError, match="needs --param person_id"):
        querying.run_query("ego_network", {}, library, ENGINE)
    with pytest.raises(QueryParameterError, match="no parameter 'bogus'"):
        querying.run_query("ego_network", {"person_id": "1", "bogus": "2"}, library, ENGINE)
    with pytest.raises(QueryParameterError, match="must be INT64"):
        querying.run_query("ego_network", {"person_id": "1; DROP TABLE Person"}, library, ENGINE)


def test_sql_and_cypher_are_read_only_unless_asked(album_library):
    library, _ = album_library
    with pytest.raises(QueryError, match="read-only"):
        querying.run_sql(library, "DELETE FROM people")
    with pytest.raises(QueryError, match="read-only"):
        graph.run_cypher(library, "MATCH (p:Person) DELETE p", engine=ENGINE)
    before = graph_contents(library)
    # a write to the projection is undone by the next sync; the user's own tables survive it
    graph.run_cypher(
        library, "MATCH (p:Person {id: 1}) SET p.name = 'Changed'", engine=ENGINE, write=True
    )
    graph.run_cypher(
        library, "CREATE NODE TABLE Note(id INT64 PRIMARY KEY)", engine=ENGINE, write=True
    )
    assert sync(library, ENGINE).mode == "incremental"
    assert graph_contents(library) == before
    assert (
        graph.run_cypher(library, "MATCH (n:Note) RETURN count(*) AS n", engine=ENGINE)[0][
            0
        ].as_py()
        == 0
    )
    table = querying.run_sql(
        library,
        "UPDATE people SET name = 'Ann' WHERE person_id = 2 RETURNING person_id",
        write=True,
    )
    assert table.column("person_id").to_pylist() == [2]
    names = graph.run_cypher(library, "MATCH (p:Person {id: 2}) RETURN p.name", engine=ENGINE)
    assert names.column(0).to_pylist() == ["Ann"]


@pytest.mark.slow
def test_incremental_sync_equals_a_rebuild_after_ingests_and_edits(tmp_path):
    library = tmp_path / "library"
    write_album(library, random_album(seed=1))
    assert sync(library, ENGINE).mode == "rebuild"
    assert sync(library, ENGINE).mode == "current"
    steps = [
        lambda: write_album(library, random_album(seed=2, photos=10)),  # new photos
        lambda: name_person(library, 4, "Dana <b>Scully</b>"),
        lambda: hide_person(library, 5),
        lambda: mark_not_a_face(library, [10, 11]),
        lambda: move_faces(library, [20, 21, 22], 6),
        lambda: move_faces(library, [30], None),  # a new person of its own
        lambda: forget_person(library, 7),
        lambda: hide_person(library, 5, hidden=False),
    ]
    for step in steps:
        step()
        report = sync(library, ENGINE)
        assert report.mode in ("incremental", "current")
        incremental = graph_contents(library)
        assert sync(library, ENGINE, rebuild=True).mode == "rebuild"
        assert graph_contents(library) == incremental
    people, _, edges = graph_contents(library)
    assert {p["p.id"] for p in people} >= {4, 6} and 5 in {p["p.id"] for p in people}
    assert 7 not in {p["p.id"] for p in people}
    assert not {10, 11} & {e["e.face_id"] for e in edges}


def test_edits_keep_an_existing_graph_in_sync_without_asking(album_library):
    library, _ = album_library
    sync(library, ENGINE)
    hide_person(library, 2)
    with Graph(graph_path(library, ENGINE), ENGINE, read_only=True) as g:
        assert g.execute("MATCH (p:Person {id: 2}) RETURN p.id").num_rows == 0
        with Library.open(library) as lib:
            assert g.state() == graph.source_fingerprint(lib.connection)


def test_hidden_people_and_not_a_face_stay_out(album_library):
    library, album = album_library
    hide_person(library, 1)
    with Library.open(library) as lib:
        (face_id,) = lib.connection.execute(
            "SELECT min(face_id) FROM faces WHERE person_id = 2"
        ).fetchall()[0]
    mark_not_a_face(library, [face_id])
    sync(library, ENGINE)
    people, _, edges = graph_contents(library)
    assert 1 not in {p["p.id"] for p in people}
    assert face_id not in {e["e.face_id"] for e in edges}
    photos_of_2 = sum(2 in m for _, m in album) - 1
    assert next(p["p.photos"] for p in people if p["p.id"] == 2) == photos_of_2


def test_exports_round_trip_through_networkx(album_library, tmp_path):
    library, _ = album_library
    expected = coappearance_network(library, NetworkFilter(weight="newman"), ENGINE)
    export = tmp_path / "export"
    readers = {
        "gexf": lambda p: nx.read_gexf(p, node_type=int),
        "graphml": lambda p: nx.read_graphml(p, node_type=int),
        "json": lambda p: nx.node_link_graph(json.loads(p.read_text()), edges="edges"),
    }
    for fmt, read in readers.items():
        (path,) = export_network(
            library, fmt, export / f"net.{fmt}", NetworkFilter(weight="newman"), engine=ENGINE
        )
        back = read(path)
        assert sorted(back.nodes) == sorted(expected.nodes), fmt
        for a, c, data in expected.edges(data=True):
            for key in ("weight", "photos", "newman", "jaccard"):
                assert float(back[a][c][key]) == pytest.approx(data[key]), (fmt, key)
        for node, data in expected.nodes(data=True):
            assert back.nodes[node]["label"] == data["label"]
            assert int(back.nodes[node]["photos"]) == data["photos"]
    nodes_csv, edges_csv = export_network(library, "csv", export / "net.csv", engine=ENGINE)
    with nodes_csv.open() as f:
        assert {int(r["id"]) for r in csv.DictReader(f)} == set(expected.nodes)
    with edges_csv.open() as f:
        rows = list(csv.DictReader(f))
    assert {(int(r["source"]), int(r["target"])) for r in rows} == {
        tuple(sorted(e)) for e in expected.edges
    }


NAUGHTY = "<script>alert(1)</script>"


def test_html_is_self_contained_and_escapes_names(album_library, tmp_path):
    library, _ = album_library
    name_person(library, 1, NAUGHTY)
    (page,) = export_network(library, "html", tmp_path / "net.html", engine=ENGINE)
    text = page.read_text()
    assert NAUGHTY not in text
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in text  # the name, as JSON data
    assert not re.search(r"<script[^>]*\bsrc=", text)
    assert not re.search(r"<link[^>]*\bhref=\"?https?:", text)
    assert "vis.Network" in text


def script_elements(text: str) -> int:
    """How many <script> elements an HTML parser finds (script bodies are not parsed)."""
    from html.parser import HTMLParser

    class Counter(HTMLParser):
        count = 0

        def handle_starttag(self, tag, attrs):
            self.count += tag == "script"

    parser = Counter()
    parser.feed(text)
    return parser.count


def test_html_opens_in_headless_chromium_with_every_node(album_library, tmp_path, browser):
    library, _ = album_library
    name_person(library, 1, NAUGHTY)
    network = coappearance_network(library, engine=ENGINE)
    (page,) = export_network(library, "html", tmp_path / "net.html", engine=ENGINE)
    with open_page(browser, page) as tab:
        seen = tab.evaluate(
            """() => ({nodes: facegraph.nodes.length, edges: facegraph.edges.length,
                drawn: Object.keys(facegraph.network.getPositions()).length,
                canvases: document.querySelectorAll("canvas").length,
                scripts: document.querySelectorAll("script").length,
                named: facegraph.nodes.get(1).label})"""
        )
    assert seen["nodes"] == seen["drawn"] == network.number_of_nodes() == 30
    assert seen["edges"] == network.number_of_edges()
    assert seen["canvases"] >= 1
    assert seen["scripts"] == script_elements(page.read_text())  # the name added no script
    assert seen["named"] == NAUGHTY  # shown as the text it is


def test_network_statistics_of_a_known_network():
    # two triangles joined by one tie, and one person seen only alone
    people = [{"person_id": i, "name": None, "photos": 3} for i in range(1, 8)]
    ties = [(1, 2), (1, 3), (2, 3), (4, 5), (4, 6), (5, 6), (3, 4)]
    pairs = [{"person_a": a, "person_b": b, "photos": 2, "newman": 1.0} for a, b in ties]
    stats = network_statistics(build_network(people, pairs, NetworkFilter()))
    summary = stats["summary"]
    assert (summary["people"], summary["ties"], summary["isolated_people"]) == (7, 7, 1)
    assert summary["components"] == 1 and summary["largest_component"] == 6
    assert summary["density"] == pytest.approx(7 / 15)
    assert summary["communities"] == 2
    assert sorted(stats["communities"]) == [[1, 2, 3], [4, 5, 6]]
    assert sorted(stats["cliques"]) == [[1, 2, 3], [4, 5, 6]]
    by_id = {p["person_id"]: p for p in stats["people"]}
    assert (
        by_id[3]["betweenness"]
        == by_id[4]["betweenness"]
        == max(p["betweenness"] for p in stats["people"])
    )
    assert by_id[7]["degree"] == 0 and by_id[3]["degree"] == 3
    assert summary["average_shortest_path"] == pytest.approx(
        nx.average_shortest_path_length(nx.Graph(ties))
    )


def test_cli_queries_and_exports(album_library, tmp_path):
    library, _ = album_library

    def cli(*args):
        done = subprocess.run(
            [sys.executable, "-m", "facegraph", *args, "--library", str(library)],
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "FACEGRAPH_GRAPH_ENGINE": ENGINE},
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    listed = cli("query", "--list", "--json")
    assert {q["name"] for q in json.loads(listed)} >= {"co_appearance", "ego_network"}
    rows = json.loads(cli("query", "strongest_ties", "-p", "limit=3", "--json"))
    assert len(rows) == 3 and rows[0]["newman"] >= rows[-1]["newman"]
    csv_out = cli(
        "sql",
        "SELECT person_id, photos FROM network_people WHERE person_id = $id",
        "-p",
        "id=2",
        "--csv",
    )
    assert csv_out.splitlines()[0] == "person_id,photos"
    table = cli("cypher", "MATCH (p:Person) WHERE p.id = $id RETURN p.id AS id", "-p", "id=2")
    assert table.split() == ["id", "--", "2"]
    stats = json.loads(cli("network", "stats", "--json"))
    assert stats["summary"]["people"] == 30
    out = cli(
        "export",
        "graphml",
        "-o",
        str(tmp_path / "g.graphml"),
        "--person",
        "1",
        "--hops",
        "1",
        "--min-weight",
        "2",
    )
    assert nx.read_graphml(out.strip()).number_of_nodes() >= 1
    sync_report = json.loads(cli("graph", "sync", "--rebuild", "--json"))
    assert sync_report["mode"] == "rebuild" and sync_report["engine"] == ENGINE


# ---------------------------------------------------------------- the same tests on ladybug

#: every test above, run once more on ladybug (collected here, after they are all defined)
_ENGINE_TESTS = sorted(name for name in dict(globals()) if name.startswith("test_"))


@pytest.fixture(scope="module")
def ladybug_outcomes(tmp_path_factory) -> dict[str, tuple[str, str]]:
    """Kùzu and ladybug cannot share a process (their bindings clash), so this module runs
    again in one child process with ladybug as the engine; its JUnit report gives each test's
    outcome, which `test_on_ladybug` reports under the test's own name."""
    import xml.etree.ElementTree as ElementTree

    report = tmp_path_factory.mktemp("ladybug") / "junit.xml"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-n",
            "0",  # one process: this already runs beside the others
            __file__,
            "-k",
            "not test_on_ladybug",
            f"--junitxml={report}",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=REPO,
        env={**os.environ, "FACEGRAPH_GRAPH_ENGINE": "ladybug"},
    )
    if not report.exists():
        pytest.fail(f"the ladybug run wrote no report:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    outcomes = {}
    for case in ElementTree.parse(report).iter("testcase"):
        verdict = ("passed", "")
        for kind in ("failure", "error", "skipped"):
            found = case.find(kind)
            if found is not None:
                verdict = (kind, (found.get("message") or "") + "\n" + (found.text or ""))
                break
        outcomes[case.get("name")] = verdict
    return outcomes


@pytest.mark.slow
@pytest.mark.skipif(ENGINE != "kuzu", reason="this is the ladybug run itself")
@pytest.mark.parametrize("name", _ENGINE_TESTS)
def test_on_ladybug(name, ladybug_outcomes):
    runs = {k: v for k, v in ladybug_outcomes.items() if k == name or k.startswith(name + "[")}
    assert runs, f"{name} did not run on ladybug"
    for case, (outcome, detail) in runs.items():
        if outcome == "skipped":
            pytest.skip(f"{case} on ladybug: {detail.strip()}")
        assert outcome == "passed", f"{case} on ladybug: {outcome}\n{detail[-3000:]}"
