"""dlib's MMOD CNN face detector on ONNX Runtime, with dlib's image pyramid and suppression.

What ``cnn_face_detection_model_v1(img, 0)`` does, step for step:

1. tile the image and its ``pyramid_down<6>`` levels (each 5/6 the size of the last, down to
   5 rows) into one picture, as ``create_tiled_pyramid`` lays them out, normalised as
   ``input_rgb_image_pyramid`` does; each level is a bilinear resize of the one before;
2. run the network over the tiled picture (the ONNX graph from `dlib_onnx`);
3. every score above 0 is a detection window centred on that output position, mapped back
   through the convolutions to the tiled picture and from its pyramid level to the image;
4. keep the best-scoring windows that do not overlap a better one (dlib's ``test_box_overlap``:
   intersection over the bounding box of both, or covering a large share of either).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache

import numpy as np

from .dlib_format import DlibNetwork

#: dlib's pyramid_down<6>: each level is 5/6 of the one before
PYRAMID_N = 6
MIN_LEVEL_ROWS = 5


@dataclass(frozen=True)
class Rect:
    """dlib's ``rectangle``: inclusive pixel bounds."""

    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left + 1

    @property
    def height(self) -> int:
        return self.bottom - self.top + 1

    def area(self) -> int:
        return 0 if self.empty() else self.width * self.height

    def intersect(self, other: Rect) -> Rect:
        return Rect(
            max(self.left, other.left),
            max(self.top, other.top),
            min(self.right, other.right),
            min(self.bottom, other.bottom),
        )

    def empty(self) -> bool:
        return self.right < self.left or self.bottom < self.top

    def contains(self, x: int, y: int) -> bool:
        return self.left <= x <= self.right and self.top <= y <= self.bottom


def pyramid_layout(rows: int, cols: int, padding: int, outer_padding: int):
    """``compute_tiled_image_pyramid_details``: the level rectangles and the tiled size."""
    if rows * cols == 0:
        return [], 0, 0
    rate = (PYRAMID_N - 1.0) / PYRAMID_N
    sizes = [(rows, cols)]
    nr, nc = rows, cols
    while True:
        nr, nc = math.floor(rate * nr), math.floor(rate * nc)
        if nr * nc == 0 or nr < MIN_LEVEL_ROWS:
            break
        sizes.append((nr, nc))
    total_height = sum(h + padding for h, _ in sizes) - padding * 2
    height, prev_width = 0, 0
    first_h, first_w = sizes[0]
    for h, w in sizes:
        if w <= first_w - prev_width - padding and (height - first_h) * 2 >= total_height - first_h:
            break
        height += h + padding
        prev_width = w
    height -= padding
    width = first_w
    tiled_rows, tiled_cols = height + outer_padding * 2, width + outer_padding * 2

    rects: list[Rect] = []
    y = outer_padding
    index = 0
    while y < height + outer_padding and index < len(sizes):
        h, w = sizes[index]
        rects.append(Rect(outer_padding, y, outer_padding + w - 1, y + h - 1))
        y += h + padding
        index += 1
    y -= padding
    while index < len(sizes):
        h, w = sizes[index]
        x1, y1 = outer_padding + width - 1, y - 1  # bottom right corner, going back up
        rect = Rect(x1 - (w - 1), y1 - (h - 1), x1, y1)
        if not rects[0].intersect(rect).empty():
            break
        rects.append(rect)
        y -= h + padding
        index += 1
    return rects, tiled_rows, tiled_cols


def _resize_model() -> bytes:
    """One node: dlib's bilinear ``resize_image`` (corners map to corners)."""
    from onnx import TensorProto, helper

    from .onnx_format import IR_VERSION, OPSET

    node = helper.make_node(
        "Resize",
        ["image", "", "", "sizes"],
        ["resized"],
        mode="linear",
        coordinate_transformation_mode="align_corners",
    )
    graph = helper.make_graph(
        [node],
        "resize_bilinear",
        [
            helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, "h", "w"]),
            helper.make_tensor_value_info("sizes", TensorProto.INT64, [4]),
        ],
        [helper.make_tensor_value_info("resized", TensorProto.FLOAT, [1, 3, "rows", "cols"])],
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION
    )
    return model.SerializeToString()


