"""facegraph: faces in photo folders → people → a network of who appears with whom.

The library is first; the `facegraph` command is a thin layer over these functions.
``extract``, ``cluster`` and ``network`` keep the old face-network tool's signatures.
"""

from .analysis import DetectionSettings, analyse_photo, analyse_photos
from .coappearance import NetworkFilter, coappearance_network
from .compat import cluster, extract, network
from .crops import export_crops
from .errors import FacegraphError, LibraryInUseError, LibraryNotFoundError
from .graph import run_cypher, sync
from .ingest import IngestReport, ingest
from .library import Library
from .pipeline import run
from .querying import list_queries, run_query, run_sql
from .reports import export_network, network_stats
from .summary import stats

__all__ = [
    "DetectionSettings",
    "FacegraphError",
    "IngestReport",
    "Library",
    "LibraryInUseError",
    "LibraryNotFoundError",
    "NetworkFilter",
    "analyse_photo",
    "analyse_photos",
    "cluster",
    "coappearance_network",
    "export_crops",
    "export_network",
    "extract",
    "ingest",
    "list_queries",
    "network",
    "network_stats",
    "run",
    "run_cypher",
    "run_query",
    "run_sql",
    "stats",
    "sync",
]
