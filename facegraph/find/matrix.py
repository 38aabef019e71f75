"""Every stored encoding as one float32 matrix, cached beside the library for exact search.

Reading a million 128-d encodings out of DuckDB takes seconds; reading them from a flat file
that the OS keeps in its page cache takes none. The cache lives in ``LIBRARY/find-cache/``:
``encodings.f32`` (n x 128, row-major), ``face_ids.i64`` and ``state.json``, which holds the
library state it was built from. It is rebuilt whenever the faces changed since (new, removed,
re-analysed or forgotten faces), written to a temporary name first and renamed, so a search
never reads half a file. Forgetting a person deletes it
(`facegraph.artefacts.remove_encoding_cache`): it holds encodings.

Faces marked "not a face", hidden people and the like are not filtered here but when the
matches are read (`facegraph.find.search`), so such edits cost no rebuild.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np

from ..artefacts import ENCODING_CACHE as CACHE_DIR
from .store import DIMENSIONS, encoding_batches, library_state

#: faces read from DuckDB per batch while the cache is built
_BATCH = 100_000


@dataclass
class EncodingMatrix:
    face_ids: np.ndarray  # int64, n
    encodings: np.ndarray  # float32, n x 128 (memory-mapped)
    squared_norms: np.ndarray  # float32, n

    def __len__(self) -> int:
        return len(self.face_ids)

    def distances(self, queries: np.ndarray) -> np.ndarray:
        """Euclidean distance of every stored face to each query: ``len(queries) x n``,
        exact (float32 arithmetic, as `face_recognition.face_distance` up to rounding)."""
        queries = np.asarray(queries, dtype=np.float32).reshape(-1, DIMENSIONS)
        if len(self) == 0:
            return np.empty((len(queries), 0), np.float32)
        squared = (
            self.squared_norms[None, :]
            + np.einsum("ij,ij->i", queries, queries)[:, None]
            - 2 * (queries @ self.encodings.T)
        )
        return np.sqrt(np.maximum(squared, 0, out=squared), out=squared)


def load_matrix(con: duckdb.DuckDBPyConnection, root: Path) -> EncodingMatrix:
    """The library's encodings, from the cache when it is current, else rebuilt into it."""
    state = library_state(con)
    folder = root / CACHE_DIR
    cached = _read_cache(folder, state)
    if cached is not None:
        return cached
    face_ids, encodings = _read_database(con)
    with contextlib.suppress(OSError):  # a read-only library searches from memory
        _write_cache(folder, state, face_ids, encodings)
    return EncodingMatrix(face_ids, encodings, np.einsum("ij,ij->i", encodings, encodings))


def _read_database(con: duckdb.DuckDBPyConnection) -> tuple[np.ndarray, np.ndarray]:
    ids, blocks = [], []
    for face_ids, encodings in encoding_batches(con, _BATCH):
        ids.append(face_ids)
        blocks.append(encodings)
    if not ids:
        return np.empty(0, np.int64), np.empty((0, DIMENSIONS), np.float32)
    return np.concatenate(ids), np.concatenate(blocks)


def _read_cache(folder: Path, state: list) -> EncodingMatrix | None:
    try:
        saved = json.loads((folder / "state.json").read_text("utf-8"))
        if saved.get("state") != state:
            return None
        count = state[0]
        face_ids = np.fromfile(folder / "face_ids.i64", dtype=np.int64)
        norms = np.fromfile(folder / "norms.f32", dtype=np.float32)
        if len(face_ids) != count or len(norms) != count:
            return None
        if count == 0:
            encodings = np.empty((0, DIMENSIONS), np.float32)
        else:
            encodings = np.memmap(
                folder / "encodings.f32", dtype=np.float32, mode="r", shape=(count, DIMENSIONS)
            )
    except (OSError, ValueError):  # missing, torn or of another size: build it again
        return None
    return EncodingMatrix(face_ids, encodings, norms)


def _write_cache(folder: Path, state: list, face_ids: np.ndarray, encodings: np.ndarray) -> None:
    folder.mkdir(exist_ok=True)
    (folder / "state.json").unlink(missing_ok=True)  # the old files are stale from here on
    names = {
        "face_ids.i64": face_ids,
        "encodings.f32": encodings,
        "norms.f32": np.einsum("ij,ij->i", encodings, encodings).astype(np.float32),
    }
    for name, array in names.items():
        partial = folder / f".{name}.{os.getpid()}-{threading.get_ident()}.partial"
        np.ascontiguousarray(array).tofile(partial)
        os.replace(partial, folder / name)
    partial = folder / f".state.json.{os.getpid()}-{threading.get_ident()}.partial"
    partial.write_text(json.dumps({"state": state}), "utf-8")
    os.replace(partial, folder / "state.json")
