"""Writing the co-appearance network: the HTML page, GEXF, GraphML, CSV and JSON.

Every format carries the same attributes. Nodes: ``label`` (name, or "Person N"), ``name``,
``photos``, ``connections`` and ``community`` (people with ties). Edges: ``weight`` (the chosen
weight), ``photos``, ``newman``, ``jaccard``, ``first_seen``, ``last_seen``, ``undated`` and
``duplicates`` (near-duplicate photos the counts leave out; JSON adds ``months`` and ``years``:
the shared photos per period). Counts are of moments: near-duplicates count once.

The HTML page (`page`) is one self-contained file: vis-network inlined, faces and photo
thumbnails as data URIs, no request to any other host, so it opens offline and can be mailed
around.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import networkx as nx

from ..artefacts import record_written
from ..errors import ExportError
from ..ingestion.stats import picture_addresses
from ..library import resolve_library_path
from ..people.read import representative_crops
from ..safe_text import spreadsheet_cell
from .build import coappearance_network, network_photos
from .filters import NetworkFilter
from .stats import communities
from .timeline import add_timelines, dynamic_network, tie_months

FORMATS = ("html", "gexf", "graphml", "csv", "json", "ftm", "neo4j")
#: formats that also list the photos behind the network (`interchange`)
WITH_PHOTOS = ("ftm", "neo4j")
TITLE = "Who appears with whom"


def write_network(network: nx.Graph, fmt: str, out: str | os.PathLike[str]) -> list[Path]:
    """Write `network` as gexf, graphml, json or csv; returns the files written (CSV writes
    two). The HTML page needs the library (`write_html_page`), FollowTheMoney and Neo4j its
    photos (`interchange`)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "gexf":
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
    edge_keys = [
        "weight", "photos", "newman", "jaccard", "first_seen", "last_seen", "undated",
        "duplicates",
    ]  # fmt: skip
    with edges_path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["source", "target", *edge_keys])
        for a, b, data in sorted((min(a, b), max(a, b), d) for a, b, d in network.edges(data=True)):
            writer.writerow([a, b, *(data.get(k, "") for k in edge_keys)])
    return [nodes_path, edges_path]


def export_network(
    library: str | os.PathLike[str] | None,
    fmt: str,
    out: str | os.PathLike[str],
    filters: NetworkFilter | None = None,
    *,
    engine: str | None = None,
    colour_communities: bool = True,
    title: str = TITLE,
    colour_by: str = "community",
    dynamic: bool = False,
) -> list[Path]:
    """Write the (filtered) co-appearance network as html, gexf, graphml, csv, json, ftm
    (FollowTheMoney entities) or neo4j (bulk-import CSV; see `interchange`).

    Beside the files goes the export's run record, ``NAME.manifest.json`` (`manifest`): the
    library's photos, models, settings and edits, and each file's SHA-256.

    JSON edges carry their counts per month and year; `dynamic` (gexf only) writes a Gephi
    timeline (`timeline.dynamic_network`).

    Every format carries each person's community (people with ties; see `stats.communities`)
    unless `colour_communities` is off; the HTML page always shows them, coloured by
    `colour_by` (``community``, ``gender`` or ``age``). People's estimated gender, age and birth
    year are node attributes where known."""
    filters = filters or NetworkFilter()
    if dynamic and fmt != "gexf":
        raise ExportError("a dynamic network (a timeline) is written as gexf only")
    if dynamic:
        network = dynamic_network(library, filters, engine)
    else:
        network = coappearance_network(library, filters, engine)
    if fmt == "json":
        add_timelines(network, tie_months(library, filters, engine))
    if colour_communities or fmt == "html":
        for node, number in communities(network).items():
            network.nodes[node]["community"] = number
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "html":
        files = [write_html_page(library, network, filters, out, title, engine, colour_by)]
    elif fmt in WITH_PHOTOS:
        from .interchange import write_ftm, write_neo4j

        write = write_ftm if fmt == "ftm" else write_neo4j
        files = write(network, network_photos(library, filters, engine), out)
    else:
        files = write_network(network, fmt, out)
    record_written(resolve_library_path(library), files)
    write_export_manifest(library, fmt, filters, files, out)
    return files


