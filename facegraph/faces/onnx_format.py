"""What facegraph's converted ONNX graphs are written as; importing this imports no `onnx`
(worker processes load cached graphs without it)."""

from __future__ import annotations

#: bumped whenever a converted graph would differ, so cached graphs are rebuilt
CONVERTER_VERSION = 3
OPSET = 17
#: the IR version that goes with opset 17. `onnx` writes its newest IR by default, which an older
#: ONNX Runtime refuses (onnx 1.23 writes IR 14; onnxruntime 1.30, which the `attributes`
#: extra's pins select, reads up to 13), and facegraph then fell back to dlib's slow encoder.
IR_VERSION = 8
