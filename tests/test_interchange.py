"""The network for investigators' tools: FollowTheMoney entities (validated by the
`followthemoney` package itself) and Neo4j's bulk-import CSV, against a brute-force count of a
known album."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from itertools import combinations

from click.testing import CliRunner
from test_graph import ENGINE, album_library  # noqa: F401 - the fixture

from facegraph.cli import main
from facegraph.coappearance.export import export_network


def album_facts(album):
    """Brute force: each person's photos, each pair's shared photos (by index), each photo's
    month (write_album dates photo n in month 1 + n % 12 of 2020)."""
    photos_of = defaultdict(set)
    shared = defaultdict(set)
    for n, (_, members) in enumerate(album):
        for person in members:
            photos_of[person].add(n)
        for a, b in combinations(sorted(set(members)), 2):
            shared[a, b].add(n)
    return photos_of, shared


def test_followthemoney_entities_validate_and_match_the_album(album_library, tmp_path):  # noqa: F811
    import followthemoney as ftm

    library, album = album_library
    (path,) = export_network(library, "ftm", tmp_path / "net.ftm.json", engine=ENGINE)
    entities = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    by_schema = defaultdict(list)
    for entity in entities:
        schema = ftm.model.get(entity["schema"])
        assert schema is not None, entity
        assert schema.validate(entity) is None, entity
        proxy = ftm.model.get_proxy(entity, cleaned=False)
        assert proxy.id == entity["id"]
        by_schema[entity["schema"]].append(entity)
    ids = {e["id"] for e in entities}
    photos_of, shared = album_facts(album)
    assert len(by_schema["Person"]) == len(photos_of)
    assert len(by_schema["Image"]) == len(album)
    assert len(by_schema["Documentation"]) == sum(len(p) for p in photos_of.values())
    assert len(by_schema["Associate"]) == len(shared)
    for link in by_schema["Documentation"]:
        assert {link["properties"]["entity"][0], link["properties"]["document"][0]} <= ids
    month_of = {n: 1 + n % 12 for n in range(len(album))}
    for tie in by_schema["Associate"]:
        props = tie["properties"]
        assert set(props["proof"]) <= ids
        assert len(props["proof"]) == int(props["description"][0].split()[0])
        months = [int(d[5:7]) for d in (props["startDate"][0], props["endDate"][0])]
        person = int(props["person"][0].rsplit("-", 1)[1])
        other = int(props["associate"][0].rsplit("-", 1)[1])
        together = shared[min(person, other), max(person, other)]
        assert len(props["proof"]) == len(together)
        assert months == [min(month_of[n] for n in together), max(month_of[n] for n in together)]


def read_csv(path):
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def test_neo4j_bulk_import_files_have_the_headers_and_rows(album_library, tmp_path):  # noqa: F811
    library, album = album_library
    result = CliRunner().invoke(
        main,
        ["export", "neo4j", "-o", str(tmp_path / "net"), "--library", str(library),
         "--graph-engine", ENGINE, "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    files = [f["path"] for f in json.loads(result.stdout)["files"]]
    assert [p.rsplit("/", 1)[1] for p in files] == [
        "net.people.csv", "net.photos.csv", "net.appears_in.csv", "net.ties.csv"
    ]  # fmt: skip
    people_head, people = read_csv(tmp_path / "net.people.csv")
    photos_head, photos = read_csv(tmp_path / "net.photos.csv")
    appears_head, appears = read_csv(tmp_path / "net.appears_in.csv")
    ties_head, ties = read_csv(tmp_path / "net.ties.csv")
    assert people_head[0] == "personId:ID(Person)" and people_head[-1] == ":LABEL"
    assert photos_head[0] == "photoId:ID(Photo)" and photos_head[-1] == ":LABEL"
    assert appears_head == [":START_ID(Person)", ":END_ID(Photo)", ":TYPE"]
    assert ties_head[:2] == [":START_ID(Person)", ":END_ID(Person)"] and ties_head[-1] == ":TYPE"
    photos_of, shared = album_facts(album)
    assert len(people) == len(photos_of) and {r[-1] for r in people} == {"Person"}
    assert len(photos) == len(album)
    assert len(appears) == sum(len(p) for p in photos_of.values())
    assert {r[2] for r in appears} == {"APPEARS_IN"}
    person_ids, photo_ids = {r[0] for r in people}, {r[0] for r in photos}
    assert all(r[0] in person_ids and r[1] in photo_ids for r in appears)
    assert len(ties) == len(shared) and {r[-1] for r in ties} == {"APPEARS_WITH"}
    photos_column = ties_head.index("photos:int")
    for row in ties:
        assert int(row[photos_column]) == len(shared[int(row[0]), int(row[1])])
