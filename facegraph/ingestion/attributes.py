"""`facegraph attributes`: age and gender for faces already stored, in worker processes.

Each photo is read again at the scale it was analysed at (its ``images.detection``), its faces'
chips are cut from their stored landmarks, exactly as ``ingest --attributes`` cuts them, and the
estimates are committed a batch of photos at a time. The faces still to do are those with no row
in ``face_attributes``, so Ctrl-C, a crash or ``kill -9`` loses at most the batch in flight and
the next run carries on; nothing is estimated twice.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field

import numpy as np
from tqdm import tqdm

from .. import graph
from ..errors import PhotoError
from ..faces import attributes as face_attributes
from ..faces.encode import onnx_threads
from ..library import Library, lease, resolve_library_path, transaction
from . import store
from .decode import decode_photo, read_bytes
from .records import Estimated, PhotoFaces
from .run import default_workers
from .settings import DetectionSettings


@dataclass
class AttributesReport:
    library: str
    model: str
    faces_estimated: int = 0
    faces_skipped: dict[str, int] = field(default_factory=dict)  # reason -> faces
    #: photos that could not be read: their faces stay to do (the next run tries again)
    photo_errors: list[tuple[str, str]] = field(default_factory=list)
    faces_left: int = 0
    seconds: float = 0.0
    interrupted: bool = False

    def as_dict(self) -> dict:
        return asdict(self)


def _scale_settings(detection: str | None) -> int:
    """The long side a photo was decoded at for detection, from its ``images.detection``."""
    defaults = DetectionSettings()
    found = dict(re.findall(r"(max_side|upsample)=(\d+)", detection or ""))
    max_side = int(found.get("max_side", defaults.max_side))
    return max_side * 2 ** int(found.get("upsample", defaults.upsample))


def estimate_photo(photo: PhotoFaces) -> Estimated:
    """Age and gender of the faces of one stored photo (no database: a worker's job)."""
    import dlib

    try:
        decoded = decode_photo(read_bytes(photo.path), max_side=_scale_settings(photo.detection))
    except PhotoError as exc:
        return Estimated(photo.image_id, photo.path, [], str(exc))
    scale = decoded.scale
    faces: list[tuple[int, face_attributes.FaceAttributes | None, str | None]] = []
    shapes, fit = [], []
    for face_id, box, points, sharpness in zip(
        photo.face_ids, photo.boxes, photo.landmarks, photo.sharpness, strict=True
    ):
        width = (box[2] - box[0]) * scale
        reason = face_attributes.why_no_estimate(width, sharpness)
        if reason is None and points is None:
            reason = "no landmarks"
        if reason is not None:
            faces.append((face_id, None, reason))
            continue
        # the landmarks as ingest found them, in the pixels it found them in
        pixel_points = np.rint(np.asarray(points, np.float64).reshape(5, 2) * scale).astype(int)
        left, top, right, bottom = (round(v * scale) for v in box)
        shapes.append(
            dlib.full_object_detection(
                dlib.rectangle(left, top, right, bottom),
                dlib.points([dlib.point(int(x), int(y)) for x, y in pixel_points]),
            )
        )
        fit.append(face_id)
    if shapes:
        age_chips, gender_chips = face_attributes.attribute_chips(decoded.pixels, shapes)
        models = face_attributes.attribute_models(onnx_threads())
        for face_id, estimate in zip(fit, models.estimate(age_chips, gender_chips), strict=True):
            faces.append((face_id, estimate, None))
    return Estimated(photo.image_id, photo.path, faces)


def _init_worker() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what Ctrl-C means
    os.environ.setdefault("FACEGRAPH_ONNX_THREADS", "1")
    face_attributes.attribute_models(onnx_threads())


def _estimate_in_worker(photos: list[PhotoFaces]) -> list[Estimated]:
    return [estimate_photo(photo) for photo in photos]


def _estimate_all(photos: list[PhotoFaces], workers: int) -> Iterator[Estimated]:
    tasks = [photos[i : i + 8] for i in range(0, len(photos), 8)]
    if workers <= 1 or len(tasks) <= 1:
        for task in tasks:
            yield from _estimate_in_worker(task)
        return
    context = multiprocessing.get_context("spawn")
    pool = context.Pool(min(workers, len(tasks)), _init_worker)
    try:
        for results in pool.imap_unordered(_estimate_in_worker, tasks):
            yield from results
        pool.close()
    finally:
        pool.terminate()
        pool.join()


def estimate_attributes(
    library: str | os.PathLike[str] | None = None,
    *,
    workers: int | None = None,
    progress: bool | None = None,
    on_error: Callable[[str, str], None] | None = None,
    batch_seconds: float = 2.0,
) -> AttributesReport:
    """Estimate age and gender for every stored face that has none yet.

    Resumable: stop it at any time and run it again. Needs the ``attributes`` extra
    (`AttributesUnavailable` says how to install it). Photos that cannot be read are reported
    through `on_error` ``(path, reason)`` and their faces left for a later run.
    """
    started = time.monotonic()
    model = face_attributes.model_version()
    workers = workers or default_workers()
    with lease(resolve_library_path(library), "attributes"):
        with Library.open(library) as lib:
            report = AttributesReport(library=str(lib.path), model=model)
            photos = store.photos_without_attributes(lib.connection)
        bar = tqdm(
            total=sum(len(p.face_ids) for p in photos),
            unit="face",
            desc="attributes",
            disable=(not progress) if progress is not None else None,
            leave=False,
        )
        pending: list[Estimated] = []
        last_commit = time.monotonic()

        def flush() -> None:
            nonlocal last_commit
            if pending:
                with Library.open(library, write=True) as lib, transaction(lib.connection):
                    store.write_attributes(lib.connection, pending, model)
                pending.clear()
            last_commit = time.monotonic()

        results = _estimate_all(photos, workers)
        try:
            for result in results:
                if result.error is not None:
                    report.photo_errors.append((result.path, result.error))
                    if on_error:
                        on_error(result.path, result.error)
                for _, estimate, reason in result.faces:
                    if estimate is not None:
                        report.faces_estimated += 1
                    else:
                        report.faces_skipped[reason] = report.faces_skipped.get(reason, 0) + 1
                pending.append(result)
                if time.monotonic() - last_commit > batch_seconds:
                    flush()
                bar.update(len(result.faces))
        except KeyboardInterrupt:
            report.interrupted = True
        finally:
            results.close()
            bar.close()
            flush()
        with Library.open(library, write=True) as lib:
            report.faces_left = store.faces_without_attributes(lib.connection)
            graph.refresh_existing(lib)  # people's gender and age are node properties
    report.seconds = time.monotonic() - started
    return report
