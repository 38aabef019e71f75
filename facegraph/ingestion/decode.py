"""Decoding photos: EXIF orientation and fields, fast reduced decoding, face crops.

Every failure to read a photo becomes a `PhotoError` whose message is one line a user can act
on; nothing here swallows a corrupt file (no ``LOAD_TRUNCATED_IMAGES``).
"""

from __future__ import annotations

import errno
import io
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from ..errors import PhotoError
from .settings import DEFAULT_MAX_PIXELS

try:  # HEIC/HEIF where the optional pillow-heif is installed
    from pillow_heif import register_heif_opener

    register_heif_opener()
    HEIF_SUPPORTED = True
except ImportError:  # pragma: no cover - depends on the environment
    HEIF_SUPPORTED = False

PHOTO_EXTENSIONS: frozenset[str] = frozenset(
    {".jpg", ".jpeg", ".jpe", ".png", ".webp", ".tif", ".tiff", ".bmp"}
    | ({".heic", ".heif"} if HEIF_SUPPORTED else set())
)

_EXIF_IFD = 0x8769
_TAG_ORIENTATION = 0x0112
_TAG_MAKE = 0x010F
_TAG_MODEL = 0x0110
_TAG_DATETIME = 0x0132
_TAG_DATETIME_ORIGINAL = 0x9003
_TAG_DATETIME_DIGITIZED = 0x9004
_SIXTEEN_BIT_MODES = {"I", "I;16", "I;16B", "I;16L", "I;16N", "F"}


@dataclass
class PhotoInfo:
    """What a photo's header says, in the orientation a viewer shows it."""

    width: int
    height: int
    orientation: int
    taken_at: datetime | None
    camera_make: str | None
    camera_model: str | None


@dataclass
class DecodedPhoto:
    info: PhotoInfo
    #: RGB uint8 pixels, upright, at most the requested long side (never enlarged)
    pixels: np.ndarray
    #: what the decoder warned of (damaged EXIF...), one line each, for the ingest's report
    notes: list[str] = field(default_factory=list)

    @property
    def scale(self) -> float:
        """Size of `pixels` relative to the original (upright) photo."""
        return self.pixels.shape[1] / self.info.width


def is_photo_path(path: str) -> bool:
    name = os.path.basename(path)
    return not name.startswith(".") and os.path.splitext(name)[1].lower() in PHOTO_EXTENSIONS


def read_bytes(path: str) -> bytes:
    """The file's bytes, or a PhotoError saying in plain words why not."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        reason = "broken symlink" if os.path.islink(path) else "file vanished"
        raise PhotoError(reason) from None
    except PermissionError:
        raise PhotoError("permission denied") from None
    except IsADirectoryError:
        raise PhotoError("is a directory") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise PhotoError("symlink loop") from None
        raise PhotoError(f"cannot read file: {exc.strerror or exc}") from None
    if not data:
        raise PhotoError("empty file (0 bytes)")
    return data


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    text = str(value).replace("\x00", "").strip()
    return text or None


def _exif_datetime(value: object) -> datetime | None:
    text = _text(value)
    if not text:
        return None
    for fmt in ("%Y:%m:%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y:%m:%d %H:%M", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.strptime(text[:19], fmt)
        except ValueError:
            continue
    return None


def _read_info(image: Image.Image) -> PhotoInfo:
    try:
        exif = image.getexif()
        sub = exif.get_ifd(_EXIF_IFD)
    except Exception:  # a broken EXIF block must not cost the photo
        exif, sub = {}, {}
    orientation = exif.get(_TAG_ORIENTATION, 1)
    if not isinstance(orientation, int) or not 1 <= orientation <= 8:
        orientation = 1
    taken = (
        _exif_datetime(sub.get(_TAG_DATETIME_ORIGINAL))
        or _exif_datetime(sub.get(_TAG_DATETIME_DIGITIZED))
        or _exif_datetime(exif.get(_TAG_DATETIME))
    )
    width, height = image.size
    if orientation in (5, 6, 7, 8):  # rotated by 90 degrees: the viewer sees it transposed
        width, height = height, width
    return PhotoInfo(
        width=width,
        height=height,
        orientation=orientation,
        taken_at=taken,
        camera_make=_text(exif.get(_TAG_MAKE)),
        camera_model=_text(exif.get(_TAG_MODEL)),
    )


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode == "RGB":
        return image
    if image.mode in _SIXTEEN_BIT_MODES:
        # Pillow's convert() clips 16-bit values at 255; scale the range down instead
        values = np.asarray(image, dtype=np.float64)
        top = float(values.max()) if values.size else 0.0
        if top > 255:
            values = values * (255.0 / (65535.0 if top <= 65535 else top))
        image = Image.fromarray(np.clip(values, 0, 255).astype(np.uint8), "L")
    elif image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        image = image.convert("RGBA")
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, image)
    return image.convert("RGB")


@contextmanager
def _strict_decoding() -> Iterator[None]:
    """Report truncated files even where another library (face_recognition does, on import)
    has set Pillow's global ``LOAD_TRUNCATED_IMAGES``."""
    previous = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = previous


