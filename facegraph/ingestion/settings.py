"""How photos are searched for faces: one settings object, its defaults written once here.

Importing this loads no model; `DetectionSettings.resolved` does, to see what runs here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..errors import check_number
from ..faces.options import Detector, EncoderChoice, Runtime

#: Pillow's own decompression-bomb limit; larger images are refused before decoding.
DEFAULT_MAX_PIXELS = 2 * 89_478_485


@dataclass(frozen=True)
class DetectionSettings:
    """How faces are found.

    Every photo is decoded so its long side is at most ``max_side * 2**upsample`` (2160 px with
    the defaults; JPEGs decode faster reduced), and landmarks and encodings are computed on
    those pixels, never enlarged.

    The default detector (``auto``: RetinaFace, `faces.retinaface`) searches the photo at
    ``max_side`` (1080 px; small photos enlarged at most twice), where it finds faces of about
    16 px and more in any pose, plus a pass at a third of that for faces filling the photo.
    ``hog`` and ``cnn`` search it at the scale the old tool used: ``max_side`` enlarged
    ``2**upsample`` times, where HOG finds faces down to 80 px (40 px at 1080 px); small photos
    are enlarged for that search at most ``2**(upsample + 1)`` times.
    """

    detector: Detector = "auto"
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
    #: read the names and face regions in the photos' XMP (`facegraph.xmp`); not part of
    #: `describe` either
    regions: bool = True
    #: videos: a frame is looked at every this many seconds (`ingestion.video`)
    video_every: float = 1.0
    #: videos are analysed in parts of this many seconds, each on its own (tracks and
    #: stretches end where a part does, as at a cut): a killed ingest carries on from the last
    #: part stored, and the parts of one long video run on every core (`video_parts`)
    video_part: float = 300.0

    def __post_init__(self) -> None:
        check_number("upsample", self.upsample, 0, 3)
        check_number("max_side", self.max_side, 64)
        check_number("min_face", self.min_face, 0)
        check_number("jitters", self.jitters, 1, 100)
        check_number("max_pixels", self.max_pixels, 1)
        check_number("video_every", self.video_every, 0.04, 3600)
        check_number("video_part", self.video_part, 1, 86400)

    def describe(self) -> str:
        """The settings as stored with each photo (``images.detection``): the detector with
        its model version, and every setting that changes which faces are found."""
        detector = self.detector
        if detector == "cnn":
            detector += f"({self.cnn_runtime})"
        elif detector == "retinaface":
            from ..faces.retinaface import VERSION

            detector += f"({VERSION})"
        return (
            f"{detector} upsample={self.upsample} max_side={self.max_side} "
            f"min_face={self.min_face} jitters={self.jitters} encoder={self.encoder}"
        )

    def resolved(self) -> DetectionSettings:
        """These settings with each ``auto`` replaced by the backend that runs here."""
        from ..faces.detect import cnn_detector_runtime, resolve_detector
        from ..faces.encode import resolve_encoder

        detector = resolve_detector(self.detector)
        encoder = resolve_encoder(self.encoder)
        runtime = self.cnn_runtime
        if detector == "cnn":
            runtime = cnn_detector_runtime(runtime)
        return replace(
            self,
            detector=detector,  # type: ignore[arg-type]
            encoder=encoder,  # type: ignore[arg-type]
            cnn_runtime=runtime,  # type: ignore[arg-type]
        )
