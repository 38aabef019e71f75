"""Read dlib's serialized deep networks (``.dat`` files) into plain numpy layers.

dlib writes a network as nested objects, outermost (the loss) first; each layer wrapper writes
its version, then the network beneath it, then its own details, so the layer details appear in
the file from the input layer upwards. Tags and skips (``tag1``, ``skip1``) are template
parameters and are not in the file: the caller supplies the architecture, as the C++ type does,
and this module checks the file against it field by field. The formats follow dlib's
``serialize.h``, ``dnn/core.h``, ``dnn/layers.h``, ``dnn/input.h`` and ``dnn/loss.h``
(dlib 19.x-20.x).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import DlibFormatError


class Reader:
    """dlib's primitive encodings over a byte buffer."""

    def __init__(self, data: bytes) -> None:
        self.data = memoryview(data)
        self.pos = 0

    def _take(self, n: int) -> memoryview:
        if self.pos + n > len(self.data):
            raise DlibFormatError(f"file ends early (needed {n} bytes at offset {self.pos})")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def int(self) -> int:
        # one control byte (length in the low nibble, 0x80 = negative), then little-endian bytes
        control = self._take(1)[0]
        size = control & 0x0F
        if size == 0 or size > 8:
            raise DlibFormatError(f"bad integer control byte {control:#x} at offset {self.pos - 1}")
        value = int.from_bytes(self._take(size), "little")
        return -value if control & 0x80 else value

    def float(self) -> float:
        # float_details: an integer mantissa and a 16-bit exponent, value = mantissa * 2**exponent
        if self.data[self.pos] & 0x70:
            raise DlibFormatError(f"old ASCII float encoding at offset {self.pos} is not supported")
        mantissa = self.int()
        exponent = self.int()
        return float(mantissa * 2.0**exponent)

    def bool(self) -> bool:
        byte = bytes(self._take(1))
        if byte not in (b"0", b"1"):
            raise DlibFormatError(f"bad bool {byte!r} at offset {self.pos - 1}")
        return byte == b"1"

    def string(self) -> str:
        size = self.int()
        return bytes(self._take(size)).decode("latin-1")

    def expect(self, *versions: str) -> str:
        found = self.string()
        if found not in versions:
            raise DlibFormatError(f"expected {' or '.join(versions)}, found {found!r}")
        return found

    def version(self, allowed: tuple[int, ...], what: str) -> int:
        found = self.int()
        if found not in allowed:
            raise DlibFormatError(f"unexpected {what} version {found}")
        return found

    def tensor(self) -> np.ndarray:
        """A ``resizable_tensor``: shape (num_samples, k, nr, nc) of little-endian float32."""
        self.version((2,), "tensor")
        shape = tuple(self.int() for _ in range(4))
        count = int(np.prod(shape))
        raw = self._take(4 * count)
        return np.frombuffer(raw, dtype="<f4").astype(np.float32).reshape(shape)

    def alias_tensor(self) -> tuple[int, int, int, int]:
        self.version((1,), "alias_tensor")
        return tuple(self.int() for _ in range(4))  # type: ignore[return-value]

    def at_end(self) -> bool:
        return self.pos == len(self.data)


# --- the architecture, written as dlib writes its C++ types: outermost first ---------------------


@dataclass(frozen=True)
class Node:
    """One wrapper of the network type: a computational layer, a tag or a skip."""

    kind: str  # con, affine, relu, max_pool, avg_pool, add_prev, fc_no_bias, tag, skip
    args: tuple = ()


Net = list[Node]


def con(filters: int, rows: int, cols: int, stride: int, sub: Net) -> Net:
    return [Node("con", (filters, rows, cols, stride)), *sub]


def affine(sub: Net) -> Net:
    return [Node("affine"), *sub]


def relu(sub: Net) -> Net:
    return [Node("relu"), *sub]


def max_pool(size: int, stride: int, sub: Net) -> Net:
    return [Node("max_pool", (size, stride)), *sub]


def avg_pool(size: int, stride: int, sub: Net) -> Net:
    return [Node("avg_pool", (size, stride)), *sub]


def add_prev(tag_id: int, sub: Net) -> Net:
    return [Node("add_prev", (tag_id,)), *sub]


def tag(tag_id: int, sub: Net) -> Net:
    return [Node("tag", (tag_id,)), *sub]


def skip(tag_id: int, sub: Net) -> Net:
    return [Node("skip", (tag_id,)), *sub]


