"""Ad-hoc SQL, and the named SQL/Cypher queries kept as files in ``queries/``.

A named query is a ``.sql`` file (run by DuckDB on the library) or a ``.cypher`` file (run on the
graph). Its header comment says what it does and declares each parameter::

    // :param person_id INT64           the person at the centre
    // :param hops INT64 = 1            how many steps out

Values are converted to the declared type and always bound as parameters (``$name``), never
pasted into the query text. Besides the queries shipped with facegraph, a library may hold its
own in ``<library>/queries/``, and ``$FACEGRAPH_QUERIES`` may name one more folder.
"""

from __future__ import annotations

import importlib
import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from .. import graph
from ..errors import QueryError, QueryNotFoundError, QueryParameterError
from ..library import Library, resolve_library_path

QUERIES_ENV = "FACEGRAPH_QUERIES"
LANGUAGES = {".sql": "sql", ".cypher": "cypher"}

_PARAM = re.compile(r":param\s+(\w+)\s+(\w+(?:\[\])?)(?:\s*=\s*(\S+))?\s*(.*)")
_TYPES = {
    "int": int,
    "int64": int,
    "bigint": int,
    "integer": int,
    "float": float,
    "double": float,
    "string": str,
    "varchar": str,
    "text": str,
    "timestamp": datetime,
    "date": date,
    "bool": bool,
    "boolean": bool,
}


@dataclass(frozen=True)
class QueryParam:
    name: str
    type: str
    default: str | None  # as written in the header; "NULL" means none
    required: bool
    description: str


@dataclass(frozen=True)
class NamedQuery:
    name: str
    language: str  # "sql" or "cypher"
    description: str
    params: tuple[QueryParam, ...]
    text: str
    path: str = field(compare=False)

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "language": self.language,
            "description": self.description,
            "path": self.path,
            "params": [p.__dict__ for p in self.params],
        }


def parse_query(path: Path, text: str) -> NamedQuery:
    """Read the header comment (``--`` or ``//`` lines at the top) of a query file."""
    description: list[str] = []
    params: list[QueryParam] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith(("--", "//")):
            break
        comment = stripped[2:].strip()
        match = _PARAM.match(comment)
        if match:
            name, kind, default, about = match.groups()
            if kind.lower().removesuffix("[]") not in _TYPES:
                raise QueryParameterError(f"{path}: parameter {name} has unknown type {kind}")
            params.append(QueryParam(name, kind.upper(), default, default is None, about))
        elif comment and not params:
            description.append(comment)
    return NamedQuery(
        path.stem, LANGUAGES[path.suffix], " ".join(description), tuple(params), text, str(path)
    )


def _builtin_folder() -> Path:
    """The queries shipped with facegraph: the package data ``facegraph.queries``.

    pyproject maps the repository's top-level ``queries/`` to that package, so wheels carry it
    inside facegraph. Only a source checkout run without installing finds no such package and
    reads ``queries/`` beside ``facegraph/`` (checked by its ``pyproject.toml``): never a bare
    ``queries`` folder or package, which another distribution may install.
    """
    try:  # a namespace package (data only): its folder is its one path entry
        return Path(next(iter(importlib.import_module("facegraph.queries").__path__)))
    except ModuleNotFoundError:
        checkout = Path(__file__).resolve().parents[2]
        if (checkout / "pyproject.toml").is_file() and (checkout / "queries").is_dir():
            return checkout / "queries"
        raise QueryNotFoundError(
            "facegraph's own queries are missing from this installation; reinstall facegraph"
        ) from None


def query_folders(library: str | os.PathLike[str] | None = None) -> list[Path]:
    """Where named queries are looked for: facegraph's own, the library's, $FACEGRAPH_QUERIES."""
    folders = [_builtin_folder(), resolve_library_path(library) / "queries"]
    if os.environ.get(QUERIES_ENV):
        folders.append(Path(os.environ[QUERIES_ENV]).expanduser())
    return [f for f in folders if f.is_dir()]


def list_queries(library: str | os.PathLike[str] | None = None) -> list[NamedQuery]:
    """Every named query. A name facegraph ships always means facegraph's query: a library
    received from someone else cannot replace it (see `shadowing_queries`)."""
    found: dict[str, NamedQuery] = {}
    for folder in query_folders(library):
        for path in sorted(folder.iterdir()):
            if path.suffix in LANGUAGES and path.stem not in found:
                found[path.stem] = parse_query(path, path.read_text("utf-8"))
    return sorted(found.values(), key=lambda q: q.name)


