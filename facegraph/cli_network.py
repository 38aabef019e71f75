"""The `facegraph` commands of the network: run, graph sync, sql, cypher, query, export,
network stats. Each is a few lines over the library functions."""

from __future__ import annotations

import csv
import functools
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import click

from .cli import (
    detection_options,
    json_option,
    library_option,
    main,
    print_json,
    print_photo_error,
    user_errors,
)
from .graph import ENGINE_ENV, ENGINES

# ---------------------------------------------------------------- shared options


def engine_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--graph-engine", "engine", type=click.Choice(ENGINES), envvar=ENGINE_ENV, default=None,
        help=f"Graph database [default: ${ENGINE_ENV} or kuzu].",
    )(command)  # fmt: skip


def output_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--csv / --json, handed to the command as one ``output`` argument ("table" by default)."""

    @functools.wraps(command)
    def wrapper(*args: Any, as_csv: bool, as_json: bool, **kwargs: Any) -> Any:
        if as_csv and as_json:
            raise click.UsageError("choose one of --csv and --json")
        return command(*args, output="csv" if as_csv else "json" if as_json else "table", **kwargs)

    wrapper = click.option("--json", "as_json", is_flag=True, help="Print JSON.")(wrapper)
    return click.option("--csv", "as_csv", is_flag=True, help="Print CSV.")(wrapper)


def _parse_params(ctx: click.Context, param: click.Parameter, values: Sequence[str]) -> dict:
    parsed = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{item!r} is not name=value", ctx, param)
        parsed[name.strip()] = value
    return parsed


param_option = click.option(
    "--param", "-p", "params", multiple=True, callback=_parse_params, metavar="NAME=VALUE",
    help="A query parameter (repeat for more); bound, never pasted into the query.",
)  # fmt: skip


def network_filter_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The subgraph and weight flags, handed to the command as one ``filters`` argument."""
    from .coappearance import WEIGHTS, NetworkFilter

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        names = ("weight", "min_weight", "min_photos", "since", "until", "person", "hops", "top")
        fields = {name: kwargs.pop(name) for name in names}
        return command(*args, filters=NetworkFilter(**fields), **kwargs)

    date = click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"])
    options = [
        click.option("--weight", type=click.Choice(WEIGHTS), default="photos", show_default=True,
                     help="Edge weight: shared photos, Newman's 1/(n-1) per photo, or Jaccard."),
        click.option("--min-weight", type=float, default=0.0, help="Drop lighter ties."),
        click.option("--min-photos", type=click.IntRange(1), default=1,
                     help="Drop people seen in fewer photos."),
        click.option("--since", type=date, default=None,
                     help="Only photos taken on or after this date (EXIF)."),
        click.option("--until", type=date, default=None,
                     help="Only photos taken before this date (EXIF)."),
        click.option("--person", type=int, default=None, help="Only this person's ego network."),
        click.option("--hops", type=click.IntRange(1), default=1, show_default=True,
                     help="How many ties out from --person."),
        click.option("--top", type=click.IntRange(1), default=None,
                     help="Only the N people seen in most photos."),
    ]  # fmt: skip
    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper


# ---------------------------------------------------------------- printing rows


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value)


