"""How faces are grouped into people: one settings object, its defaults written once here."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ParameterError, check_number

#: "consensus" (the default) links two faces where at least two of average linkage (with its
#: late pass), HDBSCAN and Chinese whispers agree; the others are those methods alone, and the
#: old tool's iterative DBSCAN and OPTICS
METHODS: tuple[str, ...] = ("consensus", "ahc", "hdbscan", "chinese_whispers", "dbscan", "optics")


#: (field, lowest, highest): encodings have length 1, so two lie at most 2 apart
_RANGES = (
    ("threshold", 0.05, 1.5),
    ("min_faces", 1, 1000),
    ("attach_nearest", 1, 1000),
    ("attach_slack", 0.0, 0.5),
    ("attach_ratio", 0.01, 1.0),
    ("neighbours", 2, 1000),
    ("min_samples", 1, 1000),
    ("iterations", 1, 1000),
    ("eps_step", 0.0001, 0.5),
    ("max_distance", 0.01, 2.0),
)


@dataclass(frozen=True)
class ClusterParams:
    """How faces are grouped. ``threshold`` is the largest distance that still links two faces."""

    method: str = "consensus"
    threshold: float = 0.50
    #: 1: a good face seen once is a person of its own, so everyone in a group photo is in the
    #: network (faces too small, blurred or turned never start a person: see faces.quality)
    min_faces: int = 1
    #: a face left over by clustering, or new in an incremental run, joins the person whose
    #: `attach_nearest` nearest faces lie within `threshold + attach_slack` of it on average
    attach_nearest: int = 8
    attach_slack: float = 0.02
    #: ... and only if that average is below this share of the next best choice (another
    #: person, or another lone face it may form a new person with)
    attach_ratio: float = 0.9
    #: neighbours examined per face (the graph is a k-nearest-neighbour graph, not all pairs)
    neighbours: int = 15
    # the old tool's iterative DBSCAN
    min_samples: int = 3
    iterations: int = 10
    eps_step: float = 0.01
    #: the largest eps it may reach; None = the threshold
    max_distance: float | None = None

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ParameterError(f"method must be one of {', '.join(METHODS)}, not {self.method!r}")
        # the one place every caller's numbers are checked (CLI, review app, Python API)
        for name, low, high in _RANGES:
            if not (name == "max_distance" and self.max_distance is None):
                check_number(name, getattr(self, name), low, high)
        if self.max_distance is None:
            object.__setattr__(self, "max_distance", self.threshold)
