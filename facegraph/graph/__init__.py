"""The graph projection: ``Person`` and ``Image`` nodes joined by ``APPEARS_IN`` edges.

DuckDB is the source of truth; the graph (Kùzu, or its maintained fork ladybug: same API and
Cypher, another file format) is built from the views ``network_people``, ``network_photos`` and
``appearances`` and can always be rebuilt. `sync` compares what DuckDB says the graph should
hold with what it holds and applies the difference; when most of it changed, a rebuild into a
new file is faster and replaces the old one in one rename. A fingerprint of the source rows,
stored in the graph, makes "nothing changed" a single aggregate query.

Many processes may read one library at once (the CLI, scripts, the review app). A lock file
beside the graph (``graph.lock``) lets any number of readers in together and one writer alone;
readers check freshness read-only and take the writer's lock only when the graph must change.
A build goes into a file of its own and appears in one rename. After every write a checksum
of the file is stored beside it (``graph.kuzu.sum``): a graph damaged on disk (which the engine
may crash on) or left by an older facegraph is rebuilt before anyone opens it.

This package is the only code that speaks Cypher to the engine (named user queries aside):
`files` (paths, lock, checksum), `engine` (an open database, the schema), `update` (fingerprint,
diff, rebuild), `query` (reading).
"""

from .engine import SCHEMA, Graph
from .files import (
    existing_engines,
    graph_lock,
    graph_path,
    is_intact,
    remove_graph,
    resolve_engine,
    write_checksum,
)
from .query import open_graph, run_cypher
from .update import (
    PROJECTION_VERSION,
    SyncReport,
    refresh_existing,
    source_fingerprint,
    sync,
    sync_library,
)

__all__ = [
    "PROJECTION_VERSION",
    "SCHEMA",
    "Graph",
    "SyncReport",
    "existing_engines",
    "graph_lock",
    "graph_path",
    "is_intact",
    "open_graph",
    "refresh_existing",
    "remove_graph",
    "resolve_engine",
    "run_cypher",
    "source_fingerprint",
    "sync",
    "sync_library",
    "write_checksum",
]
