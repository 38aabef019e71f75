"""The old face-network functions, done by facegraph: change the import and carry on.

    from face_network import extract, cluster, network      # before
    from facegraph import extract, cluster, network         # after

As before, results go to ``<source_dir>/Face Network/`` (here: a facegraph library, which the
photo scan skips). What comes back differs: reports and a networkx graph, no pandas frames.
"""

from __future__ import annotations

import os
from pathlib import Path

import networkx as nx

from .coappearance.build import coappearance_network
from .coappearance.export import export_network
from .errors import FacegraphError
from .ingestion.run import IngestReport, ingest
from .ingestion.settings import DetectionSettings
from .people.mosaic import make_mosaics
from .people.params import ClusterParams
from .people.runs import ClusterReport, cluster_people

OUTPUT_FOLDER = "Face Network"
#: the old tool's algorithm names → facegraph's methods, with the old default thresholds
_ALGORITHMS = {
    "DBSCAN": ("dbscan", 0.44),
    "OPTICS": ("optics", 0.5),
    "AHC": ("ahc", 0.5),
    "CHINESE_WHISPERS": ("chinese_whispers", 0.55),
}


def seed_library(source_dir: str | os.PathLike[str]) -> Path:
    """Where the old functions keep their results for `source_dir`."""
    return Path(source_dir).absolute() / OUTPUT_FOLDER


def extract(
    source_dir: str | os.PathLike[str], age_gender: bool = False, exif: bool = False
) -> IngestReport:
    """Find, encode and crop every face in the photos below `source_dir` (EXIF is always read).
    Runs again only on new or changed photos. ``age_gender=True`` also estimates age and gender
    (the ``attributes`` extra, offline, instead of the old tool's downloaded model)."""
    settings = DetectionSettings(attributes=age_gender)
    return ingest([source_dir], seed_library(source_dir), settings=settings)


def cluster(
    source_dir: str | os.PathLike[str],
    algorithm: str = "DBSCAN",
    initial_eps: float | None = None,
    iterations: int = 1,
    max_distance: float = 50,
    mosaic: bool = True,
    plot: bool = False,
) -> ClusterReport:
    """Group the extracted faces into people with the old tool's algorithms ('DBSCAN',
    'OPTICS', 'AHC', 'chinese_whispers'); `max_distance` is in hundredths, as before. Every call
    re-clusters all faces; people keep their IDs and names. `mosaic` writes one tile image per
    person to ``Face Network/Clusters/``. `plot` is accepted and ignored."""
    key = algorithm.upper()
    if key not in _ALGORITHMS:
        raise FacegraphError(
            f"unknown algorithm {algorithm!r}; use DBSCAN, OPTICS, AHC or chinese_whispers"
        )
    method, default_threshold = _ALGORITHMS[key]
    params = ClusterParams(
        method=method,
        threshold=default_threshold if initial_eps is None else initial_eps,
        iterations=iterations,
        max_distance=max_distance / 100,
    )
    library = seed_library(source_dir)
    report = cluster_people(library, params, full=True)
    if mosaic:
        make_mosaics(library, library / "Clusters")
    return report


def network(source_dir: str | os.PathLike[str], scale: float = 10) -> nx.Graph:
    """Write the co-appearance network page to ``Face Network/Data/Image_Network.html`` and
    return the network (people are nodes, edge ``weight`` = shared photos). `scale` is accepted
    for the old signature; the page sizes faces to the screen itself."""
    library = seed_library(source_dir)
    page = library / "Data" / "Image_Network.html"
    export_network(library, "html", page)
    return coappearance_network(library)
