"""`facegraph ingest`, `stats` and `faces`: photos into the library, and what it holds."""

from __future__ import annotations

import sys

import click

from .options import (
    detection_options,
    json_option,
    library_option,
    out_dir_option,
    print_json,
    print_photo_error,
    print_photo_names,
    printable,
    progress_option,
    report,
    user_errors,
)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@library_option
@detection_options
@click.option(
    "--workers", type=click.IntRange(1), default=None, help="Worker processes [default: all cores]."
)
@click.option(
    "--scheduler",
    envvar="FACEGRAPH_SCHEDULER",
    default=None,
    help="Run the per-photo work on Dask: tcp://HOST:8786, or 'local' for a LocalCluster "
    "(pip install 'facegraph[dask]') [env: FACEGRAPH_SCHEDULER].",
)
@click.option("--retry-errors", is_flag=True, help="Try again photos that failed before.")
@click.option(
    "--verify",
    is_flag=True,
    help="Compare the content of files whose size and time look unchanged (reads every file).",
)
@click.option("--force", is_flag=True, help="Analyse every photo again, changed or not.")
@click.option(
    "--redetect",
    is_flag=True,
    help="Analyse again the photos found with other detection settings (an older detector); "
    "faces found again keep their person, name and edits.",
)
@progress_option
@json_option
@user_errors
def ingest(
    paths,
    library,
    settings,
    workers,
    scheduler,
    retry_errors,
    verify,
    force,
    redetect,
    progress,
    as_json,
) -> None:
    """Find faces in the photos below PATHS and store them in the library.

    Only new and changed photos are analysed; moved photos are recognised by their content,
    vanished ones are marked. Stop it at any time: the next run carries on.

    Example:

        facegraph ingest ~/Pictures/2024 ~/Pictures/2025 --library ~/faces
    """
    from ..ingestion.run import ingest as run_ingest
    from ..people.photo_names import apply_photo_names

    result = run_ingest(
        paths,
        library,
        settings=settings,
        workers=workers,
        retry_errors=retry_errors,
        verify=verify,
        force=force,
        redetect=redetect,
        progress=progress,
        on_error=None if as_json else print_photo_error,
        scheduler=scheduler,
    )
    names = apply_photo_names(library) if settings.regions else None
    if as_json:
        print_json({**result.as_dict(), "names_from_photos": names and names.as_dict()})
    else:
        for warning in result.warnings:
            click.echo(f"warning: {warning}", err=True)
        click.echo(
            f"{result.processed} photos analysed in {result.seconds:.1f} s: "
            f"{result.ok} with faces ({result.faces_added} faces), {result.no_faces} without, "
            f"{len(result.errors)} failed"
        )
        if result.faces_kept:
            click.echo(f"{result.faces_kept} faces found again kept their person and edits")
        if result.duplicates:
            click.echo(
                f"{result.duplicates} photos of the library are near-duplicates (bursts, copies):"
                " each moment counts once in the network"
            )
        if settings.attributes:
            click.echo(f"{result.faces_with_attributes} faces given an age and gender")
        if names and (names.faces_named or names.conflicts):
            print_photo_names(names)
        click.echo(
            f"{result.scanned} found: {result.new} new, {result.changed} changed, "
            f"{result.unchanged} unchanged, {result.moved} moved, {result.vanished} vanished"
        )
        click.echo(f"library: {result.library}")
    if result.interrupted:
        click.echo("interrupted: run the same command again to carry on", err=True)
        sys.exit(130)


@click.command("attributes")
@library_option
@click.option(
    "--workers", type=click.IntRange(1), default=None, help="Worker processes [default: all cores]."
)
@progress_option
@json_option
@user_errors
def attributes_command(library, workers, progress, as_json) -> None:
    """Estimate age and gender for the stored faces that have none yet.

    Each photo is read again; stop it at any time, the next run carries on. Needs the optional
    models: pip install 'facegraph[attributes]'.

    Example:

        facegraph attributes --library ~/faces
    """
    from ..ingestion.attributes import estimate_attributes

    result = estimate_attributes(
        library,
        workers=workers,
        progress=progress,
        on_error=None if as_json else print_photo_error,
    )
    if as_json:
        print_json(result.as_dict())
    else:
        skipped = ", ".join(f"{n} {why}" for why, n in sorted(result.faces_skipped.items()))
        click.echo(
            f"{result.faces_estimated} faces given an age and gender in {result.seconds:.1f} s"
            + (f"; none for {skipped}" if skipped else "")
        )
        if result.photo_errors:
            click.echo(
                f"{len(result.photo_errors)} photos could not be read; their"
                f" {result.faces_left} faces are left for the next run",
                err=True,
            )
    if result.interrupted:
        click.echo("interrupted: run the same command again to carry on", err=True)
        sys.exit(130)


@click.command()
@library_option
@click.option("--errors", "show_errors", is_flag=True, help="List the photos that failed.")
@json_option
@user_errors
def stats(library, show_errors, as_json) -> None:
    """Count the library's photos (by status) and faces.

    Example:

        facegraph stats --errors
    """
    from ..ingestion.stats import errors, stats

    data = stats(library)
    if show_errors:
        data["error_list"] = [{"path": p, "error": e} for p, e in errors(library)]
    if as_json:
        print_json(data)
        return
    by_status = data["by_status"]
    click.echo(f"library:  {data['library']}")
    click.echo(
        f"images:   {data['images']} ({by_status['ok']} with faces, "
        f"{by_status['no_faces']} without, {by_status['error']} failed, "
        f"{data['missing']} missing)"
    )
    click.echo(f"faces:    {data['faces']}")
    regions = data["regions"]
    if regions["regions"]:
        click.echo(
            f"regions:  {regions['regions']} in the photos' XMP, naming"
            f" {regions['named_faces']} faces"
            f" ({regions['faces_from_regions']} made from their region)"
        )
    for item in data.get("error_list", []):
        click.echo(f"error: {printable(item['path'])}: {item['error']}")


@click.group()
def faces() -> None:
    """Work with the detected faces.

    Example:

        facegraph faces export-crops -o ./Faces
    """


@faces.command("export-crops")
@out_dir_option("the crops")
@library_option
@json_option
@user_errors
def export_crops(out_dir, library, as_json) -> None:
    """Write every face crop to a folder as face_<id>.jpg, with an index faces.csv.

    Example:

        facegraph faces export-crops -o ./Faces
    """
    from ..ingestion.crops import export_crops as run_export

    count = run_export(library, out_dir)
    said = f"{count} face crops written to {out_dir}"
    report(as_json, {"faces": count, "out_dir": out_dir}, said)