def tiled_pyramid(
    image: np.ndarray,
    mean: tuple[float, float, float],
    padding: int,
    outer_padding: int,
    resize,
) -> tuple[np.ndarray, list[Rect]]:
    """The network's input: ``(1, 3, rows, cols)`` float32, and where each level lies in it.

    ``resize(level, rows, cols)`` resizes a ``(1, 3, h, w)`` level bilinearly.
    """
    rows, cols = image.shape[:2]
    rects, tiled_rows, tiled_cols = pyramid_layout(rows, cols, padding, outer_padding)
    tensor = np.zeros((1, 3, tiled_rows, tiled_cols), np.float32)
    if not rects:
        return tensor, rects
    first = rects[0]
    level = tensor[:, :, first.top : first.bottom + 1, first.left : first.right + 1]
    planar = np.moveaxis(image, 2, 0)[None]
    np.subtract(planar, np.array(mean, np.float32)[:, None, None], out=level)
    level *= np.float32(1 / 256)  # exact: a power of two, as dlib's division by 256
    for rect in rects[1:]:
        resized = resize(level, rect.height, rect.width)
        tensor[:, :, rect.top : rect.bottom + 1, rect.left : rect.right + 1] = resized
        level = tensor[:, :, rect.top : rect.bottom + 1, rect.left : rect.right + 1]
    return tensor, rects


def _round(value: float) -> int:
    return int(math.floor(value + 0.5))


def _lround(value: float) -> int:  # C's lround: halves away from zero
    return int(math.copysign(math.floor(abs(value) + 0.5), value))


def _nearest_rect(rects: list[Rect], x: int, y: int) -> int:
    best, best_distance = 0, math.inf
    for index, rect in enumerate(rects):
        if rect.contains(x, y):
            return index
        nx = min(max(x, rect.left), rect.right)
        ny = min(max(y, rect.top), rect.bottom)
        distance = math.hypot(nx - x, ny - y)
        if distance < best_distance:
            best, best_distance = index, distance
    return best


def _point_up(x: float, y: float, levels: int) -> tuple[float, float]:
    ratio = PYRAMID_N / (PYRAMID_N - 1.0)
    for _ in range(levels):
        x, y = x * ratio + 0.3, y * ratio + 0.3
    return x, y


def window_to_image(
    rects: list[Rect], x: float, y: float, width: int, height: int
) -> tuple[float, float, float, float]:
    """A detection window centred on tiled-picture point (x, y), in image coordinates."""
    half_w, half_h = (width - 1) / 2, (height - 1) / 2
    left, top, right, bottom = x - half_w, y - half_h, x + half_w, y + half_h
    level = _nearest_rect(rects, _round((left + right) / 2), _round((top + bottom) / 2))
    origin = rects[level]
    left, top = _point_up(left - origin.left, top - origin.top, level)
    right, bottom = _point_up(right - origin.left, bottom - origin.top, level)
    return left, top, right, bottom


def overlaps(a: Rect, b: Rect, iou: float, covered: float) -> bool:
    """dlib's ``test_box_overlap``: the intersection against the box around both, or either."""
    inner = a.intersect(b).area()
    if inner == 0:
        return False
    outer = Rect(
        min(a.left, b.left), min(a.top, b.top), max(a.right, b.right), max(a.bottom, b.bottom)
    ).area()
    return inner / outer > iou or inner / a.area() > covered or inner / b.area() > covered


@dataclass(frozen=True)
class Detection:
    rect: Rect
    score: float


