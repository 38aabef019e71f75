"""An open graph database (Kùzu, or its fork ladybug: the same API and Cypher) and the schema
of the projection. The only place that loads an engine."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pyarrow as pa

from ..errors import GraphEngineError, LibraryInUseError
from .files import write_checksum

SCHEMA = (
    "CREATE NODE TABLE Person(id INT64 PRIMARY KEY, name STRING, photos INT64, moments INT64,"
    " gender STRING, gender_confidence DOUBLE, age DOUBLE, birth_year INT64)",
    "CREATE NODE TABLE Image(id INT64 PRIMARY KEY, path STRING, taken_at TIMESTAMP, people INT64,"
    " moment INT64)",
    "CREATE REL TABLE APPEARS_IN(FROM Person TO Image, face_id INT64, box_left INT64,"
    " box_top INT64, box_right INT64, box_bottom INT64)",
    "CREATE NODE TABLE GraphState(key STRING PRIMARY KEY, value STRING)",
)


def _engine_module(engine: str) -> Any:
    try:
        return importlib.import_module(engine)
    except ImportError:
        raise GraphEngineError(
            f"graph engine {engine!r} is not installed; pip install {engine}"
        ) from None


class Graph:
    """An open graph database. Use as a context manager."""

    def __init__(self, path: Path, engine: str, read_only: bool = False):
        module = _engine_module(engine)
        self.path, self.engine, self.read_only = path, engine, read_only
        try:
            self.database = module.Database(str(path), read_only=read_only)
        except RuntimeError as exc:
            if "lock" in str(exc).lower():
                raise LibraryInUseError(
                    f"graph {path} is in use by another process; wait for it to finish"
                ) from None
            raise
        self.connection = module.Connection(self.database)

    def execute(self, query: str, parameters: dict[str, Any] | None = None) -> pa.Table:
        result = self.connection.execute(query, parameters or {})
        if isinstance(result, list):  # several statements: the last one answers
            result = result[-1]
        if not result.get_column_names():  # a write that returns nothing
            return pa.table({})
        return result.get_as_arrow()

    def copy(self, table_name: str, rows: pa.Table) -> None:
        """Bulk-load Arrow rows (never pandas: Kùzu 0.11 crashes on pandas 3 strings)."""
        if rows.num_rows:
            self.execute(f"COPY {table_name} FROM $rows", {"rows": rows})

    def state(self) -> str | None:
        """The fingerprint of the source rows this graph was built from; None if unknown."""
        try:
            rows = self.execute(
                "MATCH (s:GraphState) WHERE s.key = 'fingerprint' RETURN s.value"
            ).to_pylist()
        except RuntimeError:  # not a graph of ours, or an interrupted build: rebuild it
            return None
        return rows[0]["s.value"] if rows else None

    def set_state(self, fingerprint: str) -> None:
        self.execute(
            "MERGE (s:GraphState {key: 'fingerprint'}) SET s.value = $value", {"value": fingerprint}
        )

    def close(self) -> None:
        self.connection.close()
        self.database.close()
        if not self.read_only:
            write_checksum(self.path)

    def __enter__(self) -> Graph:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
