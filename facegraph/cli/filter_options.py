"""The options that choose people and part of the network: ``--weight``, ``--min-weight``,
dates, ego networks, and the estimated ``--gender``/``--age-min``/``--age-max``. Defaults are
read from `NetworkFilter`."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

from ..coappearance.filters import WEIGHTS, NetworkFilter
from .options import Decorator, FiniteFloat, _apply, _defaults


def _attribute_options() -> list[Decorator]:
    return [
        click.option(
            "--gender",
            type=click.Choice(["female", "male"]),
            default=None,
            help="Only people estimated to be of this gender (see `facegraph attributes`).",
        ),
        click.option(
            "--age-min",
            type=FiniteFloat(0),
            default=None,
            help="Only people this old or older.",
        ),
        click.option(
            "--age-max",
            type=FiniteFloat(0),
            default=None,
            help="Only people this old or younger.",
        ),
    ]


def attribute_filter_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--gender``, ``--age-min``, ``--age-max``: people by their estimated attributes."""
    return _apply(command, _attribute_options())


def network_filter_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The subgraph and weight flags, handed to the command as one ``filters`` argument."""
    default = _defaults(NetworkFilter)
    names = tuple(default)

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        fields = {name: kwargs.pop(name) for name in names}
        return command(*args, filters=NetworkFilter(**fields), **kwargs)

    date = click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"])
    return _apply(
        wrapper,
        [
            click.option(
                "--weight",
                type=click.Choice(WEIGHTS),
                default=default["weight"],
                show_default=True,
                help="Edge weight: shared photos, Newman's 1/(n-1) per photo, or Jaccard.",
            ),
            click.option(
                "--min-weight",
                type=FiniteFloat(),
                default=default["min_weight"],
                help="Drop lighter ties.",
            ),
            click.option(
                "--min-photos",
                type=click.IntRange(1),
                default=default["min_photos"],
                help="Drop people seen in fewer photos.",
            ),
            click.option(
                "--since",
                type=date,
                default=default["since"],
                help="Only photos taken on or after this date (EXIF).",
            ),
            click.option(
                "--until",
                type=date,
                default=default["until"],
                help="Only photos taken before this date (EXIF).",
            ),
            click.option(
                "--person",
                type=int,
                default=default["person"],
                help="Only this person's ego network.",
            ),
            click.option(
                "--hops",
                type=click.IntRange(1),
                default=default["hops"],
                show_default=True,
                help="How many ties out from --person.",
            ),
            click.option(
                "--top",
                type=click.IntRange(1),
                default=default["top"],
                help="Only the N people seen in most photos.",
            ),
            click.option(
                "--keep-isolated",
                is_flag=True,
                default=default["keep_isolated"],
                help="Keep people --min-weight leaves without a tie.",
            ),
            click.option(
                "--count-duplicates",
                is_flag=True,
                default=default["count_duplicates"],
                help="Count every photo in the weights; by default near-duplicates (a burst,"
                " a photo posted again resized) are one moment, counted once.",
            ),
            click.option(
                "--same-shot",
                is_flag=True,
                default=default["same_shot"],
                help="Also tie people seen in one shot of a video but never together in it"
                " (a weaker tie, of weight 0).",
            ),
            *_attribute_options(),
        ],
    )
