"""The `facegraph` command: a thin layer of click over the library functions."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any

import click

from .analysis import DetectionSettings
from .encoders import ENCODERS
from .errors import FacegraphError
from .faces import DETECTORS, RUNTIMES
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
    ("encoder", click.Choice(ENCODERS), "auto",
     "Face encoder: dlib's network on ONNX Runtime (fast) or on dlib; auto = ONNX if it runs."),
    ("cnn_runtime", click.Choice(RUNTIMES), "auto",
     "Where --detector cnn runs: ONNX Runtime (same boxes, ~15x faster) or dlib."),
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


def print_photo_error(path: str, reason: str) -> None:
    """One line per unusable photo, printed above the progress bar."""
    from tqdm import tqdm

    tqdm.write(f"error: {path}: {reason}", file=sys.stderr)


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

    report = run_ingest(
        paths, library, settings=settings, workers=workers, retry_errors=retry_errors,
        progress=progress, on_error=None if as_json else print_photo_error,
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


def cluster_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Method, threshold and min faces, handed to the command as one ``params`` argument."""
    from .clustering import METHODS, ClusterParams

    defaults = ClusterParams()

    @functools.wraps(command)
    def wrapper(*args: Any, method: str, threshold: float, min_faces: int, **kwargs: Any) -> Any:
        params = ClusterParams(method=method, threshold=threshold, min_faces=min_faces,
                               max_distance=threshold)  # fmt: skip
        return command(*args, params=params, **kwargs)

    options = [
        click.option("--method", type=click.Choice(METHODS), default=defaults.method,
                     show_default=True, help="Clustering algorithm."),
        click.option("--threshold", type=click.FloatRange(0.05, 1.5), default=defaults.threshold,
                     show_default=True, help="Largest encoding distance that links two faces."),
        click.option("--min-faces", type=click.IntRange(1), default=defaults.min_faces,
                     show_default=True,
                     help="Smaller groups stay unassigned instead of becoming people."),
    ]  # fmt: skip
    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper


@main.command("cluster")
@library_option
@cluster_options
@click.option("--full", is_flag=True, help="Re-cluster every face (manual edits are kept).")
@json_option
@user_errors
def cluster_command(library, params, full, as_json) -> None:
    """Group faces into people and store who is who.

    Without --full only faces with no person are considered: they join the people they are
    close to, or form new people. IDs, names and manual edits survive every run.

    Example:

        facegraph cluster
    """
    from .people import cluster

    report = cluster(library, params, full=full)
    if as_json:
        print_json(report.as_dict())
        return
    click.echo(
        f"{report.mode}: {report.considered} faces considered; {report.assigned_to_existing} "
        f"joined existing people, {report.assigned_to_new} formed {report.new_people} new "
        f"people, {report.unassigned} left unassigned; {report.people} people in all "
        f"({report.seconds:.1f} s)"
    )


@main.command()
@library_option
@click.option("--truth", required=True, type=click.Path(exists=True, dir_okay=False),
              help="CSV with columns path,identity (optional left,top,right,bottom).")  # fmt: skip
@json_option
@user_errors
def evaluate(library, truth, as_json) -> None:
    """Score the people against known identities (pairwise and BCubed P/R/F, NMI).

    Example:

        facegraph evaluate --truth ../shared/faces/MANIFEST.csv
    """
    from .evaluate import evaluate as run_evaluate

    scores = run_evaluate(library, truth)
    if as_json:
        print_json(scores)
        return
    for key, value in scores.items():
        click.echo(f"{key:<20} {value:.3f}" if isinstance(value, float) else f"{key:<20} {value}")


@main.group()
def people() -> None:
    """List, name and correct people."""


@people.command("list")
@library_option
@click.option("--all", "include_hidden", is_flag=True, help="Include hidden people.")
@json_option
@user_errors
def people_list(library, include_hidden, as_json) -> None:
    """List people, most faces first.

    Example:

        facegraph people list --json
    """
    from .people import list_people

    rows = list_people(library, include_hidden)
    if as_json:
        print_json(rows)
        return
    click.echo(f"{'id':>6}  {'faces':>5}  {'photos':>6}  name")
    for row in rows:
        name = row["name"] or ""
        click.echo(f"{row['person_id']:>6}  {row['faces']:>5}  {row['photos']:>6}  {name}"
                   f"{'  (hidden)' if row['hidden'] else ''}")  # fmt: skip


@people.command("show")
@click.argument("person_id", type=int)
@library_option
@json_option
@user_errors
def people_show(person_id, library, as_json) -> None:
    """Show a person's faces and photos.

    Example:

        facegraph people show 3
    """
    from .people import show_person

    person = show_person(library, person_id)
    if as_json:
        print_json(person)
        return
    click.echo(f"person {person['person_id']}: {person['name'] or '(no name)'}, "
               f"{person['faces']} faces in {person['photos']} photos, representative face "
               f"{person['representative_face_id']}")  # fmt: skip
    for face in person["faces_list"]:
        click.echo(f"  face {face['face_id']:>6}  {face['path']}  "
                   f"({face['left']},{face['top']},{face['right']},{face['bottom']})")  # fmt: skip