class MmodDetector:
    """``cnn_face_detection_model_v1`` on ONNX Runtime."""

    def __init__(self, threads: int = 0) -> None:
        from .model_cache import onnx_session

        self.session = onnx_session(load_detector_model(), threads)
        meta = self.session.get_modelmeta().custom_metadata_map
        self.settings = json.loads(meta["facegraph_mmod"])
        self.resizer = onnx_session(_resize_model(), threads)

    def _resize(self, level: np.ndarray, rows: int, cols: int) -> np.ndarray:
        sizes = np.array([1, 3, rows, cols], np.int64)
        return self.resizer.run(
            ["resized"], {"image": np.ascontiguousarray(level), "sizes": sizes}
        )[0]

    def detect(self, image: np.ndarray, threshold: float = 0.0) -> list[Detection]:
        """Faces in an RGB (or grayscale) uint8 image, best first."""
        if image.ndim == 2:
            image = np.repeat(image[:, :, None], 3, axis=2)
        settings = self.settings
        tensor, rects = tiled_pyramid(
            image,
            tuple(settings["mean"]),
            settings["padding"],
            settings["outer_padding"],
            self._resize,
        )
        if not rects or min(tensor.shape[2:]) < settings["min_input"]:
            return []  # too small for the network to see anything (dlib raises an error here)
        scores = self.session.run(["scores"], {"pyramid": tensor})[0][0]
        scale, offset = settings["scale"], settings["offset"]
        found: list[Detection] = []
        for channel, (width, height, _label) in enumerate(settings["windows"]):
            rows, cols = np.nonzero(scores[channel] > threshold)
            for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
                box = window_to_image(rects, c * scale + offset, r * scale + offset, width, height)
                rect = Rect(*(_lround(v) for v in box))
                found.append(Detection(rect, float(scores[channel, r, c])))
        found.sort(key=lambda d: d.score, reverse=True)
        kept: list[Detection] = []
        for detection in found:
            if not any(
                overlaps(k.rect, detection.rect, settings["nms_iou"], settings["nms_covered"])
                for k in kept
            ):
                kept.append(detection)
        return kept


def detector_metadata(network: DlibNetwork) -> dict:
    """What `MmodDetector` needs besides the graph: input, windows, NMS and the layer mapping."""
    scale, offset = 1, 0
    # output position p maps to input position p * stride - padding + kernel // 2 per layer
    for layer in reversed([lay for lay in network.layers if lay.kind == "con"]):
        _, rows, _, stride = layer.args
        padding = layer.settings["padding"][0]
        scale, offset = scale * stride, offset * stride - padding + rows // 2
    convolutions = [
        (lay.args[1], lay.args[3], lay.settings["padding"][0])
        for lay in network.layers
        if lay.kind == "con"
    ]

    def output_size(size: int) -> int:
        for kernel, stride, padding in convolutions:
            padded = size + 2 * padding
            size = 1 + (padded - kernel) // stride if padded >= kernel else 0
        return size

    loss = network.loss_settings
    if loss["bounding_box_regression"]:
        raise ValueError("MMOD models with bounding box regression are not supported")
    return {
        "mean": list(network.input_settings["mean"]),
        "padding": network.input_settings["pyramid_padding"],
        "outer_padding": network.input_settings["pyramid_outer_padding"],
        "windows": [list(w) for w in loss["detector_windows"]],
        "nms_iou": loss["nms_iou"],
        "nms_covered": loss["nms_percent_covered"],
        "scale": scale,
        "offset": offset,
        "min_input": next(n for n in range(1, 10_000) if output_size(n) >= 1),
    }


def load_detector_model() -> bytes:
    import face_recognition_models

    from .model_cache import converted_model
    from .onnx_format import CONVERTER_VERSION

    def convert(dat: bytes) -> bytes:
        from .dlib_onnx import face_detector_onnx  # imports onnx: only when converting

        model, network = face_detector_onnx(dat)
        entry = model.metadata_props.add()
        entry.key, entry.value = "facegraph_mmod", json.dumps(detector_metadata(network))
        return model.SerializeToString()

    return converted_model(
        "face_detector",
        face_recognition_models.cnn_face_detector_model_location(),
        CONVERTER_VERSION,
        convert,
    ).data


@cache
def mmod_detector(threads: int = 0) -> MmodDetector:
    return MmodDetector(threads)
