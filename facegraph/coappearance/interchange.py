"""The network for the tools investigators import into: FollowTheMoney entities (Aleph,
OpenAleph) and Neo4j's bulk-import CSV.

Both are written from what every other export shows: the (filtered) network's people and ties,
and the photos in which those people appear (`build.network_photos`). IDs are facegraph's own,
prefixed, so a second export of the same library names the same things the same way.

FollowTheMoney (one JSON entity a line, ``.ftm.json``):
- ``Person`` per person (``name``, or "Person N" as ``alias`` for an unnamed one);
- ``Image`` per photo (its file name and date; the path in ``description``);
- ``Documentation`` per appearance (the person is documented by the photo);
- ``Associate`` per tie, with ``startDate``/``endDate`` from the shared photos' dates and every
  shared photo as ``proof``.

Neo4j (``neo4j-admin database import full``; control characters in paths written as ``\\xNN``,
so no field spans lines): ``NAME.people.csv`` (``:ID(Person)``),
``NAME.photos.csv`` (``:ID(Photo)``), ``NAME.appears_in.csv`` (``APPEARS_IN``, person → photo)
and ``NAME.ties.csv`` (``APPEARS_WITH``, person → person, with the tie's weights and dates).
"""

from __future__ import annotations

import csv
import json
import mimetypes
import os
from pathlib import Path
from typing import Any

import networkx as nx

from ..safe_text import printable

#: the entity ID prefixes; stable, so exports of the same library line up
PERSON, PHOTO = "facegraph-person-", "facegraph-photo-"


def _appearances(network: nx.Graph, photos: list[dict[str, Any]]):
    """``{image_id: row}`` and ``[(person_id, image_id)]`` for the network's people."""
    rows = [r for r in photos if r["person_id"] in network]
    images = {r["image_id"]: r for r in sorted(rows, key=lambda r: r["image_id"])}
    pairs = sorted({(int(r["person_id"]), int(r["image_id"])) for r in rows})
    return images, pairs


def _photos_of_ties(pairs: list[tuple[int, int]], network: nx.Graph) -> dict[tuple, list[int]]:
    people_in: dict[int, list[int]] = {}
    for person, image in pairs:
        people_in.setdefault(image, []).append(person)
    shared: dict[tuple, list[int]] = {}
    for image, people in sorted(people_in.items()):
        for i, a in enumerate(people):
            for b in people[i + 1 :]:
                key = (min(a, b), max(a, b))
                if network.has_edge(*key):
                    shared.setdefault(key, []).append(image)
    return shared


def _date(value: Any) -> str | None:
    return value.date().isoformat() if value is not None else None


def ftm_entities(network: nx.Graph, photos: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The network as FollowTheMoney entities (dicts of ``id``, ``schema``, ``properties``)."""
    images, pairs = _appearances(network, photos)
    entities: list[dict[str, Any]] = []
    for person, data in sorted(network.nodes(data=True)):
        names = {"name": [data["name"]]} if data.get("name") else {"alias": [data["label"]]}
        description = f"facegraph person {person}: {data.get('photos', 0)} photos"
        entities.append(
            {
                "id": f"{PERSON}{person}",
                "schema": "Person",
                "properties": {**names, "description": [description]},
            }
        )
    for image, row in images.items():
        properties = {"fileName": [os.path.basename(row["path"])], "description": [row["path"]]}
        if (mime := mimetypes.guess_type(row["path"])[0]) is not None:
            properties["mimeType"] = [mime]
        if row["taken_at"] is not None:
            properties["date"] = [_date(row["taken_at"])]
        entities.append({"id": f"{PHOTO}{image}", "schema": "Image", "properties": properties})
    for person, image in pairs:
        entities.append(
            {
                "id": f"facegraph-appears-{person}-{image}",
                "schema": "Documentation",
                "properties": {
                    "entity": [f"{PERSON}{person}"],
                    "document": [f"{PHOTO}{image}"],
                    "role": ["appears in the photo"],
                },
            }
        )
    shared = _photos_of_ties(pairs, network)
    for (a, b), images_of_tie in sorted(shared.items()):
        data = network.edges[a, b]
        properties = {
            "person": [f"{PERSON}{a}"],
            "associate": [f"{PERSON}{b}"],
            "relationship": ["appear together in photos"],
            "description": [f"{data.get('photos', len(images_of_tie))} photos together"],
            "proof": [f"{PHOTO}{i}" for i in images_of_tie],
        }
        if data.get("first_seen"):
            properties["startDate"] = [str(data["first_seen"])[:10]]
        if data.get("last_seen"):
            properties["endDate"] = [str(data["last_seen"])[:10]]
        entities.append(
            {"id": f"facegraph-tie-{a}-{b}", "schema": "Associate", "properties": properties}
        )
    return entities


def write_ftm(network: nx.Graph, photos: list[dict[str, Any]], out: Path) -> list[Path]:
    """FollowTheMoney entities, one JSON object a line (``ftm import`` / Aleph's loaders)."""
    with out.open("w", encoding="utf-8") as f:
        for entity in ftm_entities(network, photos):
            f.write(json.dumps(entity, ensure_ascii=False, sort_keys=True) + "\n")
    return [out]


def neo4j_paths(out: Path) -> dict[str, Path]:
    stem = out.with_suffix("") if out.suffix.lower() == ".csv" else out
    parts = ("people", "photos", "appears_in", "ties")
    return {part: stem.with_name(f"{stem.name}.{part}.csv") for part in parts}


def write_neo4j(network: nx.Graph, photos: list[dict[str, Any]], out: Path) -> list[Path]:
    """Neo4j's bulk-import CSV: people and photos as nodes, APPEARS_IN and APPEARS_WITH as
    relationships; `neo4j_paths` names the four files."""
    images, pairs = _appearances(network, photos)
    paths = neo4j_paths(out)
    people = [
        [p, d["label"], d.get("name", ""), d.get("photos", 0), d.get("community", ""), "Person"]
        for p, d in sorted(network.nodes(data=True))
    ]
    header = ["personId:ID(Person)", "label", "name", "photos:int", "community:int", ":LABEL"]
    _write(paths["people"], header, people)
    _write(
        paths["photos"],
        ["photoId:ID(Photo)", "path", "taken_at:datetime", ":LABEL"],
        [
            [i, printable(r["path"]), r["taken_at"].isoformat() if r["taken_at"] else "", "Photo"]
            for i, r in images.items()
        ],
    )
    _write(
        paths["appears_in"],
        [":START_ID(Person)", ":END_ID(Photo)", ":TYPE"],
        [[p, i, "APPEARS_IN"] for p, i in pairs],
    )
    ties = sorted((min(a, b), max(a, b), d) for a, b, d in network.edges(data=True))
    _write(
        paths["ties"],
        [":START_ID(Person)", ":END_ID(Person)", "weight:float", "photos:int", "newman:float",
         "jaccard:float", "first_seen:date", "last_seen:date", "undated:int", ":TYPE"],
        [
            [a, b, d.get("weight", ""), d.get("photos", ""), d.get("newman", ""),
             d.get("jaccard", ""), str(d.get("first_seen", ""))[:10],
             str(d.get("last_seen", ""))[:10], d.get("undated", ""), "APPEARS_WITH"]
            for a, b, d in ties
        ],
    )  # fmt: skip
    return list(paths.values())


def _write(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
