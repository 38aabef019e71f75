"""What to show of an item of the library: a photo upright, or a shot of a video as its frame.

An item's picture is named by an address (`store.picture_addresses`): the photo's file, or for
a shot ``VIDEO#t=SECOND``, the video at the second of its frame that shows the shot.
"""

from __future__ import annotations

from PIL import Image, ImageOps

from ..errors import PhotoError
from .video import frame_at, is_video_path, parse_part


def open_picture(address: str, side: int) -> Image.Image | None:
    """The picture at `address`, upright RGB, fitting `side` x `side` pixels; None when it
    cannot be read (moved, damaged): callers show the item without a picture."""
    video, seconds, _ = parse_part(address)
    if video != address and is_video_path(video):
        try:
            return Image.fromarray(frame_at(video, seconds, side))
        except (PhotoError, OSError):
            return None
    try:
        with Image.open(address) as image:
            image.draft("RGB", (side * 2, side * 2))
            upright = ImageOps.exif_transpose(image).convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    upright.thumbnail((side, side))
    return upright
