"""Ties over time on a hand-made library of dated photos (real DuckDB, real graph): `together`
(AND and --only), each tie's first and last date and counts per month and year, the network
of each period, and the dynamic GEXF read back by networkx."""

from __future__ import annotations

import csv
import json
import random
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from itertools import combinations
from pathlib import Path

import networkx as nx
import pytest
from test_graph import ENGINE

from facegraph.coappearance.build import coappearance_network
from facegraph.coappearance.export import export_network
from facegraph.coappearance.timeline import networks_by_period, tie_months, together
from facegraph.errors import PersonNotFoundError
from facegraph.library import Library
from facegraph.people.edits import name_person

NAMES = {1: "Ada", 2: "Grace", 3: "Hedy"}


def dated_album(seed: int, people: int = 12, photos: int = 150) -> list[tuple]:
    """(path, people, taken_at or None) over three years; one photo in ten undated."""
    rng = random.Random(seed)
    start = datetime(2018, 1, 1)
    album = []
    for i in range(photos):
        members = rng.sample(range(1, people + 1), rng.choice([1, 2, 2, 3, 3, 4, 6]))
        when = None if i % 10 == 9 else start + timedelta(days=rng.randrange(3 * 365))
        album.append((f"/photos/{seed}/img{i:04d}.jpg", members, when))
    return album


def write_dated(library: Path, album) -> None:
    with Library.open(library, write=True) as lib:
        con = lib.connection
        for _ in range(max(p for _, members, _ in album for p in members)):
            con.execute("INSERT INTO people DEFAULT VALUES")
        for path, members, when in album:
            (image_id,) = con.execute(
                "INSERT INTO images (path, size_bytes, mtime_ns, status, face_count, taken_at)"
                " VALUES (?, 1, 1, 'ok', ?, ?) RETURNING image_id",
                [path, len(members), when],
            ).fetchall()[0]
            for index, person in enumerate(members):
                con.execute(
                    "INSERT INTO faces (image_id, face_index, box_left, box_top, box_right,"
                    " box_bottom, person_id, assigned_by) VALUES (?, ?, ?, 0, ?, 50, ?, 'cluster')",
                    [image_id, index, 60 * index, 60 * index + 50, person],
                )
    for person, name in NAMES.items():
        name_person(library, person, name)


@pytest.fixture
def dated(tmp_path) -> tuple[Path, list]:
    album = dated_album(seed=3)
    library = tmp_path / "library"
    write_dated(library, album)
    return library, album


def in_order(photos: list[tuple]) -> list[str]:
    return [p for p, _, w in sorted(photos, key=lambda r: (r[2] is None, r[2] or 0, r[0]))]


def test_together_lists_the_photos_all_of_them_share_by_date(dated):
    library, album = dated
    for group in ([1, 2], [1, 2, 3], [4, 5]):
        expected = [row for row in album if set(group) <= set(row[1])]
        found = together(library, group, engine=ENGINE)
        assert [r["path"] for r in found] == in_order(expected)
        assert len(found) > 0
    # by name, case aside, and by ID as text
    assert together(library, ["ada", "2"], engine=ENGINE) == together(
        library, [1, 2], engine=ENGINE
    )
    # --only: nobody else *named* in the photo; unnamed people may be there
    others = set(NAMES) - {1, 2}
    alone = [r for r in album if {1, 2} <= set(r[1]) and not others & set(r[1])]
    only = together(library, [1, 2], only=True, engine=ENGINE)
    assert [r["path"] for r in only] == in_order(alone)
    assert any(len(r[1]) > 2 for r in alone)  # an unnamed third person does not exclude it
    assert len(only) < len(together(library, [1, 2], engine=ENGINE))
    with pytest.raises(PersonNotFoundError, match="no person named 'Nobody'"):
        together(library, ["Ada", "Nobody"], engine=ENGINE)


