"""facegraph: faces in photo folders → people → a network of who appears with whom.

The library is first; the `facegraph` command is a thin layer over these functions.
``extract``, ``cluster`` and ``network`` keep the old face-network tool's signatures; the
library's own clustering is ``cluster_people``.

Every public name is imported on first use, so ``import facegraph`` loads no model, database
driver or graph library until a function needs it.
"""

from __future__ import annotations

import importlib
from typing import Any

#: public name → the module that defines it
_EXPORTS = {
    # the whole job, and the old tool's three steps
    "run": "facegraph.pipeline",
    "RunReport": "facegraph.pipeline",
    "extract": "facegraph.legacy",
    "cluster": "facegraph.legacy",
    "network": "facegraph.legacy",
    # the library and its errors
    "Library": "facegraph.library",
    "FacegraphError": "facegraph.errors",
    "LibraryInUseError": "facegraph.errors",
    "LibraryNotFoundError": "facegraph.errors",
    "PersonNotFoundError": "facegraph.errors",
    "QueryError": "facegraph.errors",
    # ingest
    "ingest": "facegraph.ingestion.run",
    "IngestReport": "facegraph.ingestion.run",
    "DetectionSettings": "facegraph.ingestion.settings",
    "analyse_photo": "facegraph.ingestion.analyse",
    "analyse_photos": "facegraph.ingestion.analyse",
    "export_crops": "facegraph.ingestion.crops",
    "stats": "facegraph.ingestion.stats",
    "estimate_attributes": "facegraph.ingestion.attributes",
    "AttributesReport": "facegraph.ingestion.attributes",
    "AttributesUnavailable": "facegraph.errors",
    # people
    "ClusterParams": "facegraph.people.params",
    "ClusterReport": "facegraph.people.runs",
    "cluster_people": "facegraph.people.runs",
    "name_person": "facegraph.people.edits",
    "hide_person": "facegraph.people.edits",
    "merge_people": "facegraph.people.edits",
    "move_faces": "facegraph.people.edits",
    "reject_faces": "facegraph.people.edits",
    "mark_not_a_face": "facegraph.people.edits",
    "undo": "facegraph.people.edits",
    "keep_apart": "facegraph.people.edits",
    "suggest_same_person": "facegraph.people.suggest",
    "suggest_people_for_faces": "facegraph.people.suggest",
    "forget_person": "facegraph.people.edits",
    "list_people": "facegraph.people.read",
    "show_person": "facegraph.people.read",
    "edit_history": "facegraph.people.read",
    "evaluate": "facegraph.people.evaluate",
    "make_mosaics": "facegraph.people.mosaic",
    # who is this: search from a reference photo, known people, identify
    "find_faces": "facegraph.find.search",
    "FindResult": "facegraph.find.search",
    "FindError": "facegraph.errors",
    "accept_faces": "facegraph.people.edits",
    "import_known_people": "facegraph.find.import_known",
    "identify": "facegraph.find.identify",
    # names in and out of the photos' XMP (digiKam, Lightroom...)
    "apply_photo_names": "facegraph.people.photo_names",
    "export_regions": "facegraph.people.region_export",
    "evaluate_from_regions": "facegraph.people.evaluate",
    "RegionWriteError": "facegraph.errors",
    # the graph and the network
    "sync": "facegraph.graph",
    "run_cypher": "facegraph.graph",
    "run_sql": "facegraph.coappearance.queries",
    "run_query": "facegraph.coappearance.queries",
    "list_queries": "facegraph.coappearance.queries",
    "NetworkFilter": "facegraph.coappearance.filters",
    "coappearance_network": "facegraph.coappearance.build",
    "export_network": "facegraph.coappearance.export",
    "plot_figure": "facegraph.coappearance.export",
    "network_stats": "facegraph.coappearance.stats",
    # proof and publishing: the evidence behind a tie, photos together, photos safe to publish
    "evidence_sheet": "facegraph.evidence.sheet",
    "write_evidence": "facegraph.evidence",
    "together": "facegraph.coappearance.timeline",
    "redact_photos": "facegraph.evidence.redact",
    "RedactReport": "facegraph.evidence.redact",
    "manifest": "facegraph.coappearance.manifest",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'facegraph' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
