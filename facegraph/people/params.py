"""How faces are grouped into people: one settings object, its defaults written once here."""

from __future__ import annotations

from dataclasses import dataclass

METHODS: tuple[str, ...] = ("chinese_whispers", "dbscan", "optics", "ahc", "hdbscan")


@dataclass(frozen=True)
class ClusterParams:
    """How faces are grouped. ``threshold`` is the largest distance that still links two faces."""

    method: str = "ahc"
    threshold: float = 0.51
    min_faces: int = 2
    #: a face left over by clustering, or new in an incremental run, joins the person whose
    #: `attach_nearest` nearest faces lie within `threshold + attach_slack` of it on average
    attach_nearest: int = 8
    attach_slack: float = 0.02
    #: neighbours examined per face (the graph is a k-nearest-neighbour graph, not all pairs)
    neighbours: int = 30
    # the old tool's iterative DBSCAN
    min_samples: int = 3
    iterations: int = 10
    eps_step: float = 0.01
    #: the largest eps it may reach; None = the threshold
    max_distance: float | None = None

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, not {self.method!r}")
        if self.max_distance is None:
            object.__setattr__(self, "max_distance", self.threshold)
