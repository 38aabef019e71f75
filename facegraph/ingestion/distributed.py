"""The per-photo work of an ingest on Dask distributed workers (``ingest --scheduler``).

Workers only compute: each loads the models once (a worker plugin) and analyses batches of
photos, exactly as a local worker process does; the results stream back to the one process that
writes the library (`run.ingest`), which commits them as it does for the local pool. So a run
is resumable and idempotent whatever dies: a lost worker's batches are run again by Dask, and a
client or scheduler that dies loses only what was not yet committed, which the next run redoes.

Photos are read by the workers from their paths: every worker must see the photos at the same
path as the client (a shared or network file system). Workers need facegraph (the same version)
and the same dlib, onnxruntime and dask versions as the client.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from distributed import Client, LocalCluster, WorkerPlugin, as_completed

from ..errors import SchedulerError
from .records import PhotoResult
from .settings import DetectionSettings
from .video_parts import work_units

#: tasks in flight per worker thread: enough to keep workers busy, few enough to bound memory
IN_FLIGHT_PER_THREAD = 2
PHOTOS_PER_TASK = 8
CONNECT_SECONDS = 10


def _client(scheduler: str):
    if scheduler == "local":  # a cluster of worker processes on this machine, one per core
        cluster = LocalCluster(
            n_workers=os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        )
        return Client(cluster), cluster
    try:
        return Client(scheduler, timeout=CONNECT_SECONDS), None
    except (OSError, TimeoutError) as exc:
        raise SchedulerError(
            f"cannot reach the Dask scheduler at {scheduler} ({str(exc).splitlines()[0]})"
        ) from None


class ModelLoader(WorkerPlugin):
    """A worker plugin: each worker loads the models once, with one runtime thread per task
    thread, before its first photo."""

    name = "facegraph-models"

    def __init__(self, settings: DetectionSettings) -> None:
        self.settings = settings

    def setup(self, worker) -> None:
        os.environ.setdefault("FACEGRAPH_ONNX_THREADS", "1")
        from ..faces import detect
        from ..faces.attributes import attribute_models
        from ..faces.encode import onnx_threads

        detect.load_models(self.settings.detector, self.settings.encoder, self.settings.cnn_runtime)
        if self.settings.attributes:
            attribute_models(onnx_threads())

    def teardown(self, worker) -> None:
        pass


def analyse_batch(paths: list[str], settings: DetectionSettings) -> list[PhotoResult]:
    """What a worker runs: one batch of photos, their faces encoded together."""
    from .analyse_video import analyse_items

    return analyse_items(paths, settings)


def analyse_on_dask(
    paths: list[str], settings: DetectionSettings, scheduler: str
) -> Iterator[PhotoResult]:
    """Analyse `paths` on the Dask cluster at `scheduler` (``tcp://host:8786``, or ``local``),
    yielding results as they finish. Closing the iterator cancels what is still queued."""
    client, cluster = _client(scheduler)
    try:
        client.register_plugin(ModelLoader(settings))
        threads = max(1, sum(client.nthreads().values()))
        tasks = work_units(paths, PHOTOS_PER_TASK)  # a video's parts one by one
        queued = iter(tasks)
        window = as_completed()
        for task in _take(queued, threads * IN_FLIGHT_PER_THREAD):
            window.add(client.submit(analyse_batch, task, settings, pure=False))
        for future in window:
            results = future.result()
            future.release()
            for task in _take(queued, 1):
                window.add(client.submit(analyse_batch, task, settings, pure=False))
            yield from results
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _take(items: Iterator[list[str]], count: int) -> list[list[str]]:
    taken = []
    for item in items:
        taken.append(item)
        if len(taken) == count:
            break
    return taken
