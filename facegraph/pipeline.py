"""The whole job in one call: photos → faces → people → graph → an HTML network page."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import graph
from .coappearance.export import export_network
from .ingestion.run import IngestReport, ingest
from .ingestion.settings import DetectionSettings
from .library import resolve_library_path
from .people.params import ClusterParams
from .people.read import faces_without_person
from .people.runs import ClusterReport, cluster_people

PAGE = "network.html"


@dataclass
class RunReport:
    ingest: IngestReport
    cluster: ClusterReport
    sync: graph.SyncReport
    page: str
    #: faces with no person, by why ("too small, blurred or turned", ...)
    faces_without_person: dict[str, int]

    def as_dict(self) -> dict:
        return {
            "ingest": self.ingest.as_dict(),
            "cluster": self.cluster.as_dict(),
            "sync": self.sync.as_dict(),
            "page": self.page,
            "faces_without_person": self.faces_without_person,
        }


def run(
    photo_dirs: list[str | os.PathLike[str]],
    library: str | os.PathLike[str] | None = None,
    *,
    out: str | os.PathLike[str] | None = None,
    settings: DetectionSettings | None = None,
    params: ClusterParams | None = None,
    engine: str | None = None,
    progress: bool | None = None,
    on_error: Callable[[str, str], None] | None = None,
) -> RunReport:
    """Ingest the photos, cluster the new faces, sync the graph and write the network page
    (``<library>/network.html`` unless `out` says otherwise). Run it again after adding photos:
    only the new ones are analysed and the people found so far keep their IDs and names."""
    ingested = ingest(photo_dirs, library, settings=settings, progress=progress, on_error=on_error)
    if ingested.interrupted:
        raise KeyboardInterrupt
    clustered = cluster_people(library, params)
    synced = graph.sync(library, engine)
    page = Path(out) if out else resolve_library_path(library) / PAGE
    export_network(library, "html", page, engine=engine)
    missing = faces_without_person(library)
    return RunReport(ingested, clustered, synced, str(page.absolute()), missing)
