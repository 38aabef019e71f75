"""How photos are searched for faces: one settings object, its defaults written once here.

Importing this loads no model; `DetectionSettings.resolved` does, to see what runs here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..faces.options import Detector, EncoderChoice, Runtime

#: Pillow's own decompression-bomb limit; larger images are refused before decoding.
DEFAULT_MAX_PIXELS = 2 * 89_478_485


@dataclass(frozen=True)
class DetectionSettings:
    """How faces are found.

    Every photo is searched at the scale the old tool used: resized so its long side is
    ``max_side`` and enlarged ``2**upsample`` times (2160 px with the defaults, where HOG finds
    faces down to 80 px, i.e. 40 px at 1080 px). Photos larger than that are decoded straight to
    that size (more real detail than dlib's own upsampling, and JPEGs decode faster reduced);
    small photos are enlarged for the search at most ``2**(upsample + 1)`` times, so faces of
    about 20 original pixels are the smallest found. Landmarks and encodings are always computed
    on pixels that were never enlarged.
    """

    detector: Detector = "hog"
    upsample: int = 1
    max_side: int = 1080
    #: faces narrower than this many pixels of the original photo are dropped
    min_face: int = 0
    jitters: int = 1
    max_pixels: int = DEFAULT_MAX_PIXELS
    #: ``auto`` (ONNX Runtime when it can run, else dlib), ``onnx`` or ``dlib``
    encoder: EncoderChoice = "auto"
    #: where ``detector="cnn"`` runs, chosen as `encoder` is
    cnn_runtime: Runtime = "auto"
    #: also estimate age and gender (needs the ``attributes`` extra); not part of `describe`:
    #: it does not change which faces are found
    attributes: bool = False

    def describe(self) -> str:
        detector = self.detector
        if detector == "cnn":
            detector += f"({self.cnn_runtime})"
        return (
            f"{detector} upsample={self.upsample} max_side={self.max_side} "
            f"min_face={self.min_face} jitters={self.jitters} encoder={self.encoder}"
        )

    def resolved(self) -> DetectionSettings:
        """These settings with each ``auto`` replaced by the backend that runs here."""
        from ..faces.detect import cnn_detector_runtime
        from ..faces.encode import resolve_encoder

        encoder = resolve_encoder(self.encoder)
        runtime = self.cnn_runtime
        if self.detector == "cnn":
            runtime = cnn_detector_runtime(runtime)
        return replace(self, encoder=encoder, cnn_runtime=runtime)  # type: ignore[arg-type]