def print_rows(rows: list[dict[str, Any]], columns: list[str], output: str) -> None:
    """Rows as an aligned table, CSV or JSON."""
    if output == "json":
        print_json(rows)
    elif output == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in columns])
    else:
        cells = [[_cell(row.get(c)).replace("\n", " ")[:80] for c in columns] for row in rows]
        widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
        click.echo("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
        click.echo("  ".join("-" * w for w in widths))
        for r in cells:
            click.echo("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())
        click.echo(f"({len(rows)} row{'s' if len(rows) != 1 else ''})", err=True)


def print_table(table: Any, output: str) -> None:
    print_rows(table.to_pylist(), table.column_names, output)


# ---------------------------------------------------------------- commands


@main.command("run")
@click.argument("photo_dirs", nargs=-1, required=True, type=click.Path(exists=True))
@library_option
@click.option("-o", "--out", type=click.Path(dir_okay=False), default=None,
              help="Where to write the page [default: LIBRARY/network.html].")  # fmt: skip
@detection_options
@engine_option
@json_option
@user_errors
def run_command(photo_dirs, library, out, settings, engine, as_json) -> None:
    """Photos to network page in one go: ingest, cluster, sync the graph, write the HTML.

    Run it again after adding photos: only new photos are analysed, people keep their IDs.

    Example:

        facegraph run ~/Pictures/reunion && xdg-open facegraph-library/network.html
    """
    from .pipeline import run

    report = run(list(photo_dirs), library, out=out, settings=settings, engine=engine,
                 on_error=None if as_json else print_photo_error)  # fmt: skip
    if as_json:
        print_json(report.as_dict())
        return
    ingested, clustered = report.ingest, report.cluster
    click.echo(f"{ingested.processed} photos analysed ({ingested.faces_added} faces, "
               f"{len(ingested.errors)} failed); {clustered.people} people; "
               f"graph {report.sync.mode}", err=True)  # fmt: skip
    click.echo(report.page)


@main.group("graph")
def graph_group() -> None:
    """The graph database (a projection of the library, rebuilt or synced from it)."""


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
    from .graph import sync

    report = sync(library, engine, rebuild=rebuild)
    if as_json:
        print_json(report.as_dict())
        return
    click.echo(f"{report.engine} graph {report.mode}: +{report.added} -{report.removed} "
               f"~{report.updated} ({report.seconds:.2f} s)")  # fmt: skip


@main.command("sql")
@click.argument("query")
@param_option
@library_option
@click.option("--write", is_flag=True, help="Allow changes to the library.")
@output_options
@user_errors
def sql_command(query, params, library, write, output) -> None:
    """Run SQL on the library's DuckDB database (read-only unless --write).

    Tables: images, faces, people, edits; views: appearances, network_people, network_photos.

    Example:

        facegraph sql "SELECT * FROM network_people WHERE photos >= \\$n" -p n=5
    """
    from .querying import run_sql

    print_table(run_sql(library, query, params, write=write), output)


@main.command("cypher")
@click.argument("query")
@param_option
@library_option
@engine_option
@click.option("--write", is_flag=True,
              help="Allow changes to the graph (Person, Image and APPEARS_IN are restored from "
                   "the library at the next sync).")  # fmt: skip
@output_options
@user_errors
def cypher_command(query, params, library, engine, write, output) -> None:
    """Run Cypher on the graph (synced first; read-only unless --write).

    Nodes Person(id, name, photos) and Image(id, path, taken_at, people); edges
    (Person)-[APPEARS_IN {face_id, box_left, box_top, box_right, box_bottom}]->(Image).

    Example:

        facegraph cypher "MATCH (p:Person)-[:APPEARS_IN]->(i:Image) WHERE p.id = \\$id
        RETURN i.path" -p id=3
    """
    from .graph import run_cypher

    values: dict[str, Any] = {k: _typed(v) for k, v in params.items()}
    print_table(run_cypher(library, query, values, engine, write=write), output)


def _typed(value: str) -> Any:
    """Ad-hoc Cypher has no declared types: numbers become numbers, the rest stays text."""
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


@main.command("query")
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
    from .querying import list_queries, run_query

    if show_list or not name:
        rows = []
        for q in list_queries(library):
            params_text = " ".join(
                p.name if p.required else f"[{p.name}={p.default}]" for p in q.params
            )
            rows.append({"name": q.name, "language": q.language, "params": params_text,
                         "description": q.description})  # fmt: skip
        if output == "json":
            print_json([q.as_dict() for q in list_queries(library)])
        else:
            print_rows(rows, ["name", "language", "params", "description"], output)
        return
    print_table(run_query(name, params, library, engine), output)


@main.command("export")
@click.argument("fmt", metavar="FORMAT", type=click.Choice(["html", "gexf", "graphml", "csv",
                                                            "json"]))  # fmt: skip
@click.option("-o", "--out", required=True, type=click.Path(dir_okay=False),
              help="File to write (csv: FILE.nodes.csv and FILE.edges.csv).")  # fmt: skip
@library_option
@network_filter_options
@click.option("--communities", is_flag=True, help="Add each person's Louvain community "
              "(HTML: colour nodes by it).")  # fmt: skip
@engine_option
@user_errors
def export_command(fmt, out, library, filters, communities, engine) -> None:
    """Write the co-appearance network, or part of it, for a browser, Gephi or networkx.

    Example:

        facegraph export html -o family.html --person 3 --hops 2 --min-weight 2
    """
    from .reports import export_network

    for path in export_network(library, fmt, out, filters, engine=engine,
                               colour_communities=communities):  # fmt: skip
        click.echo(path)


@main.group("network")
def network_group() -> None:
    """Measure the co-appearance network."""


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
    from .reports import network_stats

    stats = network_stats(library, filters, engine=engine)
    if output == "json":
        print_json(stats)
        return
    columns = ["person_id", "name", "photos", "degree", "weighted_degree", "degree_centrality",
               "eigenvector", "betweenness", "community"]  # fmt: skip
    if output == "table":
        for key, value in stats["summary"].items():
            click.echo(f"{key + ':':<24}{_cell(value)}")
        for clique in stats["cliques"][:10]:
            click.echo(f"{'clique:':<24}{' '.join(map(str, clique))}")
        click.echo()
    print_rows(stats["people"], columns, output)