def decode_photo(
    data: bytes, max_side: int | None = None, max_pixels: int = DEFAULT_MAX_PIXELS
) -> DecodedPhoto:
    """Decode a photo upright (EXIF orientation applied) as RGB, long side at most `max_side`.

    JPEGs are decoded at reduced size by the codec itself (Pillow's ``draft``), which is much
    faster than decoding the full photo and shrinking it. What Pillow warns of (damaged EXIF)
    becomes the photo's `notes`, never lines on the terminal.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        decoded = _decode(data, max_side, max_pixels)
    decoded.notes = _notes(caught)
    return decoded


def _notes(caught: list[warnings.WarningMessage]) -> list[str]:
    notes: list[str] = []
    for item in caught:
        if issubclass(item.category, Image.DecompressionBombWarning):
            continue  # the pixel limit is checked on purpose, with its own message
        text = " ".join(str(item.message).split())[:200]
        if "exif" in text.lower():
            text = f"damaged EXIF data ({text}); its date and orientation may be missing"
        else:
            text = f"the image decoder warned: {text}"
        if text not in notes:
            notes.append(text)
    return notes


def _decode(data: bytes, max_side: int | None, max_pixels: int) -> DecodedPhoto:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
        width, height = image.size
        if width < 1 or height < 1:
            raise PhotoError(f"invalid image size {width}x{height}")
        if width * height > max_pixels:
            raise PhotoError(
                f"image too large: {width}x{height} pixels exceeds the limit of "
                f"{max_pixels / 1e6:.0f} megapixels (possible decompression bomb)"
            )
        info = _read_info(image)
        if max_side and max(width, height) > max_side:
            factor = max_side / max(width, height)
            image.draft("RGB", (max(1, int(width * factor)), max(1, int(height * factor))))
        with warnings.catch_warnings(), _strict_decoding():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image.load()
        image = ImageOps.exif_transpose(image) if info.orientation != 1 else image
        image = _to_rgb(image)
        if max_side and max(image.size) > max_side:
            factor = max_side / max(image.size)
            size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
            image = image.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
        return DecodedPhoto(info=info, pixels=np.asarray(image))
    except PhotoError:
        raise
    except UnidentifiedImageError:
        raise PhotoError("not an image (format not recognised)") from None
    except Image.DecompressionBombError as exc:
        raise PhotoError(f"image too large: {exc}") from None
    except (OSError, SyntaxError, ValueError, EOFError, TypeError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "truncated" in message.lower():
            raise PhotoError(f"truncated or corrupt image ({message})") from None
        raise PhotoError(f"corrupt image ({message})") from None
    except MemoryError:
        raise PhotoError("out of memory while decoding") from None


def resize_long_side(pixels: np.ndarray, long_side: int) -> np.ndarray:
    """`pixels` scaled (up or down) so its long side is `long_side`."""
    height, width = pixels.shape[:2]
    if max(height, width) == long_side:
        return pixels
    factor = long_side / max(height, width)
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    return np.asarray(Image.fromarray(pixels).resize(size, Image.Resampling.BILINEAR))


def crop_jpeg(
    pixels: np.ndarray,
    box: tuple[int, int, int, int],
    margin: float = 0.4,
    max_side: int = 200,
    quality: int = 85,
) -> bytes:
    """A JPEG of the box ``(left, top, right, bottom)`` grown by `margin` on each side."""
    left, top, right, bottom = box
    height, width = pixels.shape[:2]
    grow_x, grow_y = margin * (right - left), margin * (bottom - top)
    x0, y0 = max(int(left - grow_x), 0), max(int(top - grow_y), 0)
    x1, y1 = min(int(right + grow_x), width), min(int(bottom + grow_y), height)
    crop = Image.fromarray(pixels[y0:y1, x0:x1])
    crop.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    crop.save(out, "JPEG", quality=quality)
    return out.getvalue()
