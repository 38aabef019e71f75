"""facegraph: faces in photo folders → people → a network of who appears with whom.

The library is first; the `facegraph` command is a thin layer over these functions.
"""

from .analysis import DetectionSettings, analyse_photo
from .crops import export_crops
from .errors import FacegraphError, LibraryInUseError, LibraryNotFoundError
from .ingest import IngestReport, ingest
from .library import Library
from .summary import stats

__all__ = [
    "DetectionSettings",
    "FacegraphError",
    "IngestReport",
    "Library",
    "LibraryInUseError",
    "LibraryNotFoundError",
    "analyse_photo",
    "export_crops",
    "ingest",
    "stats",
]
