"""Network statistics, as the old tool's analysis: structure, centrality, communities, cliques.

Computed with networkx on the co-appearance network. As in the old tool, people with no tie
(seen only alone) are counted (``people``, ``isolated_people``) but left out of the structural
measures, which are over ``people_with_ties``; they belong to no community. On large networks the
two quadratic measures are estimated from a sample of sources (``sampled`` says so).
"""

from __future__ import annotations

import contextlib
import math
import os
from typing import Any

import networkx as nx

from .build import coappearance_network
from .filters import NetworkFilter

#: above this many people, shortest paths and betweenness are estimated from a sample
EXACT_UP_TO = 2000
SAMPLE_SOURCES = 500
MAX_CLIQUES = 100


def _number(value: float) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), 6)


def communities(network: nx.Graph, seed: int = 0) -> dict[int, int]:
    """Weighted Louvain communities of the people with ties: person → community number (0 = the
    largest). People with no tie belong to none. Statistics, exports, pages and figures all
    take their communities from here, so they count the same ones."""
    tied = _weighted(network)
    if tied.number_of_edges() == 0:
        return {}
    found = nx.community.louvain_communities(tied, weight="weight", seed=seed)
    found = sorted(found, key=lambda c: (-len(c), min(c)))
    return {node: number for number, members in enumerate(found) for node in members}


def _weighted(network: nx.Graph) -> nx.Graph:
    """The ties of some weight (not the weaker ties of weight 0: `build.add_same_shot`)."""
    return network.edge_subgraph(
        (a, b) for a, b, weight in network.edges(data="weight", default=1) if weight > 0
    )


def _eigenvector(network: nx.Graph) -> dict[int, float]:
    if network.number_of_nodes() < 3:
        return dict.fromkeys(network.nodes, 1.0 / max(network.number_of_nodes(), 1) ** 0.5)
    try:
        return nx.eigenvector_centrality_numpy(network, weight="weight")
    except (nx.NetworkXException, ValueError, TypeError):
        return nx.eigenvector_centrality(network, weight="weight", max_iter=2000, tol=1e-8)


def _average_shortest_path(component: nx.Graph, seed: int) -> tuple[float, bool]:
    nodes = sorted(component.nodes)
    if len(nodes) < 2:
        return 0.0, False
    if len(nodes) <= EXACT_UP_TO:
        return nx.average_shortest_path_length(component), False
    import random

    sources = random.Random(seed).sample(nodes, SAMPLE_SOURCES)
    total = count = 0
    for source in sources:
        lengths = nx.single_source_shortest_path_length(component, source)
        total += sum(lengths.values())
        count += len(lengths) - 1
    return total / count, True


def attribute_mixing(network: nx.Graph) -> dict[str, Any]:
    """Who mixes with whom by estimated gender and age (as the old tool's statistics), over the
    ties whose two people both have an estimate (None when there are none, or no variety):
    assortativity of gender and of age (1 = ties only between alike people, 0 = as by chance,
    < 0 = between unlike), the share of ties between a woman and a man, and the mean age gap
    across ties in years."""
    by_gender = network.subgraph([n for n, g in network.nodes(data="gender") if g is not None])
    by_age = network.subgraph([n for n, a in network.nodes(data="age") if a is not None])
    gender_value = age_value = None
    with contextlib.suppress(ValueError, ZeroDivisionError, KeyError):
        if by_gender.number_of_edges():
            gender_value = nx.attribute_assortativity_coefficient(by_gender, "gender")
    with contextlib.suppress(ValueError, ZeroDivisionError, KeyError):
        if by_age.number_of_edges():
            age_value = nx.numeric_assortativity_coefficient(by_age, "age")
    gender_of, age_of = dict(by_gender.nodes(data="gender")), dict(by_age.nodes(data="age"))
    mixed = [gender_of[a] != gender_of[b] for a, b in by_gender.edges]
    gaps = [abs(age_of[a] - age_of[b]) for a, b in by_age.edges]
    return {
        "gender_assortativity": _number(gender_value) if gender_value is not None else None,
        "age_assortativity": _number(age_value) if age_value is not None else None,
        "mixed_gender_ties": _number(sum(mixed) / len(mixed)) if mixed else None,
        "mean_age_gap": _number(sum(gaps) / len(gaps)) if gaps else None,
    }


