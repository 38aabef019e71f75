"""Work that outlives a request: adding photos (an ingest in a thread, its progress polled)."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class IngestJob:
    folders: list[str]
    running: bool = True
    done: int = 0
    total: int = 0
    errors: list[list[str]] = field(default_factory=list)
    summary: str = ""


class Jobs:
    """At most one ingest at a time (the library takes one writer's ingest anyway)."""

    def __init__(self) -> None:
        self.ingest: IngestJob | None = None
        self._lock = threading.Lock()

    def start_ingest(self, library: Path, folders: list[str]) -> bool:
        """Start adding `folders`; False when an ingest is already running."""
        with self._lock:
            if self.ingest is not None and self.ingest.running:
                return False
            job = self.ingest = IngestJob(folders)
        threading.Thread(target=self._run, args=(library, job), daemon=True).start()
        return True

    def _run(self, library: Path, job: IngestJob) -> None:
        from ..ingestion.run import ingest

        def progress(done: int, total: int) -> None:
            job.done, job.total = done, total

        try:
            report = ingest(
                job.folders,
                library,
                progress=False,
                on_error=lambda path, why: job.errors.append([path, why]),
                on_progress=progress,
            )
            job.summary = (
                f"{report.processed} photos analysed: {report.faces_added} faces,"
                f" {len(report.errors)} failed. Cluster to find the people in them."
            )
        except Exception as exc:  # shown on the page; the library keeps what was committed
            job.summary = f"adding photos stopped: {str(exc).splitlines()[0] if str(exc) else exc}"
        finally:
            job.running = False

    def state(self) -> dict:
        return asdict(self.ingest) if self.ingest else {"running": False}
