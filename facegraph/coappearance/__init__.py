"""The co-appearance network: named queries, weights and filters, statistics and exports.

It reads the graph projection (`facegraph.graph`) and the library; `queries` runs SQL and the
named queries shipped in ``queries/``, `coappearance` builds the networkx graph, `stats`
measures it and `export` writes it.
"""
