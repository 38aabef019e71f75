"""The co-appearance network as a networkx graph: people are nodes, shared photos are edges.

Pairs and their weights come from the graph engine (``queries/co_appearance.cypher``); this
module adds Jaccard, applies the filters and cuts subgraphs. Edge weights:

- ``photos``: how many photos the two share;
- ``newman``: the sum over shared photos of 1/(n-1), n = people in the photo (Newman 2001), so
  one 40-person group photo does not outweigh a handful of photos of the two alone;
- ``jaccard``: shared photos / photos either appears in.

Near-duplicate photos (a burst of shots, one photo posted again recompressed or resized) are one
*moment* (`ingestion.moments`), counted once in every weight and count; ``duplicates`` says how
many photos behind a tie that left out, and `NetworkFilter.count_duplicates` counts them all.

In a library with videos, each edge also says ``same_shot``: in how many shots of a video the
two were seen one after the other but never together (`add_same_shot`; not in the weights).

Each edge also says when: ``first_seen`` and ``last_seen`` (dates of the first and last shared
photo, left out when none is dated) and ``undated`` (shared photos with no date); `timeline`
adds the counts per month and year.
"""

from __future__ import annotations

import os
from typing import Any

import networkx as nx

from .. import graph
from ..people.read import matches_attributes
from . import queries as querying
from .filters import NetworkFilter


def person_label(person_id: int, name: str | None) -> str:
    return name or f"Person {person_id}"


def build_network(
    people: list[dict[str, Any]], pairs: list[dict[str, Any]], filters: NetworkFilter
) -> nx.Graph:
    """The filtered network from rows of ``people_photos`` and ``co_appearance``."""
    network = nx.Graph()
    photos_of = {}
    for row in people:
        if row["photos"] >= filters.min_photos and matches_attributes(
            row, filters.gender, filters.age_min, filters.age_max
        ):
            person_id = int(row["person_id"])
            photos_of[person_id] = int(row["photos"])
            network.add_node(
                person_id,
                label=person_label(person_id, row["name"]),
                name=row["name"] or "",
                photos=int(row["photos"]),
                # only when estimated: GEXF and GraphML have no null
                **{k: row[k] for k in ("gender", "age", "birth_year") if row.get(k) is not None},
            )
    for row in pairs:
        a, b = int(row["person_a"]), int(row["person_b"])
        if a not in photos_of or b not in photos_of:
            continue
        shared = int(row["photos"])
        weights = {
            "photos": shared,
            "newman": float(row["newman"]),
            "jaccard": shared / (photos_of[a] + photos_of[b] - shared),
        }
        # near-duplicate photos behind the tie that its weights count once
        extra = {"duplicates": int(row.get("shots") or shared) - shared}
        if weights[filters.weight] >= filters.min_weight:
            network.add_edge(a, b, weight=weights[filters.weight], **weights, **_when(row), **extra)
    if filters.min_weight > 0 and not filters.keep_isolated:
        network.remove_nodes_from([n for n in list(network.nodes) if network.degree(n) == 0])
    if filters.person is not None:
        if filters.person not in network:
            return nx.Graph()
        network = nx.ego_graph(network, filters.person, radius=filters.hops).copy()
    if filters.top is not None:
        ranked = sorted(network.nodes, key=lambda n: (-network.nodes[n]["photos"], n))
        network = network.subgraph(ranked[: filters.top]).copy()
    for node in network.nodes:
        network.nodes[node]["connections"] = network.degree(node)
    return network


def _when(row: dict[str, Any]) -> dict[str, Any]:
    """The edge's dates (ISO strings: GEXF and GraphML have no date type and no null)."""
    when: dict[str, Any] = {"undated": int(row["photos"]) - int(row.get("dated") or 0)}
    for key in ("first_seen", "last_seen"):
        if row.get(key) is not None:
            when[key] = row[key].date().isoformat()
    return when


def coappearance_network(
    library: str | os.PathLike[str] | None = None,
    filters: NetworkFilter | None = None,
    engine: str | None = None,
) -> nx.Graph:
    """The library's co-appearance network (synced from DuckDB first if it changed)."""
    filters = filters or NetworkFilter()
    window = {
        "since": filters.since,
        "until": filters.until,
        "count_duplicates": filters.count_duplicates,
    }
    people_query = querying.builtin_query("people_photos")
    pairs_query = querying.builtin_query("co_appearance")
    with graph.open_graph(library, engine) as g:
        people = g.execute(people_query.text, querying.bind(people_query, window)).to_pylist()
        pairs = g.execute(
            pairs_query.text, querying.bind(pairs_query, {**window, "min_photos": 1})
        ).to_pylist()
        dated = filters.since is not None or filters.until is not None
        undated = _undated(g) if dated else 0
    network = build_network(people, pairs, filters)
    network.graph["undated_left_out"] = undated  # photos a date filter cannot place
    shots = querying.builtin_query("same_shot")
    dates = {"since": filters.since, "until": filters.until}
    rows = querying.run_sql(library, shots.text, querying.bind(shots, dates)).to_pylist()
    add_same_shot(network, rows, filters)
    return network


def add_same_shot(network: nx.Graph, rows: list[dict[str, Any]], filters: NetworkFilter) -> None:
    """Give every tie ``same_shot``, the shots of a video in which the two were seen but never
    together (rows of ``queries/same_shot.sql``); with ``filters.same_shot``, people seen only
    that way get a tie of weight 0. A library without such shots is left as it is."""
    if not rows:
        return
    shots: dict[tuple[int, int], int] = {}
    for row in rows:
        pair = (int(row["person_a"]), int(row["person_b"]))
        shots[pair] = shots.get(pair, 0) + 1
    for a, b, data in network.edges(data=True):
        data["same_shot"] = shots.get((min(a, b), max(a, b)), 0)
    if not filters.same_shot or filters.min_weight > 0:
        return
    for (a, b), count in shots.items():
        if a in network and b in network and not network.has_edge(a, b):
            weights = {"photos": 0, "newman": 0.0, "jaccard": 0.0}
            network.add_edge(a, b, weight=0.0, **weights, undated=0, duplicates=0, same_shot=count)
            for person in (a, b):
                network.nodes[person]["connections"] = network.degree(person)


def network_photos(
    library: str | os.PathLike[str] | None = None,
    filters: NetworkFilter | None = None,
    engine: str | None = None,
) -> list[dict[str, Any]]:
    """``{person_id, image_id, taken_at, people, path}`` for each person in each photo (within
    the filter's dates): what the network page shows behind each tie."""
    filters = filters or NetworkFilter()
    query = querying.builtin_query("network_photos")
    window = {"since": filters.since, "until": filters.until}
    with graph.open_graph(library, engine) as g:
        return g.execute(query.text, querying.bind(query, window)).to_pylist()


def undated_photos(library: str | os.PathLike[str] | None = None, engine: str | None = None) -> int:
    """Photos with people and no date: a date filter (`--since/--until`) leaves them out."""
    with graph.open_graph(library, engine) as g:
        return _undated(g)


def _undated(g) -> int:
    query = querying.builtin_query("undated_photos")
    return int(g.execute(query.text, {}).to_pylist()[0]["undated"])
