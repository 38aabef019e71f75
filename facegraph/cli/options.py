"""Options shared by several commands, each one decorator, and the ways results are printed.

Defaults are read from the settings objects (`DetectionSettings`, `ClusterParams`,
`NetworkFilter`), never written here a second time. Importing this module loads no model,
database driver or graph library, so ``facegraph --help`` is instant.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import json
import math
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import click

from ..errors import FacegraphError, ParameterError
from ..faces.options import DETECTORS, ENCODERS, RUNTIMES
from ..ingestion.settings import DetectionSettings
from ..library import (
    DATABASE_FILE,
    DEFAULT_LIBRARY,
    ENGINE_ENV,
    ENGINES,
    LIBRARY_ENV,
    damaged_database,
    is_damaged_database,
    is_disk_failure,
    resolve_library_path,
)
from ..people.params import METHODS, ClusterParams
from ..safe_text import printable, spreadsheet_cell

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def _defaults(settings: type) -> dict[str, Any]:
    return {field.name: field.default for field in dataclasses.fields(settings)}


def _apply(command: Callable[..., Any], options: Sequence[Decorator]) -> Callable[..., Any]:
    for option in reversed(options):
        command = option(command)
    return command


# ---------------------------------------------------------------- the library and output


def library_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--library",
        "library",
        envvar=LIBRARY_ENV,
        type=click.Path(file_okay=False),
        default=None,
        help=f"Library directory (default: ${LIBRARY_ENV} or ./{DEFAULT_LIBRARY}).",
    )(command)


def out_dir_option(what: str) -> Decorator:
    """``-o/--out DIR``: the folder a command writes `what` to, handed over as ``out_dir``."""
    return click.option(
        "-o",
        "--out",
        "out_dir",
        required=True,
        type=click.Path(file_okay=False),
        help=f"Folder to write {what} to (created if needed).",
    )


def progress_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--progress/--no-progress",
        default=None,
        help="Progress bar [default: when stderr is a terminal].",
    )(command)


def json_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")(command)


def output_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--csv / --json, handed to the command as one ``output`` argument ("table" by default)."""

    @functools.wraps(command)
    def wrapper(*args: Any, as_csv: bool, as_json: bool, **kwargs: Any) -> Any:
        if as_csv and as_json:
            raise click.UsageError("choose one of --csv and --json")
        return command(*args, output="csv" if as_csv else "json" if as_json else "table", **kwargs)

    wrapper = click.option("--json", "as_json", is_flag=True, help="Print JSON.")(wrapper)
    return click.option("--csv", "as_csv", is_flag=True, help="Print CSV.")(wrapper)


def engine_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--graph-engine",
        "engine",
        type=click.Choice(ENGINES),
        envvar=ENGINE_ENV,
        default=None,
        help=f"Graph database [default: ${ENGINE_ENV} or kuzu].",
    )(command)


def user_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Expected failures become one-line messages, not tracebacks."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except FacegraphError as exc:
            raise click.ClickException(str(exc)) from None
        except BrokenPipeError:  # the reader went away (`| head`): stop quietly, as Unix tools do
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(141)
        except OSError as exc:  # a path the user gave that cannot be read or written
            where = f"{exc.filename}: " if exc.filename else ""
            raise click.ClickException(f"{where}{exc.strerror or exc}") from None
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except Exception as exc:
            if is_damaged_database(exc):  # met in the middle of a command, not while opening
                database = resolve_library_path(kwargs.get("library")) / DATABASE_FILE
                raise click.ClickException(str(damaged_database(database, exc))) from None
            failure = _storage_failure(exc, kwargs.get("library"), kwargs.get("engine"))
            if failure is None:
                raise  # a bug: keep its traceback
            raise click.ClickException(failure) from None

    return wrapper


def _storage_failure(exc: Exception, library: Any = None, engine: str | None = None) -> str | None:
    """The one line to print for a database engine's input/output failure (a full or read-only
    disk, a damaged block), naming the file, or None for any other exception."""
    kind, text = type(exc), str(exc).strip()
    first = text.splitlines()[0] if text else kind.__name__
    from_duckdb = kind.__module__.split(".")[0] in ("duckdb", "_duckdb")
    if from_duckdb and (
        kind.__name__ in ("IOException", "PermissionException", "OutOfMemoryException")
        or is_disk_failure(exc)
    ):
        database = resolve_library_path(library) / DATABASE_FILE
        return f"the library's database {database} could not be read or written: {first}"
    if isinstance(exc, RuntimeError) and first.lower().startswith(
        ("io exception", "buffer manager")
    ):
        from ..graph.files import graph_path

        graph = graph_path(resolve_library_path(library), engine)
        return f"the library's graph {graph} could not be read or written: {first}"
    return None


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


def print_photo_error(path: str, reason: str) -> None:
    """One line per unusable photo, printed above the progress bar."""
    from tqdm import tqdm

    tqdm.write(f"error: {printable(path)}: {printable(reason)}", file=sys.stderr)


