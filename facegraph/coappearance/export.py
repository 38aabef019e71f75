"""Writing the co-appearance network: HTML (pyvis), GEXF, GraphML, CSV and JSON.

Every format carries the same attributes. Nodes: ``label`` (name, or "Person N"), ``name``,
``photos``, ``connections`` and, when asked for, ``community``. Edges: ``weight`` (the chosen
weight), ``photos``, ``newman``, ``jaccard``.

The HTML page is one self-contained file: vis-network inlined, faces as data URIs, no request
to any other host, so it opens offline and can be mailed around.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import math
import os
import re
from pathlib import Path

import networkx as nx
from PIL import Image

from ..artefacts import record_written
from ..errors import ExportError
from ..library import resolve_library_path
from ..people.read import representative_crops
from ..safe_text import spreadsheet_cell
from .build import coappearance_network
from .filters import NetworkFilter
from .stats import communities

FORMATS = ("html", "gexf", "graphml", "csv", "json")
#: above this many people the page gets a precomputed layout instead of live physics
PHYSICS_UP_TO = 300
THUMBNAIL = 96
PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)


def write_network(
    network: nx.Graph,
    fmt: str,
    out: str | os.PathLike[str],
    crops: dict[int, bytes] | None = None,
    title: str = "facegraph: who appears with whom",
    node_scale: float = 1.0,
) -> list[Path]:
    """Write `network` as `fmt`; returns the files written (CSV writes two). `crops` (person →
    JPEG) and `node_scale` (a factor on node sizes) matter to HTML only."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "html":
        write_html(network, out, crops or {}, title, node_scale)
    elif fmt == "gexf":
        nx.write_gexf(network, out)
    elif fmt == "graphml":
        nx.write_graphml(network, out)
    elif fmt == "json":
        data = nx.node_link_data(network, edges="edges")
        out.write_text(json.dumps(data, indent=1, ensure_ascii=False), "utf-8")
    elif fmt == "csv":
        return write_csv(network, out)
    else:
        raise ExportError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return [out]


def csv_paths(out: Path) -> tuple[Path, Path]:
    """``people.csv`` → ``people.nodes.csv`` and ``people.edges.csv``."""
    stem = out.with_suffix("") if out.suffix.lower() == ".csv" else out
    return stem.with_name(stem.name + ".nodes.csv"), stem.with_name(stem.name + ".edges.csv")


def write_csv(network: nx.Graph, out: Path) -> list[Path]:
    nodes_path, edges_path = csv_paths(out)
    node_keys = sorted({k for _, data in network.nodes(data=True) for k in data})
    with nodes_path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", *node_keys])
        for node, data in sorted(network.nodes(data=True)):
            writer.writerow([node, *(spreadsheet_cell(data.get(k, "")) for k in node_keys)])
    edge_keys = ["weight", "photos", "newman", "jaccard"]
    with edges_path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["source", "target", *edge_keys])
        for a, b, data in sorted((min(a, b), max(a, b), d) for a, b, d in network.edges(data=True)):
            writer.writerow([a, b, *(data.get(k, "") for k in edge_keys)])
    return [nodes_path, edges_path]


def _thumbnail(jpeg: bytes) -> str:
    image = Image.open(io.BytesIO(jpeg))
    image.thumbnail((THUMBNAIL, THUMBNAIL))
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=80)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _tooltip(node: int, data: dict) -> str:
    # vis-network shows a string tooltip as text (innerText), so nothing in it is markup
    lines = [data["label"], f"ID {node}"]
    if data.get("name"):
        lines.append(f"name: {data['name']}")
    lines += [f"photos: {data['photos']}", f"connections: {data['connections']}"]
    if "community" in data:
        lines.append(f"community: {data['community']}")
    return "\n".join(lines)


# pyvis puts bootstrap from a CDN on every page, even with inlined resources, and leaves a
# commented-out reference to a local vis.js
_EXTERNAL = re.compile(
    r"<link[^>]*href=\"https?://[^\"]*\"[^>]*>|<script[^>]*src=\"https?://[^\"]*\"[^>]*>\s*</script>"
    r"|<!--\s*<link.*?-->",
    re.S,
)
_STYLE = "<style>.vis-tooltip { white-space: pre-line; }</style>"


def write_html(
    network: nx.Graph, out: Path, crops: dict[int, bytes], title: str, node_scale: float = 1.0
) -> None:
    from pyvis.network import Network

    page = Network(height="100vh", width="100%", cdn_resources="in_line", bgcolor="#ffffff")
    large = network.number_of_nodes() > PHYSICS_UP_TO
    positions = nx.spring_layout(network, seed=0, weight=None) if large else {}
    scale = 40 * math.sqrt(max(network.number_of_nodes(), 1))
    for node, data in network.nodes(data=True):
        style = (
            {"shape": "circularImage", "image": _thumbnail(crops[node])}
            if node in crops
            else {"shape": "dot"}
        )
        if "community" in data:
            style["color"] = PALETTE[data["community"] % len(PALETTE)]
        if large:
            x, y = positions[node]
            style.update(x=float(x * scale), y=float(y * scale), physics=False)
        page.add_node(
            node,
            label=data["label"],
            title=_tooltip(node, data),
            size=node_scale * (16 + 8 * math.log2(1 + data["photos"])),
            borderWidth=3,
            **style,
        )
    for a, b, data in network.edges(data=True):
        shared = data["photos"]
        page.edges.append(
            {  # appended directly: add_edge scans every edge for duplicates
                "from": a,
                "to": b,
                "value": data["weight"],
                "title": f"{shared} shared photo{'s' if shared != 1 else ''}"
                f" (weight {data['weight']:.3g})",
            }
        )
    if large:
        page.toggle_physics(False)
    else:
        page.barnes_hut(spring_length=150)
    document = _EXTERNAL.sub("", page.generate_html())
    document = document.replace("<head>", f"<head>\n<title>{html.escape(title)}</title>{_STYLE}", 1)
    out.write_text(document, "utf-8")


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
    files = write_network(network, fmt, out, crops, node_scale=node_scale)
    record_written(resolve_library_path(library), files)
    return files
