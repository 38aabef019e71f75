"""The old tool's figures, as PNG or SVG (matplotlib): the network coloured by community or by
year, the most central people, and the degree distribution.

The network figure uses the page's positions and communities (`layout`, `stats.communities`),
so a figure and the page of one library show the same picture.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from statistics import median

import networkx as nx

from ..errors import ExportError
from .layout import layout, node_radii
from .page import PALETTE
from .stats import communities, network_statistics

KINDS = ("network", "centrality", "degrees")
COLOURS = ("community", "year", "gender", "age")
GREY = "#9aa0a6"
#: inches and dots per inch: 1200 x 900 pixels as PNG
SIZE, DPI = (12, 9), 100
LABELLED = 25  # the most connected people get their names written


def plot(
    network: nx.Graph,
    kind: str,
    out: str | os.PathLike[str],
    colour: str = "community",
    years: dict[int, float] | None = None,
    title: str = "Who appears with whom",
) -> Path:
    """Draw `kind` ("network", "centrality" or "degrees") of `network` into `out` (.png or
    .svg). `years`: person → the median year of their dated photos, for ``colour="year"``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out)
    if out.suffix.lower() not in (".png", ".svg"):
        raise ExportError(f"{out}: a figure is written as .png or .svg")
    if kind not in KINDS:
        raise ExportError(f"unknown figure {kind!r}; choose one of {', '.join(KINDS)}")
    figure, axes = plt.subplots(figsize=SIZE, dpi=DPI)
    try:
        if kind == "network":
            _network(axes, network, colour, years or {}, title, figure)
        elif kind == "centrality":
            figure.clf()
            _centrality(figure, network, title)
        else:
            _degrees(axes, network, title)
        out.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(out, dpi=DPI)
    finally:
        plt.close(figure)
    return out


def _network(axes, network: nx.Graph, colour: str, years: dict, title: str, figure) -> None:
    tied = network.subgraph([n for n in network.nodes if network.degree(n) > 0]).copy()
    if tied.number_of_nodes() == 0:
        axes.text(0.5, 0.5, "No one appears with anyone else yet", ha="center", va="center")
        axes.set_axis_off()
        return
    positions = {n: (x, -y) for n, (x, y) in layout(tied).items()}
    radii = node_radii(tied)
    nodes = sorted(tied.nodes)
    if colour in ("year", "age"):
        import matplotlib.cm as cm
        from matplotlib.colors import Normalize

        known = [years[n] for n in nodes if n in years]
        low, high = min(known, default=2000), max(known, default=2001)
        scale = Normalize(low, high if high > low else low + 1)
        colours = [cm.viridis(scale(years[n])) if n in years else GREY for n in nodes]
        bar = figure.colorbar(cm.ScalarMappable(norm=scale, cmap="viridis"), ax=axes, shrink=0.6)
        bar.set_label(
            "median year of their photos (grey: no dated photo)"
            if colour == "year"
            else "estimated age (grey: no estimate)"
        )
    elif colour == "gender":
        from matplotlib.patches import Patch

        from .page import GENDER_COLOURS

        colours = [GENDER_COLOURS.get(tied.nodes[n].get("gender"), GREY) for n in nodes]
        axes.legend(
            handles=[Patch(color=c, label=g) for g, c in GENDER_COLOURS.items()]
            + [Patch(color=GREY, label="no estimate")],
            loc="lower right",
            title="estimated gender",
        )
    else:
        group = communities(network)
        colours = [PALETTE[group[n] % len(PALETTE)] for n in nodes]
    heaviest = max((d["weight"] for *_, d in tied.edges(data=True)), default=1)
    nx.draw_networkx_edges(
        tied, positions, ax=axes, edge_color="#8a8f99", alpha=0.5,
        width=[0.5 + 3 * d["weight"] / heaviest for *_, d in tied.edges(data=True)],
    )  # fmt: skip
    nx.draw_networkx_nodes(
        tied, positions, nodelist=nodes, ax=axes, node_color=colours,
        node_size=[(radii[n] / 2.2) ** 2 for n in nodes], edgecolors="white", linewidths=0.8,
    )  # fmt: skip
    # names first (a named person is one the user cares about), then the most connected
    ranked = sorted(nodes, key=lambda n: (not tied.nodes[n].get("name"), -tied.degree(n), n))
    labels = {n: tied.nodes[n]["label"] for n in ranked[:LABELLED]}
    import matplotlib.patheffects as effects

    for node, text in labels.items():
        # just under the marker (its size is in points squared)
        drop = radii[node] / 2.2 / 2 + 2
        axes.annotate(
            text, positions[node], xytext=(0, -drop), textcoords="offset points",
            ha="center", va="top", fontsize=9,
            path_effects=[effects.withStroke(linewidth=3, foreground="white")],
        )  # fmt: skip
    alone = network.number_of_nodes() - tied.number_of_nodes()
    axes.set_title(
        f"{title}: {tied.number_of_nodes()} people with ties, {tied.number_of_edges()} ties"
        + (f" ({alone} people without ties not shown)" if alone else "")
    )
    axes.set_axis_off()


def _centrality(figure, network: nx.Graph, title: str) -> None:
    stats = network_statistics(network)
    measures = (("degree_centrality", "degree"), ("betweenness", "betweenness"),
                ("eigenvector", "eigenvector"))  # fmt: skip
    label = {p["person_id"]: network.nodes[p["person_id"]]["label"] for p in stats["people"]}
    for number, (key, name) in enumerate(measures, start=1):
        axes = figure.add_subplot(1, 3, number)
        top = sorted(stats["people"], key=lambda p: (-(p[key] or 0), p["person_id"]))[:15]
        axes.barh([label[p["person_id"]] for p in reversed(top)],
                  [p[key] or 0 for p in reversed(top)], color="#4e79a7")  # fmt: skip
        axes.set_title(f"{name} centrality")
        axes.tick_params(axis="y", labelsize=9)
    figure.suptitle(f"{title}: the most central people")
    figure.tight_layout()


def _degrees(axes, network: nx.Graph, title: str) -> None:
    counts = Counter(dict(network.degree()).values())
    degrees = sorted(counts)
    axes.bar(degrees, [counts[d] for d in degrees], color="#4e79a7")
    axes.set_xlabel("ties (people someone appears with)")
    axes.set_ylabel("people")
    axes.set_title(f"{title}: degree distribution ({network.number_of_nodes()} people)")
    if degrees and max(degrees) > 30:
        axes.set_xscale("symlog")
        axes.set_yscale("log")


def median_years(photos_of: dict[int, list], dates: dict[int, object]) -> dict[int, float]:
    """Person → the median year of their dated photos (people without any are left out)."""
    years = {}
    for person, photos in photos_of.items():
        known = [dates[p].year for p in photos if dates.get(p) is not None]
        if known:
            years[person] = float(median(known))
    return years
