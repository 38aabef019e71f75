"""Ties over time: the photos in which people were together, each tie's counts per month and
year, the network of each period, and the network as a Gephi timeline (dynamic GEXF).

Dates are the photos' EXIF dates. A photo with no date is in every count that does not ask
for a date (``together``, a tie's ``photos``) and in none that does; each function says how
many it could not place.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import networkx as nx

from .. import graph
from ..people.read import resolve_people
from . import queries as querying
from .build import coappearance_network, network_photos
from .filters import NetworkFilter

LibraryPath = str | os.PathLike[str] | None
PERIODS = ("year", "month")


def together(
    library: LibraryPath,
    people: Sequence[int | str],
    *,
    only: bool = False,
    engine: str | None = None,
) -> list[dict[str, Any]]:
    """The photos in which all of `people` (IDs or names) appear, oldest first, undated last:
    ``{image_id, path, taken_at, people, others_named}``. `only`: just the photos in which no
    other named person appears (unnamed faces may)."""
    person_ids = resolve_people(library, people)
    query = querying.builtin_query("together")
    values = {"people": person_ids, "alone": only}
    with graph.open_graph(library, engine) as g:
        return g.execute(query.text, querying.bind(query, values)).to_pylist()


def tie_months(
    library: LibraryPath, filters: NetworkFilter | None = None, engine: str | None = None
) -> dict[tuple[int, int], dict[str, int]]:
    """``(person_a, person_b)`` (a < b) → ``{"2019-06": photos, ...}`` over dated photos."""
    filters = filters or NetworkFilter()
    query = querying.builtin_query("ties_by_month")
    window = {
        "since": filters.since,
        "until": filters.until,
        "count_duplicates": filters.count_duplicates,
    }
    months: dict[tuple[int, int], dict[str, int]] = defaultdict(dict)
    with graph.open_graph(library, engine) as g:
        for row in g.execute(query.text, querying.bind(query, window)).to_pylist():
            key = (int(row["person_a"]), int(row["person_b"]))
            months[key][f"{int(row['year']):04d}-{int(row['month']):02d}"] = int(row["photos"])
    return dict(months)


def add_timelines(network: nx.Graph, months: dict[tuple[int, int], dict[str, int]]) -> None:
    """Give each edge its ``months`` and ``years`` counts (dicts; JSON keeps them)."""
    for a, b, data in network.edges(data=True):
        counts = months.get((min(a, b), max(a, b)), {})
        data["months"] = dict(counts)
        years: Counter[str] = Counter()
        for month, n in counts.items():
            years[month[:4]] += n
        data["years"] = dict(sorted(years.items()))


def networks_by_period(
    library: LibraryPath,
    period: str = "year",
    filters: NetworkFilter | None = None,
    engine: str | None = None,
) -> dict[str, nx.Graph]:
    """``"2019"`` (or ``"2019-06"``) → the network of the photos taken in that period, for
    every period with a dated photo; other filters (weight, minimum photos...) apply to each."""
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}, not {period!r}")
    filters = filters or NetworkFilter()
    dates = [r["taken_at"] for r in network_photos(library, filters, engine) if r["taken_at"]]
    starts = sorted({_period_start(d, period) for d in dates})
    result = {}
    for start in starts:
        end = _next_period(start, period)
        window = replace(
            filters,
            since=max(start, filters.since) if filters.since else start,
            until=min(end, filters.until) if filters.until else end,
        )
        label = f"{start.year:04d}" if period == "year" else f"{start.year:04d}-{start.month:02d}"
        result[label] = coappearance_network(library, window, engine)
    return result


def dynamic_network(
    library: LibraryPath, filters: NetworkFilter | None = None, engine: str | None = None
) -> nx.Graph:
    """The network with Gephi timeline spells: each person from their first dated photo to
    their last, each tie on every day the two share a photo. People and ties seen only in
    undated photos get no spell (Gephi then shows them throughout); ``graph["undated_photos"]``
    says how many photos of the network have no date."""
    network = coappearance_network(library, filters, engine)
    days_of: dict[int, set[str]] = defaultdict(set)
    people_of: dict[int, set[int]] = defaultdict(set)
    day_of: dict[int, str] = {}
    undated = set()
    for row in network_photos(library, filters, engine):
        person, image = int(row["person_id"]), int(row["image_id"])
        if person not in network:
            continue
        if row["taken_at"] is None:
            undated.add(image)
            continue
        day_of[image] = row["taken_at"].date().isoformat()
        days_of[person].add(day_of[image])
        people_of[image].add(person)
    shared_days: dict[tuple[int, int], set[str]] = defaultdict(set)
    for image, members in people_of.items():
        ordered = sorted(members)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1 :]:
                if network.has_edge(a, b):
                    shared_days[(a, b)].add(day_of[image])
    for person, days in days_of.items():
        network.nodes[person]["spells"] = [(min(days), max(days))]
    for (a, b), days in shared_days.items():
        network.edges[a, b]["spells"] = [(day, day) for day in sorted(days)]
    network.graph["mode"] = "dynamic"
    network.graph["undated_photos"] = len(undated)
    return network


def _period_start(when: datetime, period: str) -> datetime:
    return datetime(when.year, 1 if period == "year" else when.month, 1)


def _next_period(start: datetime, period: str) -> datetime:
    if period == "year" or start.month == 12:
        return datetime(start.year + 1, 1, 1)
    return datetime(start.year, start.month + 1, 1)
