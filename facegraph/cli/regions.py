"""`facegraph export regions`: the people's faces into the photos' XMP."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

from .options import printable, report


def region_export_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options of `export regions`, handed to the command as one ``regions`` dict."""

    @click.option(
        "--people",
        "people_ids",
        type=int,
        multiple=True,
        help="regions: only this person (repeat for several) [default: every person shown].",
    )
    @click.option("--named-only", is_flag=True, help="regions: only people with a name.")
    @click.option(
        "--embed",
        is_flag=True,
        help="regions: write into the photos themselves (atomically, the image untouched) "
        "instead of sidecars.",
    )
    @click.option(
        "--dry-run", is_flag=True, help="regions: say what would be written; write nothing."
    )
    @functools.wraps(command)
    def wrapper(*args, people_ids, named_only, embed, dry_run, **kwargs):
        regions = {
            "people": list(people_ids) or None,
            "named_only": named_only,
            "embed": embed,
            "dry_run": dry_run,
        }
        return command(*args, regions=regions, **kwargs)

    return wrapper


def export_regions_command(library, regions: dict, as_json: bool) -> None:
    from ..people.region_export import export_regions

    result = export_regions(library, **regions)
    if not as_json:
        for line in result.failed:
            click.echo(f"error: {printable(line)}", err=True)
        if result.dry_run:
            for path in result.files:
                click.echo(printable(path))
    report(as_json, result.as_dict(), result.summary())
