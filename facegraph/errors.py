"""Every exception facegraph raises on purpose; each message is a sentence a user can act on.

The command line turns any `FacegraphError` into one line (``Error: ...``) and a non-zero exit;
anything else is a bug and keeps its traceback.

    FacegraphError
    ├── LibraryError
    │   ├── LibraryNotFoundError    no library where one was expected
    │   ├── LibraryInUseError       another process holds the writer's lock
    │   ├── LibraryVersionError     written by a newer facegraph
    │   └── LibraryDamagedError     its database file cannot be read
    ├── PhotoError                  one photo cannot be used (the run goes on)
    ├── SchedulerError              the Dask scheduler cannot be reached (ingest --scheduler)
    ├── ModelError
    │   ├── DlibFormatError         a model file is not the dlib network expected
    │   ├── EncoderUnavailable      the chosen backend cannot run here
    │   └── AttributesUnavailable   the age and gender models are not installed
    ├── ParameterError              a setting out of its range (also a ValueError)
    ├── PeopleError
    │   ├── PersonNotFoundError     no person with that ID
    │   ├── FaceNotFoundError       no face with that ID
    │   ├── NothingToUndoError      the edit log has nothing left to undo
    │   └── EvaluationError         a truth file that cannot be scored against
    ├── GraphEngineError            the graph engine is not installed or not known
    ├── QueryError                  a user's SQL or Cypher failed
    │   ├── QueryNotFoundError      no named query by that name
    │   └── QueryParameterError     a parameter missing, unknown or of the wrong type
    └── OutputError                 a file or folder facegraph was asked to write cannot be
        └── ExportError             an export format or file that cannot be written
"""

from __future__ import annotations


class FacegraphError(Exception):
    """Base class for facegraph's expected failures."""


class LibraryError(FacegraphError):
    """Something about the library as a whole."""


class LibraryNotFoundError(LibraryError):
    """No library where one was expected."""


class LibraryInUseError(LibraryError):
    """Another process has the library open for writing."""


class LibraryVersionError(LibraryError):
    """The library was written by a newer facegraph."""


class LibraryDamagedError(LibraryError):
    """The library's database file is damaged, truncated or not a DuckDB file."""


class ParameterError(FacegraphError, ValueError):
    """A setting that is not a number, or out of its range."""


def check_number(name: str, value: object, low: float, high: float | None = None) -> None:
    """A `ParameterError` unless `value` is a finite number from `low` to `high` (the one check
    the settings objects make for the CLI, the review app and Python alike)."""
    import math

    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ParameterError(f"{name} must be a number, not {value!r}")
    if value < low or (high is not None and value > high):
        limits = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ParameterError(f"{name} must be {limits}, not {value}")


class PhotoError(FacegraphError):
    """A photo that cannot be used, with a one-line reason."""


class SchedulerError(FacegraphError):
    """The Dask scheduler cannot be reached, or Dask is not installed."""


class ModelError(FacegraphError):
    """A face model that cannot be loaded or run."""


class DlibFormatError(ModelError, ValueError):
    """The file is not the dlib network it was expected to be."""


class EncoderUnavailable(ModelError, RuntimeError):
    """The requested encoder backend cannot run here."""


class AttributesUnavailable(ModelError):
    """The age and gender models (the ``attributes`` extra) are not installed or not readable."""


class PeopleError(FacegraphError):
    """A people command that cannot be carried out."""


class PersonNotFoundError(PeopleError):
    """No person with that ID."""


class FaceNotFoundError(PeopleError):
    """No face with that ID."""


class NothingToUndoError(PeopleError):
    """The edit log has nothing left to undo."""


class EvaluationError(PeopleError):
    """A truth file that cannot be scored against the library."""


class GraphEngineError(FacegraphError):
    """The chosen graph engine is not installed or not known."""


class QueryError(FacegraphError):
    """A user's query failed (syntax, unknown table, a write without --write...)."""


class QueryNotFoundError(QueryError):
    """No named query by that name."""


class QueryParameterError(QueryError):
    """A parameter is missing, unknown or of the wrong type."""


class OutputError(FacegraphError):
    """A file or folder facegraph was asked to write cannot be written."""


class ExportError(OutputError, ValueError):
    """An export that cannot be written (unknown format, unusable path)."""


class FindError(FacegraphError):
    """Nothing to search for (no face in the reference photos), or nowhere to search."""


class KnownFolderError(FacegraphError):
    """A folder of known people that cannot be read."""


class RegionWriteError(OutputError):
    """Face regions could not be written into a photo's XMP (sidecar or embedded)."""