def network_statistics(network: nx.Graph, seed: int = 0) -> dict[str, Any]:
    """``{"summary": {...}, "people": [...], "communities": [...], "cliques": [...]}``."""
    isolated = [n for n in network.nodes if network.degree(n) == 0]
    tied = network.subgraph([n for n in network.nodes if network.degree(n) > 0]).copy()
    components = sorted(nx.connected_components(tied), key=len, reverse=True)
    largest = tied.subgraph(components[0]).copy() if components else nx.Graph()
    sampled = tied.number_of_nodes() > EXACT_UP_TO
    path_length, _ = _average_shortest_path(largest, seed)
    community_of = communities(network, seed)
    groups: dict[int, list[int]] = {}
    for node, number in community_of.items():
        groups.setdefault(number, []).append(node)
    assortativity = None
    if tied.number_of_edges():
        with contextlib.suppress(ValueError, ZeroDivisionError):
            assortativity = nx.degree_assortativity_coefficient(tied)
    degree = nx.degree_centrality(tied) if tied.number_of_nodes() > 1 else {}
    eigenvector = _eigenvector(tied) if tied.number_of_nodes() else {}
    betweenness = (
        nx.betweenness_centrality(tied, k=SAMPLE_SOURCES if sampled else None, seed=seed)
        if tied.number_of_nodes()
        else {}
    )
    summary = {
        "people": network.number_of_nodes(),
        "ties": network.number_of_edges(),
        # the measures below are over the people with ties (as the old tool's)
        "people_with_ties": tied.number_of_nodes(),
        "isolated_people": len(isolated),
        "components": len(components),
        "largest_component": len(components[0]) if components else 0,
        "density": _number(nx.density(tied)) if tied.number_of_nodes() > 1 else 0.0,
        "average_clustering": _number(nx.average_clustering(tied)) if len(tied) else 0.0,
        "degree_assortativity": _number(assortativity) if assortativity is not None else None,
        "average_shortest_path": _number(path_length),
        "communities": len(groups),
        "modularity": _number(
            nx.community.modularity(_weighted(tied), groups.values(), weight="weight")
        )
        if groups
        else None,
        "sampled": sampled,
        **attribute_mixing(tied),
    }
    people = []
    for node in sorted(network.nodes, key=lambda n: (-network.degree(n, weight="weight"), n)):
        data = network.nodes[node]
        people.append(
            {
                "person_id": node,
                "name": data.get("name", ""),
                "photos": data.get("photos", 0),
                "degree": network.degree(node),
                "weighted_degree": _number(network.degree(node, weight="weight")),
                "degree_centrality": _number(degree.get(node, 0.0)),
                "eigenvector": _number(eigenvector.get(node, 0.0)),
                "betweenness": _number(betweenness.get(node, 0.0)),
                "community": community_of.get(node),
                "gender": data.get("gender"),
                "age": data.get("age"),
            }
        )
    cliques = sorted(
        (sorted(c) for c in nx.find_cliques(tied) if len(c) >= 3), key=lambda c: (-len(c), c)
    )[:MAX_CLIQUES]
    return {
        "summary": summary,
        "people": people,
        "communities": [sorted(groups[n]) for n in sorted(groups)],
        "cliques": cliques,
    }


def network_stats(
    library: str | os.PathLike[str] | None = None,
    filters: NetworkFilter | None = None,
    *,
    engine: str | None = None,
) -> dict[str, Any]:
    """Components, density, clustering, assortativity, path length, centralities, Louvain
    communities and maximal cliques of the (filtered) network."""
    return network_statistics(coappearance_network(library, filters, engine))
