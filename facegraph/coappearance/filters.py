"""Which part of the co-appearance network to take: one filter object, its defaults written once
here (importing this loads no graph library)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..errors import check_number

WEIGHTS = ("photos", "newman", "jaccard")


@dataclass(frozen=True)
class NetworkFilter:
    """Which part of the network to take. The defaults take all of it."""

    weight: str = "photos"  # which weight becomes the edge's ``weight``
    min_weight: float = 0.0  # drop ties lighter than this
    min_photos: int = 1  # drop people seen in fewer photos (within the dates)
    since: datetime | None = None  # only photos taken at or after (EXIF date)
    until: datetime | None = None  # only photos taken before
    person: int | None = None  # only this person's ego network...
    hops: int = 1  # ...this many ties out
    top: int | None = None  # only the N people seen in most photos
    #: with a minimum weight, people left without a tie are dropped unless this is set
    keep_isolated: bool = False
    #: count every photo; by default near-duplicates (bursts, reposts) are one moment, counted
    #: once in every weight (`ingestion.moments`)
    count_duplicates: bool = False
    #: also tie people seen in one shot of a video but never together in it, with weight 0
    #: (a weaker tie; ``same_shot`` on every tie counts such shots: `build.add_same_shot`)
    same_shot: bool = False
    #: only people estimated to be of this gender ("female"/"male") or within these ages
    #: (`facegraph attributes`); people without an estimate are left out by any of them
    gender: str | None = None
    age_min: float | None = None
    age_max: float | None = None

    def __post_init__(self) -> None:
        if self.weight not in WEIGHTS:
            raise ValueError(f"weight must be one of {WEIGHTS}, not {self.weight!r}")
        if self.gender not in (None, "female", "male"):
            raise ValueError(f"gender must be 'female' or 'male', not {self.gender!r}")
        check_number("min_weight", self.min_weight, 0)
        check_number("min_photos", self.min_photos, 0)
        check_number("hops", self.hops, 0, 10)
        for name in ("top", "age_min", "age_max", "person"):
            if getattr(self, name) is not None:
                check_number(name, getattr(self, name), 0)
