"""The network page at scale: a synthetic library of 5,000 people (bench/graph.py's generator),
exported as facegraph's page and, as the baseline in the same run, as the page pyvis writes
by default for the same people and ties (live physics, as the old tool's page). Each is opened
in Debian's Chromium at 1400x1000: seconds until the page is drawn and responds (facegraph:
its script ready; pyvis: vis-network's physics stabilised, capped), and facegraph's response
to a search and to the weight slider.

    python bench/page.py [--people 5000] [--photos 15000]
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

from facegraph.coappearance.build import coappearance_network  # noqa: E402
from facegraph.coappearance.export import export_network  # noqa: E402

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
PYVIS_CAP = 60.0


def pyvis_page(network, out: Path) -> None:
    from pyvis.network import Network

    page = Network(height="100vh", width="100%", cdn_resources="in_line")
    for node, data in network.nodes(data=True):
        page.add_node(node, label=data["label"], size=10 + data["photos"] ** 0.5)
    for a, b, data in network.edges(data=True):
        page.edges.append({"from": a, "to": b, "value": data["weight"]})
    out.write_text(page.generate_html(), "utf-8")


def open_and_time(browser, page: Path, ready: str, timeout: float) -> float:
    tab = browser.new_page(viewport={"width": 1400, "height": 1000})
    started = time.perf_counter()
    try:
        tab.goto(page.as_uri(), wait_until="load", timeout=timeout * 1000)
        tab.wait_for_function(ready, timeout=timeout * 1000, polling=50)
        return time.perf_counter() - started
    except Exception:  # noqa: BLE001 - a page that never gets ready is measured by the cap
        return timeout
    finally:
        tab.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--photos", type=int, default=15000)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as scratch:
        library = Path(scratch) / "library"
        write_library(library, args.photos, args.people)
        network = coappearance_network(library)
        ours, theirs = Path(scratch) / "facegraph.html", Path(scratch) / "pyvis.html"
        started = time.perf_counter()
        export_network(library, "html", ours)
        export_seconds = time.perf_counter() - started
        pyvis_page(network, theirs)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
            )
            ours_open = open_and_time(browser, ours, "window.facegraph !== undefined", 30)
            tab = browser.new_page(viewport={"width": 1400, "height": 1000})
            tab.goto(ours.as_uri())
            tab.wait_for_function("window.facegraph !== undefined")
            search = tab.evaluate(
                """() => { const t = performance.now();
                window.facegraph.centreOn(window.facegraph.data.people[0].id);
                return (performance.now() - t) / 1000; }"""
            )
            opening_weight = tab.evaluate("() => window.facegraph.state.minWeight")
            slider = tab.evaluate(
                """() => { const f = window.facegraph, t = performance.now();
                f.state.minWeight = f.state.minWeight + 1; f.applyFilters(); f.network.redraw();
                return (performance.now() - t) / 1000; }"""
            )
            every_tie = tab.evaluate(
                """() => { const f = window.facegraph, t = performance.now();
                f.state.minWeight = 0; f.applyFilters(); f.network.redraw();
                return (performance.now() - t) / 1000; }"""
            )
            theirs_open = open_and_time(
                browser,
                theirs,
                "typeof network !== 'undefined' && network.physics && network.physics.stabilized",
                PYVIS_CAP,
            )
            browser.close()
        size = ours.stat().st_size / 1e6
        print(f"{network.number_of_nodes()} people, {network.number_of_edges()} ties")
        print(f"facegraph's page opens on the ties of weight {opening_weight} and more")
        print("| page | file | export | opens in Chromium | search | slider up one | all ties |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        print(
            f"| facegraph (layout precomputed, physics off) | {size:.1f} MB |"
            f" {export_seconds:.1f} s | {ours_open:.2f} s | {search:.2f} s | {slider:.2f} s |"
            f" {every_tie:.2f} s |"
        )
        capped = " (capped: not stabilised)" if theirs_open >= PYVIS_CAP else ""
        print(
            f"| pyvis default (live physics) | {theirs.stat().st_size / 1e6:.1f} MB | |"
            f" {theirs_open:.1f} s{capped} | | | |"
        )
        print(f"facegraph's page is ready {theirs_open / ours_open:.0f}x sooner")


if __name__ == "__main__":
    main()
