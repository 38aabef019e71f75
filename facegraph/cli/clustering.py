"""`facegraph cluster` and `evaluate`: faces into people, and how well that went."""

from __future__ import annotations

import click

from .options import (
    cluster_options,
    json_option,
    library_option,
    print_json,
    printable,
    report,
    user_errors,
)


@click.command("cluster")
@library_option
@cluster_options
@click.option("--full", is_flag=True, help="Re-cluster every face (manual edits are kept).")
@json_option
@user_errors
def cluster(library, params, full, as_json) -> None:
    """Group faces into people and store who is who.

    Without --full only faces with no person are considered: they join the people they are
    close to, or form new people. IDs, names and manual edits survive every run.

    Example:

        facegraph cluster --threshold 0.45
    """
    from ..people.runs import cluster_people

    result = cluster_people(library, params, full=full)
    if not as_json:
        for line in result.name_conflicts:
            click.echo(f"name kept: {printable(line)}", err=True)
    report(as_json, result.as_dict(), result.summary())


@click.command()
@library_option
@click.option(
    "--truth",
    type=click.Path(exists=True, dir_okay=False),
    help="CSV with columns path,identity (optional left,top,right,bottom).",
)
@click.option(
    "--from-regions",
    is_flag=True,
    help="Take the identities from the names in the photos' XMP face regions (digiKam, "
    "Lightroom...): how well clustering does on this archive.",
)
@json_option
@user_errors
def evaluate(library, truth, from_regions, as_json) -> None:
    """Score the people against known identities (pairwise and BCubed P/R/F, NMI).

    Example:

        facegraph evaluate --truth ../shared/faces/MANIFEST.csv
        facegraph evaluate --from-regions --library ~/faces
    """
    from ..people.evaluate import evaluate as run_evaluate
    from ..people.evaluate import evaluate_from_regions

    if bool(truth) == from_regions:
        raise click.UsageError("give --truth CSV or --from-regions (one of them)")
    scores = evaluate_from_regions(library) if from_regions else run_evaluate(library, truth)
    if as_json:
        print_json(scores)
        return
    blind = scores.pop("blind", None)
    for key, value in scores.items():
        click.echo(f"{key:<20} {value:.3f}" if isinstance(value, float) else f"{key:<20} {value}")
    if blind is not None:
        click.echo("clustering alone, no name known (blind):")
        for key, value in blind.items():
            shown = f"{value:.3f}" if isinstance(value, float) else value
            click.echo(f"  {key:<18} {shown}")
