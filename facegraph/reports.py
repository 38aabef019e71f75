"""The network, taken from a library and written out or measured."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .coappearance import NetworkFilter, coappearance_network
from .export import write_network
from .netstats import communities, network_statistics
from .people import representative_crops


def export_network(
    library: str | os.PathLike[str] | None,
    fmt: str,
    out: str | os.PathLike[str],
    filters: NetworkFilter | None = None,
    *,
    engine: str | None = None,
    colour_communities: bool = False,
    node_scale: float = 1.0,
) -> list[Path]:
    """Write the (filtered) co-appearance network as html, gexf, graphml, csv or json."""
    network = coappearance_network(library, filters, engine)
    if colour_communities:
        for node, number in communities(network).items():
            network.nodes[node]["community"] = number
    crops = representative_crops(library, list(network.nodes)) if fmt == "html" else None
    return write_network(network, fmt, out, crops, node_scale=node_scale)


def network_stats(
    library: str | os.PathLike[str] | None = None,
    filters: NetworkFilter | None = None,
    *,
    engine: str | None = None,
) -> dict[str, Any]:
    """Components, density, clustering, assortativity, path length, centralities, Louvain
    communities and maximal cliques of the (filtered) network."""
    return network_statistics(coappearance_network(library, filters, engine))