def manifest_path(out: Path) -> Path:
    """Where an export's run record goes: ``net.csv`` → ``net.manifest.json``."""
    stem = out.with_suffix("") if out.suffix else out
    return stem.with_name(stem.name + ".manifest.json")


def write_export_manifest(library, fmt: str, filters, files: list[Path], out: Path) -> Path:
    """The run record of an export (`manifest.export_manifest`), beside its files."""
    from .manifest import export_manifest

    path = manifest_path(out)
    record = export_manifest(library, fmt, filters, files)
    path.write_text(json.dumps(record, indent=1, ensure_ascii=False, sort_keys=True), "utf-8")
    return path


def write_html_page(
    library: str | os.PathLike[str] | None,
    network: nx.Graph,
    filters: NetworkFilter,
    out: Path,
    title: str = TITLE,
    engine: str | None = None,
    colour_by: str = "community",
) -> Path:
    """The network page (`page`): faces, the photos behind each tie, positions."""
    from .page import write_page

    write_page(_page_data(library, network, filters, title, engine, colour_by), out)
    return out


def network_page(
    library: str | os.PathLike[str] | None = None,
    filters: NetworkFilter | None = None,
    *,
    engine: str | None = None,
    colour_by: str = "community",
    person_link: str | None = None,
    evidence_link: str | None = None,
    title: str = TITLE,
) -> str:
    """The network page as a string (what `facegraph serve` shows at /network). `person_link`,
    e.g. ``"/people/{id}"``, makes each person's panel link to that address; `evidence_link`,
    e.g. ``"/evidence?people={a},{b}"``, each tie's panel to its evidence sheet (without it,
    the panel names the command that writes the sheet)."""
    from .page import render_page

    filters = filters or NetworkFilter()
    network = coappearance_network(library, filters, engine)
    for node, number in communities(network).items():
        network.nodes[node]["community"] = number
    data = _page_data(library, network, filters, title, engine, colour_by)
    data["person_link"] = person_link
    data["evidence_link"] = evidence_link
    return render_page(data)


def _page_data(library, network, filters, title, engine, colour_by) -> dict:
    from .page import page_data, photo_record

    people = set(network.nodes)
    appearances: dict[int, list[int]] = {}
    photos: dict[int, dict] = {}
    for row in network_photos(library, filters, engine):
        if row["person_id"] in people:
            appearances.setdefault(row["person_id"], []).append(row["image_id"])
            photos[row["image_id"]] = photo_record(
                row["taken_at"], row["people"], row["path"], row.get("moment")
            )
    faces = representative_crops(library, sorted(people))
    files = picture_addresses(library, sorted(photos))  # a shot of a video: its frame
    data = page_data(network, faces, photos, appearances, files, title, filters.weight, colour_by)
    data["countDuplicates"] = filters.count_duplicates
    return data


def plot_figure(
    library: str | os.PathLike[str] | None,
    kind: str,
    out: str | os.PathLike[str],
    filters: NetworkFilter | None = None,
    *,
    colour: str = "community",
    engine: str | None = None,
) -> Path:
    """Draw the old tool's figures: ``network`` (coloured by ``community``, ``year``,
    ``gender`` or ``age``), ``centrality`` or ``degrees``, as .png or .svg."""
    from .figures import median_years, plot

    filters = filters or NetworkFilter()
    network = coappearance_network(library, filters, engine)
    years = None
    if colour == "year":
        photos_of: dict[int, list[int]] = {}
        dates: dict[int, object] = {}
        for row in network_photos(library, filters, engine):
            photos_of.setdefault(row["person_id"], []).append(row["image_id"])
            dates[row["image_id"]] = row["taken_at"]
        years = median_years(photos_of, dates)
    elif colour == "age":
        years = {n: a for n, a in network.nodes(data="age") if a is not None}
    path = plot(network, kind, out, colour, years)
    record_written(resolve_library_path(library), [path])
    return path
