"""Ingest's worker processes: started first, they load their models while the writer process
checks the library and scans the folders, then analyse tasks of photos and parts of videos.

This module imports only what analysis needs (no DuckDB, no graph), so a worker starts fast.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from multiprocessing.pool import Pool

from .analyse_video import analyse_items
from .records import PhotoResult
from .settings import DetectionSettings

_settings: DetectionSettings | None = None


def start_pool(settings: DetectionSettings, workers: int) -> Pool:
    """`workers` processes, each with `settings`' models loaded."""
    # spawn, not fork: the parent holds an open DuckDB connection and its threads
    context = multiprocessing.get_context("spawn")
    return context.Pool(workers, _init_worker, (settings,))


def _init_worker(settings: DetectionSettings) -> None:
    global _settings
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what Ctrl-C means
    # one runtime thread per worker: the pool already has a worker per core
    os.environ.setdefault("FACEGRAPH_ONNX_THREADS", "1")
    from ..faces import detect as face_ops

    # resolved here as in the parent (the same machine, so the same backends), building
    # the very sessions the worker then uses
    _settings = settings.resolved()
    face_ops.load_models(_settings.detector, _settings.encoder, _settings.cnn_runtime)
    if _settings.attributes:
        from ..faces.attributes import attribute_models
        from ..faces.encode import onnx_threads

        attribute_models(onnx_threads())


def analyse_in_worker(paths: list[str]) -> list[PhotoResult]:
    assert _settings is not None, "start_pool sets the worker up"
    return analyse_items(paths, _settings)
