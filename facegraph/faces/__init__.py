"""Faces: detection, landmarks and 128-d encodings with dlib's models (on dlib or ONNX Runtime).

Arrays in, arrays out: no database, no files of the library. `options` names the choices and
loads nothing; `detect` and `encode` load their models on first use.
"""
