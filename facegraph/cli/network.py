"""The network's commands: run, graph sync, sql, cypher, query, export, network stats."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .filter_options import network_filter_options
from .options import (
    _cell,
    cluster_options,
    detection_options,
    engine_option,
    json_option,
    library_option,
    output_options,
    param_option,
    print_json,
    print_photo_error,
    print_rows,
    print_table,
    report,
    user_errors,
)
from .regions import export_regions_command, region_export_options


@click.command("run")
@click.argument("photo_dirs", nargs=-1, required=True, type=click.Path(exists=True))
@library_option
@click.option(
    "-o",
    "--out",
    type=click.Path(dir_okay=False),
    default=None,
    help="Where to write the page [default: LIBRARY/network.html].",
)
@detection_options
@cluster_options
@engine_option
@json_option
@user_errors
def run_command(photo_dirs, library, out, settings, params, engine, as_json) -> None:
    """Photos to network page in one go: ingest, cluster, sync the graph, write the HTML.

    Run it again after adding photos: only new photos are analysed, people keep their IDs.

    Example:

        facegraph run ~/Pictures/reunion && xdg-open facegraph-library/network.html
    """
    from ..pipeline import run

    report = run(
        list(photo_dirs),
        library,
        out=out,
        settings=settings,
        params=params,
        engine=engine,
        on_error=None if as_json else print_photo_error,
    )
    if as_json:
        print_json(report.as_dict())
        return
    ingested, clustered = report.ingest, report.cluster
    click.echo(
        f"{ingested.processed} photos analysed ({ingested.faces_added} faces, "
        f"{len(ingested.errors)} failed); {clustered.people} people; "
        f"graph {report.sync.mode}; {ingested.duplicates} near-duplicate photos (counted once)",
        err=True,
    )
    if report.faces_without_person:
        reasons = ", ".join(f"{n} {why}" for why, n in report.faces_without_person.items())
        click.echo(f"faces with no person: {reasons}", err=True)
    click.echo(report.page)


@click.group("graph")
def graph_group() -> None:
    """The graph database (a projection of the library, rebuilt or synced from it).

    Example:

        facegraph graph sync --rebuild
    """


@graph_group.command("sync")
@library_option
@engine_option
@click.option("--rebuild", is_flag=True, help="Recreate the graph from scratch.")
@json_option
@user_errors
def graph_sync(library, engine, rebuild, as_json) -> None:
    """Bring the graph up to date with the library (only what changed, unless --rebuild).

    Every command that reads the graph syncs it first, so this is rarely needed by hand.

    Example:

        facegraph graph sync --graph-engine ladybug
    """
    from ..graph import sync

    report = sync(library, engine, rebuild=rebuild)
    if as_json:
        print_json(report.as_dict())
        return
    click.echo(
        f"{report.engine} graph {report.mode}: +{report.added} -{report.removed} "
        f"~{report.updated} ({report.seconds:.2f} s)"
    )


allow_files_option = click.option(
    "--allow-files",
    is_flag=True,
    help="Let the query read and write files outside the library (COPY, read_csv, ATTACH...).",
)


@click.command("sql")
@click.argument("query")
@param_option
@library_option
@click.option("--write", is_flag=True, help="Allow changes to the library.")
@allow_files_option
@output_options
@user_errors
def sql_command(query, params, library, write, allow_files, output) -> None:
    """Run SQL on the library's DuckDB database (read-only unless --write; no other file is
    read or written unless --allow-files).

    Tables: images, faces, people, edits; views: appearances, network_people, network_photos.

    Example:

        facegraph sql "SELECT * FROM network_people WHERE photos >= \\$n" -p n=5
    """
    from ..coappearance.queries import run_sql

    print_table(run_sql(library, query, params, write=write, allow_files=allow_files), output)


@click.command("cypher")
@click.argument("query")
@param_option
@library_option
@engine_option
@click.option(
    "--write",
    is_flag=True,
    help="Allow changes to the graph (Person, Image and APPEARS_IN are restored from "
    "the library at the next sync).",
)
@output_options
@allow_files_option
@user_errors
def cypher_command(query, params, library, engine, write, allow_files, output) -> None:
    """Run Cypher on the graph (synced first; read-only unless --write; no COPY, LOAD FROM,
    EXPORT or INSTALL unless --allow-files).

    Nodes Person(id, name, photos) and Image(id, path, taken_at, people); edges
    (Person)-[APPEARS_IN {face_id, box_left, box_top, box_right, box_bottom}]->(Image).

    Example:

        facegraph cypher "MATCH (p:Person)-[:APPEARS_IN]->(i:Image) WHERE p.id = \\$id
        RETURN i.path" -p id=3
    """
    from ..graph import run_cypher

    values: dict[str, Any] = {k: _typed(v) for k, v in params.items()}
    table = run_cypher(library, query, values, engine, write=write, allow_files=allow_files)
    print_table(table, output)


def _typed(value: str) -> Any:
    """Ad-hoc Cypher has no declared types: numbers become numbers, the rest stays text."""
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


@click.command("query")
@click.argument("name", required=False)
@click.option("--list", "show_list", is_flag=True, help="List the named queries.")
@param_option
@library_option
@engine_option
@output_options
@user_errors
def query_command(name, show_list, params, library, engine, output) -> None:
    """Run a named query from queries/ (facegraph's, the library's own, $FACEGRAPH_QUERIES).

    Example:

        facegraph query ego_network -p person_id=3 -p hops=2
    """
    from ..coappearance.queries import list_queries, run_query, shadowing_queries

    for path in shadowing_queries(library):
        click.echo(f"warning: {path} is not used: its name is taken by another query", err=True)

    if show_list or not name:
        rows = []
        for q in list_queries(library):
            params_text = " ".join(
                p.name if p.required else f"[{p.name}={p.default}]" for p in q.params
            )
            rows.append(
                {
                    "name": q.name,
                    "language": q.language,
                    "params": params_text,
                    "description": q.description,
                }
            )
        if output == "json":
            print_json([q.as_dict() for q in list_queries(library)])
        else:
            print_rows(rows, ["name", "language", "params", "description"], output)
        return
    print_table(run_query(name, params, library, engine), output)


@click.command("export")
@click.argument(
    "fmt",
    metavar="FORMAT",
    type=click.Choice(["html", "gexf", "graphml", "csv", "json", "ftm", "neo4j", "regions"]),
)
@click.option(
    "-o",
    "--out",
    type=click.Path(dir_okay=False),
    help="File to write (csv: FILE.nodes.csv and FILE.edges.csv; neo4j: FILE.people.csv,"
    " .photos.csv, .appears_in.csv, .ties.csv); not for regions.",
)
@region_export_options
@library_option
@network_filter_options
@click.option(
    "--communities/--no-communities",
    default=True,
    show_default=True,
    help="Add each person's Louvain community (the page always shows them).",
)
@click.option(
    "--color",
    "colour",
    type=click.Choice(["community", "gender", "age"]),
    default="community",
    show_default=True,
    help="html: colour people by community, or by estimated gender or age.",
)
@click.option("--dynamic", is_flag=True, help="gexf: a Gephi timeline (spells from photo dates).")
@engine_option
@json_option
@user_errors
def export_command(
    fmt, out, regions, library, filters, communities, colour, dynamic, engine, as_json
) -> None:
    """Write the co-appearance network, or part of it, for a browser, Gephi or networkx, for
    Aleph (ftm: FollowTheMoney entities) or Neo4j (neo4j: bulk-import CSV); or (regions) the
    people's faces into the photos' XMP, for digiKam, Lightroom and others.

    The HTML page opens on the people with ties; it finds people, filters ties by weight and
    date, and shows the photos behind a tie. With --since/--until, photos without a date are
    left out (the command says how many). `export regions` writes MWG and Microsoft face
    regions into sidecars (photo.jpg.xmp) beside the photos, keeping every other tag.

    Example:

        facegraph export html -o family.html --person 3 --hops 2 --min-weight 2
        facegraph export ftm -o story.ftm.json --min-weight 2
        facegraph export regions --named-only --dry-run
    """
    if fmt == "regions":
        if out:
            raise click.UsageError("export regions writes beside each photo; drop -o/--out")
        export_regions_command(library, regions, as_json)
        return
    if not out:
        raise click.UsageError(f"export {fmt} needs -o/--out FILE")
    if any(regions.values()):
        raise click.UsageError("--people, --named-only, --embed and --dry-run are for regions")
    if dynamic and fmt != "gexf":
        raise click.UsageError("--dynamic is for gexf (Gephi's timeline)")
    from ..coappearance.build import undated_photos
    from ..coappearance.export import export_network, manifest_path

    kw = dict(engine=engine, colour_communities=communities, colour_by=colour, dynamic=dynamic)
    written = export_network(library, fmt, out, filters, **kw)
    dated = filters.since is not None or filters.until is not None or dynamic
    undated = undated_photos(library, engine) if dated else 0
    files = [{"path": str(p), "bytes": p.stat().st_size} for p in written]
    record = str(manifest_path(Path(out)))
    if as_json:
        print_json({"format": fmt, "files": files, "manifest": record, "undated_left_out": undated})
        return
    for f in files:
        click.echo(f["path"])  # the files alone on stdout, for scripts
        click.echo(f"{f['bytes'] / 1e6:.1f} MB", err=True)
    click.echo(f"run record: {record}", err=True)
    if undated:
        left = "have no spell" if dynamic else "were left out by --since/--until"
        click.echo(f"{undated} photos without a date {left}", err=True)


@click.command("plot")
@click.argument("kind", type=click.Choice(["network", "centrality", "degrees"]))
@click.option(
    "-o", "--out", required=True, type=click.Path(dir_okay=False), help="FILE.png or FILE.svg"
)
@click.option(
    "--color",
    "colour",
    type=click.Choice(["community", "year", "gender", "age"]),
    default="community",
    show_default=True,
    help="network: colour people by community, by the median year of their photos, or by "
    "estimated gender or age.",
)
@library_option
@network_filter_options
@engine_option
@json_option
@user_errors
def plot_command(kind, out, colour, library, filters, engine, as_json) -> None:
    """Draw the old tool's figures: the network, the most central people, the degree
    distribution.

    Example:

        facegraph plot network -o network.png --color year --min-weight 2
    """
    from ..coappearance.export import plot_figure

    path = plot_figure(library, kind, out, filters, colour=colour, engine=engine)
    report(as_json, {"kind": kind, "file": str(path), "bytes": path.stat().st_size}, str(path))


@click.group("network")
def network_group() -> None:
    """Measure the co-appearance network.

    Example:

        facegraph network stats --weight newman
    """


@network_group.command("stats")
@library_option
@network_filter_options
@engine_option
@output_options
@user_errors
def network_stats_command(library, filters, engine, output) -> None:
    """Components, density, clustering, assortativity, path length, centralities, communities
    and cliques (--csv prints the per-person table).

    Example:

        facegraph network stats --weight newman --json
    """
    from ..coappearance.stats import network_stats

    stats = network_stats(library, filters, engine=engine)
    if output == "json":
        print_json(stats)
        return
    columns = [
        "person_id",
        "name",
        "photos",
        "degree",
        "weighted_degree",
        "degree_centrality",
        "eigenvector",
        "betweenness",
        "community",
        "gender",
        "age",
    ]
    if output == "table":
        for key, value in stats["summary"].items():
            click.echo(f"{key + ':':<24}{_cell(value)}")
        for clique in stats["cliques"][:10]:
            click.echo(f"{'clique:':<24}{' '.join(map(str, clique))}")
        click.echo()
    print_rows(stats["people"], columns, output)
