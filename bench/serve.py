"""`facegraph serve` at archive size: server time of the pages on the synthetic library of
bench/graph.py (5,000 people, about 150,000 faces), in one run.

    python bench/serve.py [--photos 100000] [--people 5000]

Every face gets a random encoding (so representative faces are computed as for real). Prints the
server time (best of 5, Starlette's test client, no network) of:

- ``/people`` (first page, 60 people) against the baseline of listing everyone with a
  representative face (`list_people`, what `facegraph people list` does), and the targets;
- ``/people/ID`` for the person whose face count is nearest 2,000.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from graph import write_library  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from facegraph.library import Library  # noqa: E402
from facegraph.people.read import list_people  # noqa: E402
from facegraph.web.app import create_app  # noqa: E402

TARGET_MS = 300


def best_ms(function, repeat: int = 5) -> float:
    function()  # warm up (first queries, templates)
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - started)
    return best * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=5_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        library = Path(tmp) / "library"
        faces = write_library(library, args.photos, args.people)
        with Library.open(library, write=True) as lib:
            lib.connection.execute(
                "UPDATE faces SET encoding = list_transform(range(128),"
                " lambda x: (random() - 0.5)::FLOAT)::FLOAT[128], crop_jpeg = ''::BLOB"
            )
            lib.checkpoint()  # as every ingest and clustering run leaves a library
            person, count = lib.connection.execute(
                "SELECT person_id, count(*) n FROM faces GROUP BY ALL"
                " ORDER BY abs(n - 2000) LIMIT 1"
            ).fetchall()[0]
        print(f"{args.people} people, {faces} faces; person {person} has {count} faces")
        client = TestClient(create_app(library))

        def page(path: str):
            def get() -> None:
                answer = client.get(path)
                assert answer.status_code == 200, (path, answer.text[:200])

            return get

        baseline = best_ms(lambda: list_people(library), repeat=2)
        grid = best_ms(page("/people"))
        second = best_ms(page("/people?page=40"))
        person_page = best_ms(page(f"/people/{person}"))
        print(f"{'':34}{'ms':>8}")
        print(f"{'list everyone (baseline)':34}{baseline:8.0f}")
        print(f"{'/people, first page':34}{grid:8.0f}   {baseline / grid:5.1f}x faster"
              f"  (target <= {TARGET_MS} ms)")  # fmt: skip
        print(f"{'/people, page 40':34}{second:8.0f}")
        print(f"{f'/people/{person} ({count} faces)':34}{person_page:8.0f}"
              f"   (target <= {TARGET_MS} ms)")  # fmt: skip


if __name__ == "__main__":
    main()