def fc_no_bias(outputs: int, sub: Net) -> Net:
    return [Node("fc_no_bias", (outputs,)), *sub]


# --- parsed layers -------------------------------------------------------------------------------


@dataclass
class Layer:
    kind: str
    args: tuple = ()
    weights: dict[str, np.ndarray] = field(default_factory=dict)
    settings: dict[str, object] = field(default_factory=dict)


@dataclass
class DlibNetwork:
    """A network read from a file: its input, its layers from the input upwards, its loss."""

    input_kind: str
    input_settings: dict[str, object]
    layers: list[Layer]  # input side first; tags and skips included (no weights)
    loss_kind: str
    loss_settings: dict[str, object]


def _read_layer(reader: Reader, node: Node) -> Layer:
    layer = Layer(node.kind, node.args)
    if node.kind == "con":
        version = reader.expect("con_4", "con_5", "con_6")
        params = reader.tensor().ravel()
        filters, rows, cols, stride = node.args
        layer.settings["filters"] = reader.int()
        found = (reader.int(), reader.int(), reader.int(), reader.int())
        if layer.settings["filters"] != filters or found != (rows, cols, stride, stride):
            raise DlibFormatError(f"convolution {node.args} does not match the file's {found}")
        layer.settings["padding"] = (reader.int(), reader.int())
        filter_shape = reader.alias_tensor()
        bias_shape = reader.alias_tensor()
        for _ in range(4):  # learning-rate and weight-decay multipliers
            reader.float()
        if version in ("con_5", "con_6"):
            layer.settings["use_bias"] = reader.bool()
        if version == "con_6" and reader.bool():
            raise DlibFormatError("convolutions with a fused relu are not supported")
        n_filter = int(np.prod(filter_shape))
        layer.weights["filters"] = params[:n_filter].reshape(filter_shape)
        n_bias = int(np.prod(bias_shape))
        layer.weights["bias"] = params[n_filter : n_filter + n_bias].reshape(-1)
        return layer
    if node.kind == "affine":
        version = reader.expect("affine_", "affine_2", "bn_con2")
        if version == "bn_con2":
            return _batch_norm_as_affine(reader, layer)
        params = reader.tensor().ravel()
        gamma = int(np.prod(reader.alias_tensor()))
        beta = int(np.prod(reader.alias_tensor()))
        layer.settings["mode"] = reader.int()
        if version == "affine_2":
            layer.settings["disabled"] = reader.bool()
        layer.weights["gamma"] = params[:gamma]
        layer.weights["beta"] = params[gamma : gamma + beta]
        return layer
    if node.kind == "relu":
        if reader.expect("relu_", "relu_2") == "relu_2":
            layer.settings["disabled"] = reader.bool()
        return layer
    if node.kind in ("max_pool", "avg_pool"):
        reader.expect(f"{node.kind}_2")
        rows, cols, stride_y, stride_x = (reader.int() for _ in range(4))
        layer.settings["padding"] = (reader.int(), reader.int())
        size, stride = node.args
        if (rows, cols, stride_y, stride_x) != (size, size, stride, stride):
            raise DlibFormatError(f"{node.kind} {node.args} does not match the file's")
        return layer
    if node.kind == "add_prev":
        reader.expect("add_prev_")
        return layer
    if node.kind == "fc_no_bias":
        reader.expect("fc_2", "fc_3")
        outputs, inputs = reader.int(), reader.int()
        params = reader.tensor().ravel()
        weight_shape = reader.alias_tensor()
        reader.alias_tensor()  # biases: none for fc_no_bias
        if reader.int() != 1:  # FC_NO_BIAS
            raise DlibFormatError("fully connected layer has a bias; expected fc_no_bias")
        for _ in range(4):
            reader.float()
        if outputs != node.args[0]:
            raise DlibFormatError(f"fc has {outputs} outputs, expected {node.args[0]}")
        layer.weights["weights"] = params[: int(np.prod(weight_shape))].reshape(inputs, outputs)
        return layer
    raise DlibFormatError(f"unknown layer kind {node.kind}")