@people.command("name")
@click.argument("person_id", type=int)
@click.argument("name")
@library_option
@user_errors
def people_name(person_id, name, library) -> None:
    """Name a person ("" clears the name).

    Example:

        facegraph people name 3 "Ada Lovelace"
    """
    from .people import name_person

    name_person(library, person_id, name or None)


@people.command("merge")
@click.argument("sources", nargs=-1, required=True, type=int)
@click.option("--into", required=True, type=int, help="The person who stays.")
@library_option
@user_errors
def people_merge(sources, into, library) -> None:
    """Merge people into one (undo restores them).

    Example:

        facegraph people merge 7 12 --into 3
    """
    from .people import merge_people

    click.echo(f"{merge_people(library, list(sources), into)} faces moved to person {into}")


@people.command("move")
@click.argument("face_ids", nargs=-1, required=True, type=int)
@click.option("--to", "to_person", type=int, default=None,
              help="Person to move them to [default: a new person, i.e. a split].")  # fmt: skip
@library_option
@user_errors
def people_move(face_ids, to_person, library) -> None:
    """Move faces to another person, or split them off into a new one.

    Example:

        facegraph people move 101 102 --to 3
    """
    from .people import move_faces

    click.echo(f"faces now belong to person {move_faces(library, list(face_ids), to_person)}")


@people.command("not-this-person")
@click.argument("face_ids", nargs=-1, required=True, type=int)
@library_option
@user_errors
def people_reject(face_ids, library) -> None:
    """Take faces away from their person for good; they may join someone else.

    Example:

        facegraph people not-this-person 101
    """
    from .people import reject_faces

    reject_faces(library, list(face_ids))


@people.command("not-a-face")
@click.argument("face_ids", nargs=-1, required=True, type=int)
@library_option
@user_errors
def people_not_a_face(face_ids, library) -> None:
    """Mark detections that are not faces; they leave people and the network.

    Example:

        facegraph people not-a-face 250
    """
    from .people import mark_not_a_face

    mark_not_a_face(library, list(face_ids))


@people.command("hide")
@click.argument("person_id", type=int)
@click.option("--unhide", is_flag=True, help="Show the person again.")
@library_option
@user_errors
def people_hide(person_id, unhide, library) -> None:
    """Hide a person from lists and the network.

    Example:

        facegraph people hide 9
    """
    from .people import hide_person

    hide_person(library, person_id, hidden=not unhide)


@people.command("forget")
@click.argument("person_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@library_option
@user_errors
def people_forget(person_id, yes, library) -> None:
    """Delete a person with every encoding and crop of their faces. Cannot be undone.

    Example:

        facegraph people forget 9 --yes
    """
    from .people import forget_person

    if not yes:
        click.confirm(f"Forget person {person_id} for good (cannot be undone)?", abort=True)
    click.echo(f"forgot person {person_id}: {forget_person(library, person_id)} faces erased")


@people.command("undo")
@click.argument("count", type=click.IntRange(1), default=1)
@library_option
@user_errors
def people_undo(count, library) -> None:
    """Undo the last COUNT edits (default 1).

    Example:

        facegraph people undo 2
    """
    from .people import undo

    click.echo("undone: " + ", ".join(undo(library, count)))


@people.command("log")
@library_option
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True)
@json_option
@user_errors
def people_log(library, limit, as_json) -> None:
    """Show the latest edits and clustering runs.

    Example:

        facegraph people log --limit 10
    """
    from .people import edit_history

    rows = edit_history(library, limit)
    if as_json:
        print_json(rows)
        return
    for row in rows:
        state = " (undone)" if row["undone"] else ""
        click.echo(f"{row['edit_id']:>5}  {row['edited_at']:%Y-%m-%d %H:%M}  {row['action']}"
                   f"{state}  {json.dumps(row['detail'])}")  # fmt: skip


@people.command("mosaic")
@click.argument("person_ids", nargs=-1, type=int)
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False))
@library_option
@user_errors
def people_mosaic(person_ids, out_dir, library) -> None:
    """Write one image per person tiling their faces (all people if no ID is given).

    Example:

        facegraph people mosaic -o Clusters
    """
    from .mosaic import make_mosaics

    written = make_mosaics(library, out_dir, list(person_ids) or None)
    click.echo(f"{len(written)} mosaics written to {out_dir}")


# the network's commands register themselves on `main`
from . import cli_network  # noqa: E402, F401

if __name__ == "__main__":  # python -m facegraph.cli: run the package's module, which
    from facegraph.cli import main as package_main  # has every command registered

    package_main()
