"""Ingest: scan folders, analyse new and changed photos in worker processes, store the results.

One process writes (this one); workers only read photos and compute. Each batch of photos is
committed in one transaction with all their faces, so a crash, Ctrl-C or ``kill -9`` loses at
most the photos of the batch in flight, and the next run redoes exactly those: a photo is
either stored with all its faces or not at all.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace
from multiprocessing.pool import Pool

import duckdb
from tqdm import tqdm

from .. import graph
from ..errors import SchedulerError
from ..faces.attributes import model_version
from ..library import Library, is_disk_failure, lease, resolve_library_path, transaction
from ..safe_text import printable
from . import moments, store, store_results
from .analyse_video import analyse_items
from .decode import decode_photo, read_bytes
from .records import KnownImage, PhotoResult
from .scan import ScanPlan, hash_file, plan_ingest, walk_photos
from .settings import DetectionSettings
from .video_parts import VideoParts, reading, work_units
from .worker import analyse_in_worker, start_pool


@dataclass
class IngestReport:
    """What an ingest run did."""

    library: str
    scanned: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    moved: int = 0
    vanished: int = 0
    processed: int = 0
    ok: int = 0
    no_faces: int = 0
    faces_added: int = 0
    #: faces of photos analysed again that kept the identity (person, edits) of a stored face
    faces_kept: int = 0
    #: faces given an age and gender estimate (``--attributes``)
    faces_with_attributes: int = 0
    #: photos of the library that share a moment with another (bursts, reposts: `moments`),
    #: each moment counted once in the network's weights
    duplicates: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    interrupted: bool = False
    seconds: float = 0.0

    def as_dict(self) -> dict:
        data = asdict(self)
        data["errors"] = [{"path": p, "error": e} for p, e in self.errors]
        data["error_count"] = len(self.errors)
        return data


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


log = logging.getLogger(__name__)

#: photos a worker analyses at once; their faces are encoded in one batch
PHOTOS_PER_TASK = 4


def _tasks(paths: list[str], workers: int) -> list[list[str]]:
    # small tasks while there are few photos per worker, so every worker has work
    return work_units(paths, min(PHOTOS_PER_TASK, len(paths) // (4 * workers)))


def _analyse_all(
    paths: list[str], settings: DetectionSettings, workers: int, pool: Pool | None
) -> Iterator[PhotoResult]:
    tasks = _tasks(paths, workers)
    try:
        if pool is None or len(tasks) <= 1:
            for task in tasks:
                yield from analyse_items(task, settings)
            return
        for results in pool.imap_unordered(analyse_in_worker, tasks):
            yield from results
    finally:
        if pool is not None:  # done, or stopped: the workers go
            pool.terminate()
            pool.join()


def ingest(
    paths: Iterable[str | os.PathLike[str]],
    library: str | os.PathLike[str] | None = None,
    *,
    settings: DetectionSettings | None = None,
    workers: int | None = None,
    retry_errors: bool = False,
    verify: bool = False,
    force: bool = False,
    redetect: bool = False,
    progress: bool | None = None,
    on_error: Callable[[str, str], None] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    scheduler: str | None = None,
    batch_size: int | None = None,
    batch_seconds: float = 2.0,
) -> IngestReport:
    """Add the photos below `paths` to the library; only new and changed files are analysed.

    A file counts as changed when its size or modification time did; ``verify=True`` also
    compares the content hash of every file that looks unchanged (a photo replaced by another of
    the same size and time), ``force=True`` analyses every file again, ``redetect=True`` those
    analysed with other detection settings (an older detector). A face found again where a
    stored face was keeps its identity: person, name, edits (`same_faces`).

    ``progress=None`` shows a progress bar when stderr is a terminal. `on_error` is called with
    ``(path, reason)`` for each photo that cannot be used; the run goes on. Ctrl-C stops the run
    after storing what is finished (``report.interrupted``); the next run continues from there.
    `on_progress` is called with ``(photos done, photos to do)`` after each photo.
    `scheduler` (``tcp://host:8786``, or ``local``) runs the per-photo work on Dask workers
    (`distributed`); this process still writes, the same way.
    The library is held only while a batch is written, so other commands can read and edit it
    during a long run; a second ingest into the same library is refused.
    """
    started = time.monotonic()
    # commits every 2 s (or of 64 photos): each commit opens and closes the library
    batch_size = batch_size or (256 if scheduler else 64)
    workers = workers or default_workers()
    settings = settings or DetectionSettings()
    # the workers start and load their models while this process checks and scans
    pool = start_pool(settings, workers) if workers > 1 and not scheduler else None
    try:
        settings = settings.resolved()
        # raises one line on how to install the models, before any work
        attributes_model = model_version() if settings.attributes else None
        roots = [os.path.abspath(os.path.expanduser(os.fspath(p))) for p in paths]  # "~/Photos" too
        for root in roots:
            if not os.path.exists(root):
                raise FileNotFoundError(f"no such file or folder: {root}")

        with lease(resolve_library_path(library), "ingest"):
            with Library.open(library, write=True) as lib:
                report = IngestReport(library=str(lib.path))
                detection = settings.describe()
                redo = detection if redetect else None
                plan, known = _plan(
                    lib, roots, report, retry_errors, verify, force, redo, settings.regions
                )
                labels = (attributes_model, reading(settings))
                videos = VideoParts(settings.video_part)
                to_do, ready = videos.plan(
                    [f.path for f in plan.to_process],
                    lambda *stamp: store.video_parts_done(lib.connection, *stamp, labels[1]),
                )
            batches = _Batches(
                library, (detection, *labels), report, on_error, (batch_size, batch_seconds)
            )
            bar = tqdm(
                total=len(plan.to_process),
                unit="photo",
                desc="ingest",
                disable=(not progress) if progress is not None else None,
                leave=False,
            )
            if scheduler:
                results = _analyse_on_dask(to_do, settings, scheduler)
            else:
                results = _analyse_all(to_do, settings, workers, pool)
            try:
                for result in _with_videos(results, videos, ready):
                    outcome = _tally(result, report, known, on_error)
                    if outcome != "keep":
                        batches.add(result)
                    if outcome != "part":
                        bar.update()
                        bar.set_postfix(faces=report.faces_added, errors=len(report.errors),
                                        refresh=False)  # fmt: skip
                        if on_progress:
                            on_progress(report.processed, len(plan.to_process))
            except KeyboardInterrupt:
                report.interrupted = True
            finally:
                results.close()  # stops the worker pool
                bar.close()
                batches.flush()
            _finish(library, report, settings.attributes)
        report.seconds = time.monotonic() - started
        return report
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()


def _analyse_on_dask(
    paths: list[str], settings: DetectionSettings, scheduler: str
) -> Iterator[PhotoResult]:
    try:
        from .distributed import analyse_on_dask
    except ImportError:
        raise SchedulerError(
            "ingest on Dask needs the optional extra: pip install 'facegraph[dask]'"
        ) from None
    return analyse_on_dask(paths, settings, scheduler)


def _tally(
    result: PhotoResult,
    report: IngestReport,
    known: dict[str, KnownImage],
    on_error: Callable[[str, str], None] | None,
) -> str:
    """Count a result in the report: ``part`` (a part of a video or one of its shots: to
    store), ``keep`` (a file that cannot be read now whose readable version is stored: that
    stays) or ``store``."""
    if result.kind in ("shot", "part"):
        report.faces_added += len(result.faces)
        return "part"
    report.processed += 1
    report.warnings += [f"{printable(result.path)}: {note}" for note in result.notes]
    if result.status == "error":
        report.errors.append((result.path, result.error or "unknown error"))
        if on_error:
            on_error(result.path, result.error or "unknown error")
        previous = known.get(result.path)
        return "keep" if previous is not None and previous.status != "error" else "store"
    if result.status == "ok":
        report.ok += 1
        report.faces_added += len(result.faces)
        report.faces_with_attributes += sum(f.attributes is not None for f in result.faces)
    else:
        report.no_faces += 1
    return "store"


class _Batches:
    """Results waiting to be written, each batch in one transaction (`_store`): every
    `seconds`, or once `size` wait; a video's shots always with the part they are from."""

    def __init__(self, library, labels, report: IngestReport, on_error, every) -> None:
        self.library, self.labels, self.report, self.on_error = library, labels, report, on_error
        self.size, self.seconds = every  # results, seconds
        self.pending: list[PhotoResult] = []
        self.last = time.monotonic()

    def add(self, result: PhotoResult) -> None:
        self.pending.append(result)
        if result.kind == "shot":  # its part follows
            return
        if len(self.pending) >= self.size or time.monotonic() - self.last > self.seconds:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            # the library is held only while a batch is written
            with Library.open(self.library, write=True) as lib:
                _store(lib.connection, self.pending, self.labels, self.report, self.on_error)
            self.pending.clear()
        self.last = time.monotonic()


def _finish(library, report: IngestReport, attributes: bool) -> None:
    """After the photos: moments grouped again, the log written into the database file, the
    graph brought in step."""
    with Library.open(library, write=True) as lib:
        changed = report.processed or report.moved or report.vanished
        with transaction(lib.connection):
            if changed or store.photos_without_moment(lib.connection):
                regroup_moments(lib.connection)
        report.duplicates = int(store.moment_counts(lib.connection)[0])
        lib.checkpoint()
        graph.refresh_existing(lib)
        if attributes:
            missing = store.faces_without_attributes(lib.connection)
            if missing:
                report.warnings.append(
                    f"{missing} faces stored before have no age and gender yet;"
                    " run `facegraph attributes` to estimate them"
                )


def _with_videos(
    results: Iterator[PhotoResult], videos: VideoParts, ready: list[PhotoResult]
) -> Iterator[PhotoResult]:
    """The workers' results, each video's row after its last part."""
    yield from ready
    for result in results:
        yield result
        if result.kind == "part" and (video := videos.part_done(result)) is not None:
            yield video


def _plan(
    lib: Library,
    roots: list[str],
    report: IngestReport,
    retry_errors: bool,
    verify: bool,
    force: bool,
    redetect: str | None,
    sidecars: bool = True,
) -> tuple[ScanPlan, dict[str, KnownImage]]:
    """Scan the folders, compare with the library and record moves and vanished photos."""
    con = lib.connection
    scanned = walk_photos(roots, skip=[lib.path], warnings=report.warnings)
    known = store.known_images(con)
    plan = plan_ingest(
        scanned, known, roots, hash_file, retry_errors, verify, force, redetect, sidecars
    )
    report.scanned, report.new, report.changed = len(scanned), plan.new, plan.changed
    report.unchanged, report.moved, report.vanished = (
        plan.unchanged,
        len(plan.moves),
        len(plan.vanished),
    )
    with transaction(con):
        store.record_moves(con, plan.moves)
        store.record_touched(con, plan.touched)
        store.set_missing(con, plan.reappeared, missing=False)
        store.set_missing(con, plan.vanished, missing=True)
    return plan, known


def _store(
    con: duckdb.DuckDBPyConnection,
    results: list[PhotoResult],
    labels: tuple[str, str | None, str],
    report: IngestReport,
    on_error: Callable[[str, str], None] | None,
) -> None:
    """Write a batch in one transaction; if that fails, photo by photo, so one photo the
    database refuses is reported (and stored as an error where it can be) and the rest land."""
    try:
        report.faces_kept += store_results.write_results(con, results, *labels)
        return
    except Exception as exc:
        if is_disk_failure(exc):
            raise  # a full or failing disk: stop here, the next run redoes this batch
        log.warning("a batch of %d photos could not be stored (%s)", len(results), exc)
    for result in results:
        try:
            report.faces_kept += store_results.write_results(con, [result], *labels)
            continue
        except Exception as exc:
            reason = f"could not be stored: {str(exc).strip().splitlines()[0]}"
        report.errors.append((result.path, reason))
        if on_error:
            on_error(result.path, reason)
        failed = replace(result, status="error", error=reason, faces=[])
        with contextlib.suppress(Exception):
            store_results.write_results(con, [failed], *labels)


def regroup_moments(con: duckdb.DuckDBPyConnection) -> None:
    """Group the library's photos into moments (`moments`), hashing first the photos stored
    before hashes were kept."""
    rows = store.moment_inputs(con)
    side = DetectionSettings().max_side * 2 ** DetectionSettings().upsample  # as ingest decodes
    missing = []
    for image_id, path, digest, *_ in rows:
        if digest is None:
            with contextlib.suppress(Exception):  # gone or unreadable: a moment of its own
                pixels = decode_photo(read_bytes(path), max_side=side).pixels
                missing.append((image_id, moments.photo_hash(pixels)))
    store.set_photo_hashes(con, missing)
    found = dict(missing)
    ids, _, hashes, taken, cameras, shapes = zip(*rows, strict=True) if rows else ([],) * 6
    hashes = [found.get(i, h) for i, h in zip(ids, hashes, strict=True)]
    grouped = moments.group_moments(ids, hashes, taken, cameras, shapes)
    store.set_moments(con, grouped)