def shadowing_queries(library: str | os.PathLike[str] | None = None) -> list[Path]:
    """Query files that reuse a name already taken (a shipped name, or an earlier folder's), and
    so are not run; rename them to use them."""
    seen: set[str] = set()
    ignored = []
    for folder in query_folders(library):
        for path in sorted(folder.iterdir()):
            if path.suffix in LANGUAGES:
                if path.stem in seen:
                    ignored.append(path)
                seen.add(path.stem)
    return ignored


def find_query(name: str, library: str | os.PathLike[str] | None = None) -> NamedQuery:
    name = Path(name).stem
    for query in list_queries(library):
        if query.name == name:
            return query
    raise QueryNotFoundError(f"no query named {name!r}; 'facegraph query --list' shows them all")


def builtin_query(name: str) -> NamedQuery:
    """A query shipped with facegraph (never one a library overrides): facegraph's own code
    runs these."""
    for suffix in LANGUAGES:
        path = _builtin_folder() / f"{name}{suffix}"
        if path.exists():
            return parse_query(path, path.read_text("utf-8"))
    raise QueryNotFoundError(f"facegraph is missing its query {name!r}; reinstall it")


def _convert(param: QueryParam, value: Any, query: str) -> Any:
    if value is None or (isinstance(value, str) and value.upper() == "NULL"):
        return None
    if param.type.endswith("[]"):  # a list: given as a list, or as "3,7,12"
        item = QueryParam(param.name, param.type[:-2], None, True, param.description)
        items = value.split(",") if isinstance(value, str) else list(value)
        return [_convert(item, v.strip() if isinstance(v, str) else v, query) for v in items]
    kind = _TYPES[param.type.lower()]
    if not isinstance(value, str):
        return value
    try:
        if kind is datetime:
            return datetime.fromisoformat(value)
        if kind is date:
            return date.fromisoformat(value)
        if kind is bool:
            if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(value)
            return value.lower() in ("true", "1", "yes")
        return kind(value)
    except ValueError:
        raise QueryParameterError(
            f"query {query}: parameter {param.name} must be {param.type}, not {value!r}"
        ) from None


def bind(query: NamedQuery, values: dict[str, Any]) -> dict[str, Any]:
    """The declared parameters with the given values (converted) or their defaults."""
    declared = {p.name: p for p in query.params}
    unknown = sorted(set(values) - set(declared))
    if unknown:
        names = ", ".join(declared) or "none"
        raise QueryParameterError(
            f"query {query.name} has no parameter {unknown[0]!r} (it takes: {names})"
        )
    bound = {}
    for name, param in declared.items():
        if name in values:
            bound[name] = _convert(param, values[name], query.name)
        elif param.required:
            raise QueryParameterError(
                f"query {query.name} needs --param {name}=... ({param.description})"
            )
        else:
            bound[name] = _convert(param, param.default, query.name)
    return bound


def run_sql(
    library: str | os.PathLike[str] | None,
    query: str,
    parameters: dict[str, Any] | None = None,
    *,
    write: bool = False,
    allow_files: bool = False,
) -> pa.Table:
    """Run one SQL statement on the library's DuckDB database.

    Read-only unless `write`; either way the statement reaches no other file (no ``COPY TO``,
    ``read_csv``, ``ATTACH``, ``INSTALL``...) unless `allow_files`."""
    with Library.open(library, write=write) as lib:
        if not allow_files:
            lib.confine()
        try:
            relation = lib.connection.sql(query, params=parameters or None)
            table = relation.to_arrow_table() if relation is not None else pa.table({})
        except duckdb.Error as exc:
            raise QueryError(str(exc).strip().splitlines()[0]) from None
        if write:
            graph.refresh_existing(lib)
        return table


def run_query(
    name: str,
    values: dict[str, Any] | None = None,
    library: str | os.PathLike[str] | None = None,
    engine: str | None = None,
) -> pa.Table:
    """Run a named query with its parameters bound."""
    query = find_query(name, library)
    bound = bind(query, values or {})
    if query.language == "sql":
        return run_sql(library, query.text, bound)
    return graph.run_cypher(library, query.text, bound, engine)