def test_the_together_command_prints_json_and_refuses_an_unknown_person(dated):
    library, album = dated
    run = [sys.executable, "-m", "facegraph", "together", "Ada", "Grace", "--library", str(library)]
    done = subprocess.run([*run, "--only", "--json"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)["photos"]
    assert [r["path"] for r in rows] == [
        r["path"] for r in together(library, [1, 2], only=True, engine=ENGINE)
    ]
    bad = subprocess.run([*run[:-4], "Nobody", *run[-2:]], capture_output=True, text=True)
    assert bad.returncode != 0 and bad.stderr.strip().splitlines() == [
        "Error: no person named 'Nobody'; 'facegraph people list' shows them"
    ]


def pair_dates(album) -> dict[tuple[int, int], list]:
    dates = defaultdict(list)
    for _, members, when in album:
        for a, b in combinations(sorted(members), 2):
            dates[(a, b)].append(when)
    return dates


def test_each_tie_carries_its_first_and_last_date_and_counts_per_month(dated, tmp_path):
    library, album = dated
    expected = pair_dates(album)
    network = coappearance_network(library, engine=ENGINE)
    months = tie_months(library, engine=ENGINE)
    assert network.number_of_edges() == len(expected) > 30
    for a, b, data in network.edges(data=True):
        dates = expected[(min(a, b), max(a, b))]
        known = sorted(d for d in dates if d is not None)
        assert data["undated"] == len(dates) - len(known)
        if known:
            assert data["first_seen"] == known[0].date().isoformat()
            assert data["last_seen"] == known[-1].date().isoformat()
        else:
            assert "first_seen" not in data
        per_month = Counter(d.strftime("%Y-%m") for d in known)
        assert months.get((min(a, b), max(a, b)), {}) == dict(per_month)
    # JSON carries the months and years; CSV the first and last dates
    export_network(library, "json", tmp_path / "net.json", engine=ENGINE)
    edges = json.loads((tmp_path / "net.json").read_text())["edges"]
    for edge in edges:
        known = [d for d in expected[(min(edge["source"], edge["target"]),
                                      max(edge["source"], edge["target"]))] if d]  # fmt: skip
        assert edge["years"] == dict(sorted(Counter(str(d.year) for d in known).items()))
        assert sum(edge["months"].values()) == len(known)
    export_network(library, "csv", tmp_path / "net.csv", engine=ENGINE)
    with open(tmp_path / "net.edges.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {"first_seen", "last_seen", "undated"} <= set(rows[0])
    assert len(rows) == len(edges)


def test_the_network_of_each_year_counts_that_years_photos(dated):
    library, album = dated
    by_year = networks_by_period(library, "year", engine=ENGINE)
    assert list(by_year) == ["2018", "2019", "2020"]
    for year, network in by_year.items():
        photos = [r for r in album if r[2] is not None and str(r[2].year) == year]
        expected = pair_dates(photos)
        assert {(min(a, b), max(a, b)) for a, b in network.edges} == set(expected)
        for a, b, data in network.edges(data=True):
            assert data["photos"] == len(expected[(min(a, b), max(a, b))])
    months = networks_by_period(library, "month", engine=ENGINE)
    assert len(months) > 12 and all(len(label) == 7 for label in months)
    assert sum(g.number_of_nodes() > 0 for g in months.values()) == len(months)


def test_a_dynamic_gexf_reads_back_with_the_spells_of_the_photos(dated, tmp_path):
    library, album = dated
    out = tmp_path / "timeline.gexf"
    done = subprocess.run(
        [sys.executable, "-m", "facegraph", "export", "gexf", "--dynamic", "-o", str(out),
         "--library", str(library)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    undated = sum(1 for r in album if r[2] is None)
    assert f"{undated} photos without a date have no spell" in done.stderr
    read = nx.read_gexf(out)
    assert read.graph["mode"] == "dynamic"
    days_of = defaultdict(set)
    for _, members, when in album:
        for person in members:
            if when:
                days_of[person].add(when.date().isoformat())
    for node, data in read.nodes(data=True):
        days = days_of[int(node)]
        assert data["spells"] == [(min(days), max(days))]
    expected = pair_dates(album)
    for a, b, data in read.edges(data=True):
        days = sorted(
            {d.date().isoformat() for d in expected[tuple(sorted((int(a), int(b))))] if d}
        )
        assert [start for start, _ in data.get("spells", [])] == days
    refused = subprocess.run(
        [sys.executable, "-m", "facegraph", "export", "csv", "--dynamic", "-o", str(out),
         "--library", str(library)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert refused.returncode != 0 and "--dynamic is for gexf" in refused.stderr