def print_photo_names(names: Any) -> None:
    """What the names in the photos' metadata did (`people.photo_names.PhotoNames`)."""
    for line in names.conflicts:
        click.echo(f"name kept: {printable(line)}", err=True)
    new = f", {len(names.new_people)} new people" if names.new_people else ""
    click.echo(
        f"{names.faces_named} faces named by their photos' metadata{new};"
        f" {len(names.conflicts)} disagreements (facegraph's names kept)"
    )


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
        # as `export csv` writes it: no formula a spreadsheet would run, no escape sequence a
        # terminal would obey (names and paths come from outside)
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow([printable(str(spreadsheet_cell(c))) for c in columns])
        for row in rows:
            writer.writerow([printable(_cell(spreadsheet_cell(row.get(c)))) for c in columns])
    else:
        cells = [[printable(_cell(row.get(c)))[:80] for c in columns] for row in rows]
        widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
        click.echo("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
        click.echo("  ".join("-" * w for w in widths))
        for r in cells:
            click.echo("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())
        click.echo(f"({len(rows)} row{'s' if len(rows) != 1 else ''})", err=True)


def print_table(table: Any, output: str) -> None:
    """A pyarrow table as `print_rows` prints rows."""
    print_rows(table.to_pylist(), table.column_names, output)


def report(as_json: bool, data: dict[str, Any], sentence: str) -> None:
    """What a command did: one JSON object, or one sentence."""
    if as_json:
        print_json(data)
    else:
        click.echo(sentence)


# ---------------------------------------------------------------- settings objects


def detection_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The face-detection flags, handed to the command as one ``settings`` argument."""
    default = _defaults(DetectionSettings)
    flags = (
        (
            "detector",
            click.Choice(DETECTORS),
            "auto: RetinaFace (a small CNN shipped with facegraph; faces of 16 px and more, "
            "in any pose); hog: dlib's HOG (upright frontal faces); cnn: dlib's MMOD CNN.",
        ),
        (
            "upsample",
            click.IntRange(0, 3),
            "Decode photos at --max-side times 2**N (HOG and MMOD also search them there: "
            "smaller faces, slower).",
        ),
        ("max_side", click.IntRange(64), "Scale photos to this long side before upsampling."),
        (
            "min_face",
            click.IntRange(0),
            "Drop faces narrower than this many pixels of the original photo.",
        ),
        (
            "jitters",
            click.IntRange(1),
            "Average the encoding over N jittered copies (N times slower).",
        ),
        (
            "encoder",
            click.Choice(ENCODERS),
            "Face encoder: dlib's network on ONNX Runtime (fast) or on dlib; auto = ONNX where "
            "it runs.",
        ),
        (
            "cnn_runtime",
            click.Choice(RUNTIMES),
            "Where --detector cnn runs: ONNX Runtime (same boxes, ~15x faster) or dlib.",
        ),
        (
            "attributes",
            bool,
            "Also estimate age and gender of new faces (pip install 'facegraph[attributes]').",
        ),
        (
            "regions",
            bool,
            "Read the names and face regions of the photos' XMP (digiKam, Lightroom, Picasa; "
            "embedded or in sidecars); named faces become those people.",
        ),
        ("video_every", FiniteFloat(0.04, 3600), "Videos: look at a frame every N seconds."),
    )

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        fields = {name: kwargs.pop(name) for name, *_ in flags}
        return command(*args, settings=DetectionSettings(**fields), **kwargs)

    options = [
        click.option(
            f"--{name}/--no-{name}" if default[name] else "--" + name.replace("_", "-"),
            name,
            is_flag=True,
            default=default[name],
            show_default=bool(default[name]),
            help=text,
        )
        if kind is bool
        else click.option(
            "--" + name.replace("_", "-"),
            name,
            type=kind,
            default=default[name],
            show_default=True,
            help=text,
        )
        for name, kind, text in flags
    ]
    return _apply(wrapper, options)


class FiniteFloat(click.FloatRange):
    """A float in a range that is a number: click's own range lets ``nan`` through (every
    comparison with it is false)."""

    name = "finite float"

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


def cluster_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Method, threshold and min faces, handed to the command as one ``params`` argument."""
    default = _defaults(ClusterParams)

    @functools.wraps(command)
    def wrapper(*args: Any, method: str, threshold: float, min_faces: int, **kwargs: Any) -> Any:
        try:
            params = ClusterParams(method=method, threshold=threshold, min_faces=min_faces)
        except ParameterError as exc:
            raise click.UsageError(str(exc)) from None
        return command(*args, params=params, **kwargs)

    return _apply(
        wrapper,
        [
            click.option(
                "--method",
                type=click.Choice(METHODS),
                default=default["method"],
                show_default=True,
                help="Clustering algorithm.",
            ),
            click.option(
                "--threshold",
                type=FiniteFloat(0.05, 1.5),
                default=default["threshold"],
                show_default=True,
                help="Largest encoding distance that links two faces.",
            ),
            click.option(
                "--min-faces",
                type=click.IntRange(1),
                default=default["min_faces"],
                show_default=True,
                help="Smaller groups stay unassigned instead of becoming people"
                " (1: a face seen once is a person, so group photos make ties).",
            ),
        ],
    )


def _parse_params(ctx: click.Context, param: click.Parameter, values: Sequence[str]) -> dict:
    parsed = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{item!r} is not name=value", ctx, param)
        parsed[name.strip()] = value
    return parsed


param_option = click.option(
    "--param",
    "-p",
    "params",
    multiple=True,
    callback=_parse_params,
    metavar="NAME=VALUE",
    help="A query parameter (repeat for more); bound, never pasted into the query.",
)
