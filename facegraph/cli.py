"""The `facegraph` command: a thin layer of click over the library functions."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any

import click

from .analysis import DetectionSettings
from .errors import FacegraphError
from .faces import DETECTORS
from .library import DEFAULT_LIBRARY, LIBRARY_ENV


def library_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--library",
        "library",
        envvar=LIBRARY_ENV,
        type=click.Path(file_okay=False),
        default=None,
        help=f"Library directory (default: ${LIBRARY_ENV} or ./{DEFAULT_LIBRARY}).",
    )(command)


def json_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")(command)


#: (flag, type, default, help) of each DetectionSettings field a user may set
_DETECTION_FLAGS = (
    ("detector", click.Choice(DETECTORS), "hog",
     "dlib's HOG detector, or its MMOD CNN (slower, finds more turned faces)."),
    ("upsample", click.IntRange(0, 3), 1,
     "Search each photo enlarged 2**N times (finds smaller faces, slower)."),
    ("max_side", click.IntRange(64), 1080, "Scale photos to this long side before upsampling."),
    ("min_face", click.IntRange(0), 0,
     "Drop faces narrower than this many pixels of the original photo."),
    ("jitters", click.IntRange(1), 1,
     "Average the encoding over N jittered copies (N times slower)."),
)  # fmt: skip


def detection_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The face-detection flags, handed to the command as one ``settings`` argument."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        fields = {name: kwargs.pop(name) for name, *_ in _DETECTION_FLAGS}
        return command(*args, settings=DetectionSettings(**fields), **kwargs)

    for name, kind, default, text in reversed(_DETECTION_FLAGS):
        flag = "--" + name.replace("_", "-")
        wrapper = click.option(flag, name, type=kind, default=default, show_default=True,
                               help=text)(wrapper)  # fmt: skip
    return wrapper


def user_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Expected failures become one-line messages, not tracebacks."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (FacegraphError, FileNotFoundError) as exc:
            raise click.ClickException(str(exc)) from None
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)

    return wrapper


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


@click.group()
@click.version_option(package_name="facegraph")
def main() -> None:
    """Turn folders of photos into a network of who appears with whom."""


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@library_option
@detection_options
@click.option(
    "--workers", type=click.IntRange(1), default=None, help="Worker processes [default: all cores]."
)
@click.option("--retry-errors", is_flag=True, help="Try again photos that failed before.")
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress bar [default: when stderr is a terminal].",
)
@json_option
@user_errors
def ingest(paths, library, settings, workers, retry_errors, progress, as_json) -> None:
    """Find faces in the photos below PATHS and store them in the library.

    Only new and changed photos are analysed; moved photos are recognised by their content,
    vanished ones are marked. Stop it at any time: the next run carries on.

    Example:

        facegraph ingest ~/Pictures/2024 ~/Pictures/2025 --library ~/faces
    """
    from .ingest import ingest as run_ingest

    def report_error(path: str, reason: str) -> None:
        from tqdm import tqdm

        tqdm.write(f"error: {path}: {reason}", file=sys.stderr)

    report = run_ingest(
        paths, library, settings=settings, workers=workers, retry_errors=retry_errors,
        progress=progress, on_error=None if as_json else report_error,
    )  # fmt: skip
    if as_json:
        print_json(report.as_dict())
    else:
        for warning in report.warnings:
            click.echo(f"warning: {warning}", err=True)
        click.echo(
            f"{report.processed} photos analysed in {report.seconds:.1f} s: "
            f"{report.ok} with faces ({report.faces_added} faces), {report.no_faces} without, "
            f"{len(report.errors)} failed"
        )
        click.echo(
            f"{report.scanned} found: {report.new} new, {report.changed} changed, "
            f"{report.unchanged} unchanged, {report.moved} moved, {report.vanished} vanished"
        )
        click.echo(f"library: {report.library}")
    if report.interrupted:
        click.echo("interrupted: run the same command again to carry on", err=True)
        sys.exit(130)


@main.command()
@library_option
@click.option("--errors", "show_errors", is_flag=True, help="List the photos that failed.")
@json_option
@user_errors
def stats(library, show_errors, as_json) -> None:
    """Count the library's photos (by status) and faces.

    Example:

        facegraph stats --json
    """
    from .summary import errors, stats

    data = stats(library)
    if show_errors:
        data["error_list"] = [{"path": p, "error": e} for p, e in errors(library)]
    if as_json:
        print_json(data)
        return
    by_status = data["by_status"]
    click.echo(f"library:  {data['library']}")
    click.echo(f"images:   {data['images']} ({by_status['ok']} with faces, "
               f"{by_status['no_faces']} without, {by_status['error']} failed, "
               f"{data['missing']} missing)")  # fmt: skip
    click.echo(f"faces:    {data['faces']}")
    for item in data.get("error_list", []):
        click.echo(f"error: {item['path']}: {item['error']}")


@main.group()
def faces() -> None:
    """Work with the detected faces."""


@faces.command("export-crops")
@click.argument("out_dir", type=click.Path(file_okay=False))
@library_option
@json_option
@user_errors
def export_crops(out_dir, library, as_json) -> None:
    """Write every face crop to OUT_DIR as face_<id>.jpg, with an index faces.csv.

    Example:

        facegraph faces export-crops ./Faces
    """
    from .crops import export_crops as run_export

    count = run_export(library, out_dir)
    if as_json:
        print_json({"faces": count, "out_dir": out_dir})
    else:
        click.echo(f"{count} face crops written to {out_dir}")


if __name__ == "__main__":
    main()