def _batch_norm_as_affine(reader: Reader, layer: Layer) -> Layer:
    """A saved ``bn_con`` read into an ``affine_`` layer, as dlib's ``affine_(const bn_&)`` does."""
    params = reader.tensor().ravel()
    gamma = int(np.prod(reader.alias_tensor()))
    beta = int(np.prod(reader.alias_tensor()))
    reader.tensor()  # batch means and inverse deviations of the last training step
    reader.tensor()
    running_means = reader.tensor().ravel()
    running_variances = reader.tensor().ravel()
    reader.int()  # updates
    reader.int()  # running statistics window
    for _ in range(4):
        reader.float()
    eps = np.float32(reader.float())
    scale = params[:gamma] / np.sqrt(running_variances + eps)
    layer.weights["gamma"] = scale.astype(np.float32)
    layer.weights["beta"] = (params[gamma : gamma + beta] - scale * running_means).astype(
        np.float32
    )
    layer.settings["mode"] = 0
    return layer


def _read_input(reader: Reader) -> tuple[str, dict[str, object]]:
    name = reader.expect(
        "input_rgb_image_sized", "input_rgb_image_pyramid", "input_rgb_image_pyramid2"
    )
    settings: dict[str, object] = {"mean": (reader.float(), reader.float(), reader.float())}
    if name == "input_rgb_image_sized":
        settings["size"] = (reader.int(), reader.int())
    else:
        settings["pyramid_padding"], settings["pyramid_outer_padding"] = (
            (reader.int(), reader.int()) if name == "input_rgb_image_pyramid2" else (10, 11)
        )
    return name, settings


def _read_loss(reader: Reader) -> tuple[str, dict[str, object]]:
    name = reader.expect("loss_metric_", "loss_metric_2", "loss_mmod_")
    if name == "loss_metric_2":
        return "metric", {"margin": reader.float(), "distance_threshold": reader.float()}
    if name == "loss_metric_":
        return "metric", {}
    version = reader.version((1, 2, 3, 4), "mmod_options")
    if version == 1:
        windows = [(reader.int(), reader.int(), "")]
    else:
        windows = []
        for _ in range(reader.int()):
            window_version = reader.version((1, 2), "detector window")
            width, height = reader.int(), reader.int()
            windows.append((width, height, reader.string() if window_version == 2 else ""))
    settings: dict[str, object] = {
        "detector_windows": windows,
        "loss_per_false_alarm": reader.float(),
        "loss_per_missed_target": reader.float(),
        "truth_match_iou_threshold": reader.float(),
        "nms_iou": reader.float(),
        "nms_percent_covered": reader.float(),
        "ignore_iou": reader.float(),
        "ignore_percent_covered": reader.float(),
        "assume_image_pyramid": reader.int() if version >= 3 else 1,
        "bounding_box_regression": reader.bool() if version >= 4 else False,
    }
    if version >= 4:
        reader.float()  # bbr_lambda
    return "mmod", settings


def read_network(data: bytes, architecture: Net) -> DlibNetwork:
    """Parse a dlib network file whose C++ type is `architecture` (outermost layer first)."""
    reader = Reader(data)
    reader.version((1,), "loss layer")
    loss_kind, loss_settings = _read_loss(reader)
    computational = [i for i, node in enumerate(architecture) if node.kind not in ("tag", "skip")]
    innermost = computational[-1]
    if innermost != len(architecture) - 1:
        raise DlibFormatError("the architecture must end with a layer over the input")
    versions = []
    for index, node in enumerate(architecture):
        if node.kind in ("tag", "skip"):
            reader.version((1,), node.kind)
            versions.append(1)
        elif index == innermost:
            versions.append(reader.version((2, 3), "input layer wrapper"))
        else:
            versions.append(reader.version((1, 2), "layer wrapper"))
    input_kind, input_settings = _read_input(reader)
    layers: list[Layer] = []
    for index in range(len(architecture) - 1, -1, -1):
        node = architecture[index]
        if node.kind in ("tag", "skip"):
            layers.append(Layer(node.kind, node.args))
            continue
        layers.append(_read_layer(reader, node))
        for _ in range(3):  # setup called, gradient stale, outputs disabled
            reader.bool()
        reader.tensor()  # x_grad
        reader.tensor()  # cached output
        if index == innermost:
            reader.tensor()  # grad_final
            if versions[index] >= 3:
                reader.int()  # sample expansion factor
        elif versions[index] == 2:
            reader.tensor()  # params_grad
    if not reader.at_end():
        raise DlibFormatError(f"{len(reader.data) - reader.pos} unread bytes after the network")
    return DlibNetwork(input_kind, input_settings, layers, loss_kind, loss_settings)
