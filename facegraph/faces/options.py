"""The choices the face stage offers, as plain names (importing this loads no model)."""

from __future__ import annotations

from typing import Literal

#: ``auto`` is RetinaFace when ONNX Runtime can run it (it ships with facegraph), else HOG;
#: ``cnn`` is dlib's MMOD CNN
Detector = Literal["auto", "retinaface", "hog", "cnn"]
DETECTORS: tuple[str, ...] = ("auto", "retinaface", "hog", "cnn")
#: where a converted dlib network runs: ``auto`` is ONNX Runtime when it loads, else dlib
Runtime = Literal["auto", "onnx", "dlib"]
RUNTIMES: tuple[str, ...] = ("auto", "onnx", "dlib")
#: the face encoder: ``auto`` is ONNX Runtime when it loads, else dlib
EncoderChoice = Literal["auto", "onnx", "dlib"]
ENCODERS: tuple[str, ...] = ("auto", "onnx", "dlib")
