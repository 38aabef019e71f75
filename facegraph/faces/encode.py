"""The face encoder, on dlib or on ONNX Runtime: aligned 150x150 chips in, 128-d encodings out.

Both backends run dlib's ``dlib_face_recognition_resnet_model_v1`` network with its own weights;
the ONNX graph is converted from the ``.dat`` file by `dlib_onnx` and cached by `model_cache`. The
ONNX backend is the same network computed by a faster runtime (encodings agree with dlib's to
about 1e-6). Chips come from `detect.face_chips` (dlib's ``get_face_chip``, 25 % padding), as in
dlib's ``compute_face_descriptor``.

``jitters`` keeps dlib's meaning: with N > 1 the encoding is the mean over N copies of the chip
jittered by dlib's ``jitter_image`` (small random shifts, scalings, rotations and mirror flips).
"""

from __future__ import annotations

import logging
import os
from functools import cache
from typing import Protocol

import numpy as np

from ..errors import EncoderUnavailable
from .options import ENCODERS, EncoderChoice

log = logging.getLogger(__name__)

CHIP_SIZE = 150
CHIP_PADDING = 0.25


class FaceEncoder(Protocol):
    name: str

    def encode(self, chips: np.ndarray, jitters: int = 1) -> np.ndarray:
        """``(n, 150, 150, 3)`` uint8 RGB chips -> ``(n, 128)`` float32 encodings."""
        ...


def _jittered(chip: np.ndarray, jitters: int) -> np.ndarray:
    import dlib

    return np.stack(dlib.jitter_image(np.ascontiguousarray(chip), jitters))


class DlibEncoder:
    """dlib's own ``face_recognition_model_v1``."""

    name = "dlib"

    def __init__(self) -> None:
        import dlib
        import face_recognition_models

        self.model = dlib.face_recognition_model_v1(
            face_recognition_models.face_recognition_model_location()
        )

    def encode(self, chips: np.ndarray, jitters: int = 1) -> np.ndarray:
        if len(chips) == 0:
            return np.empty((0, 128), np.float32)
        batch = [np.ascontiguousarray(chip) for chip in chips]
        rows = self.model.compute_face_descriptor(batch, jitters)
        return np.asarray([np.array(row) for row in rows], dtype=np.float32)


class OnnxEncoder:
    """The same network on ONNX Runtime."""

    name = "onnx"

    def __init__(self, threads: int = 0) -> None:
        from .model_cache import onnx_session

        try:
            self.session = onnx_session(load_encoder_model(), threads)
        except ImportError as exc:  # pragma: no cover - onnxruntime is a dependency
            raise EncoderUnavailable(f"onnxruntime is not installed ({exc})") from exc

    def encode(self, chips: np.ndarray, jitters: int = 1) -> np.ndarray:
        if len(chips) == 0:
            return np.empty((0, 128), np.float32)
        if jitters <= 1:
            return self._run(np.ascontiguousarray(chips, dtype=np.uint8))
        # dlib averages the float encodings of the jittered copies of each chip
        return np.stack([self._run(_jittered(chip, jitters)).mean(axis=0) for chip in chips])

    def _run(self, chips: np.ndarray) -> np.ndarray:
        return self.session.run(["encodings"], {"chips": chips})[0]


def load_encoder_model() -> bytes:
    """The converted encoder graph (from the cache after the first conversion)."""
    import face_recognition_models

    from .model_cache import converted_model
    from .onnx_format import CONVERTER_VERSION

    def convert(dat: bytes) -> bytes:
        from .dlib_onnx import face_encoder_onnx  # imports onnx: only when converting

        return face_encoder_onnx(dat).SerializeToString()

    return converted_model(
        "face_encoder",
        face_recognition_models.face_recognition_model_location(),
        CONVERTER_VERSION,
        convert,
    ).data


def onnx_threads() -> int:
    """Threads for one ONNX session: ``$FACEGRAPH_ONNX_THREADS``, else the runtime's default."""
    try:
        return max(0, int(os.environ.get("FACEGRAPH_ONNX_THREADS", "0")))
    except ValueError:
        return 0


@cache
def face_encoder(choice: EncoderChoice = "auto") -> FaceEncoder:
    """The encoder for `choice`, built once per process; ``auto`` is ONNX when it can run."""
    if choice == "dlib":
        return DlibEncoder()
    if choice == "onnx":
        return OnnxEncoder(onnx_threads())
    if choice == "auto":
        try:
            return OnnxEncoder(onnx_threads())
        except Exception as exc:  # anything: the dlib path always works
            log.warning("ONNX encoder unavailable (%s); using dlib's", exc)
            return DlibEncoder()
    raise ValueError(f"unknown encoder {choice!r}; choose one of {', '.join(ENCODERS)}")


def resolve_encoder(choice: EncoderChoice) -> str:
    """The backend `choice` runs on here: ``onnx`` or ``dlib``."""
    return face_encoder(choice).name
