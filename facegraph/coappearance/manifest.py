"""The run record: what produced a library's people and network, so that anyone can check a
finding or produce it again.

It names the facegraph version, the model files (by SHA-256), the detector settings the photos
were analysed with, the last clustering run's method and parameters, the input photos (their
count and one SHA-256 over their sorted content hashes, so the same photos give the same digest
whatever their paths or the order they were ingested in) and the edits in force (their count
and a digest of their actions and details, in order). Times (``made_at``, the clustering's
``at``) are the only fields that differ between two runs that should agree.

Every export writes the manifest beside its files (``NAME.manifest.json``) with the export's
format, filters and each file's SHA-256.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from ..library import Library
from . import record_store as store

LibraryPath = str | os.PathLike[str] | None
#: the keys that hold times: left out when two manifests are compared (`comparable`)
TIMES = ("made_at", "at")


def model_files() -> dict[str, str]:
    """Model file name → SHA-256 of the models facegraph runs (the ONNX graphs facegraph
    converts are derived from these, by `onnx_format.CONVERTER_VERSION`)."""
    import face_recognition_models

    from ..faces import retinaface
    from ..faces.onnx_format import CONVERTER_VERSION

    found = {retinaface.MODEL_FILE: retinaface.MODEL_SHA256}
    for location in (
        face_recognition_models.pose_predictor_five_point_model_location(),
        face_recognition_models.face_recognition_model_location(),
        face_recognition_models.cnn_face_detector_model_location(),
    ):
        found[os.path.basename(location)] = _sha256_file(location)
    found["onnx-converter"] = str(CONVERTER_VERSION)
    return found


def _sha256_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _digest(lines: list[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def manifest(library: LibraryPath = None) -> dict[str, Any]:
    """The run record of the library as it is now (see the module's text)."""
    with Library.open(library) as lib:
        con = lib.connection
        hashes = store.photo_hashes(con)
        detection = store.detection_settings(con)
        edits = store.applied_edits(con)
        clustering = store.last_clustering(con)
        counts = store.library_counts(con)
    cluster = None
    if clustering is not None:
        detail, when = clustering
        cluster = {**json.loads(detail), "at": when.isoformat(sep=" ", timespec="seconds")}
    return {
        "facegraph_version": version("facegraph"),
        "models": model_files(),
        "detection": detection,
        "clustering": cluster,
        "photos": {"count": len(hashes), "sha256_of_content_hashes": _digest(hashes)},
        "edits": {
            "count": len(edits),
            "sha256": _digest([f"{action} {detail}" for action, detail in edits]),
        },
        **counts,
        "made_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def export_manifest(
    library: LibraryPath, fmt: str, filters: Any, files: list[Path]
) -> dict[str, Any]:
    """The manifest of an export: the library's, with the format, the filters and the SHA-256
    of each file written."""
    return {
        **manifest(library),
        "export": {
            "format": fmt,
            "filters": {k: _plain(v) for k, v in asdict(filters).items()},
            "files": {p.name: _sha256_file(str(p)) for p in files},
        },
    }


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def comparable(record: dict[str, Any]) -> dict[str, Any]:
    """`record` without its times: two runs that should agree have equal ones."""
    return {
        k: comparable(v) if isinstance(v, dict) else v for k, v in record.items() if k not in TIMES
    }
