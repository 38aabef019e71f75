"""Decoding: EXIF orientation and fields, every pixel format a camera or editor writes."""

from datetime import datetime

import numpy as np
import pytest
from conftest import grace_hopper
from PIL import Image

from facegraph.ingestion.analyse import analyse_photo
from facegraph.ingestion.decode import decode_photo
from facegraph.ingestion.settings import DetectionSettings


def save_with_exif(image: Image.Image, path, orientation=1, taken=None, make=None, model=None):
    exif = Image.Exif()
    exif[0x0112] = orientation
    if make:
        exif[0x010F] = make
    if model:
        exif[0x0110] = model
    if taken:
        exif.get_ifd(0x8769)[0x9003] = taken
    image.save(path, "JPEG", quality=92, exif=exif.tobytes())


def test_exif_rotated_phone_photo_finds_its_face_in_upright_coordinates(tmp_path):
    upright = grace_hopper()
    # the sensor stored the picture turned a quarter left; EXIF 6 tells viewers to turn it back
    save_with_exif(upright.transpose(Image.Transpose.ROTATE_90), tmp_path / "phone.jpg", 6)
    upright.transpose(Image.Transpose.ROTATE_90).save(tmp_path / "no_exif.jpg", quality=92)
    upright.save(tmp_path / "upright.jpg", quality=92)

    rotated = analyse_photo(str(tmp_path / "phone.jpg"), DetectionSettings())
    reference = analyse_photo(str(tmp_path / "upright.jpg"), DetectionSettings())
    sideways = analyse_photo(str(tmp_path / "no_exif.jpg"), DetectionSettings())

    assert sideways.faces == []  # without the EXIF turn the face is sideways: HOG misses it
    assert (rotated.width, rotated.height, rotated.orientation) == (512, 600, 6)
    assert len(rotated.faces) == 1
    np.testing.assert_allclose(rotated.faces[0].box, reference.faces[0].box, atol=6)
    assert np.linalg.norm(rotated.faces[0].encoding - reference.faces[0].encoding) < 0.1


def test_exif_date_and_camera_are_read(tmp_path):
    path = tmp_path / "dated.jpg"
    save_with_exif(grace_hopper(), path, taken="2021:06:05 14:30:00", make="Canon", model="EOS 5D")
    result = analyse_photo(str(path), DetectionSettings())
    assert result.taken_at == datetime(2021, 6, 5, 14, 30)
    assert (result.camera_make, result.camera_model) == ("Canon", "EOS 5D")


def test_broken_exif_date_is_ignored_not_fatal(tmp_path):
    path = tmp_path / "bad_date.jpg"
    save_with_exif(grace_hopper(), path, taken="0000:00:00 00:00:00")
    result = analyse_photo(str(path), DetectionSettings())
    assert result.status == "ok" and result.taken_at is None


def sixteen_bit_gray(image: Image.Image) -> Image.Image:
    values = np.asarray(image.convert("L"), dtype=np.uint16) * 257
    return Image.fromarray(values)


@pytest.mark.parametrize(
    "name, convert",
    [
        ("cmyk.jpg", lambda im: im.convert("CMYK")),
        ("gray.jpg", lambda im: im.convert("L")),
        ("palette.png", lambda im: im.convert("P", palette=Image.Palette.ADAPTIVE)),
        ("alpha.png", lambda im: im.convert("RGBA")),
        ("gray16.png", sixteen_bit_gray),
        ("photo.webp", lambda im: im),
        ("photo.tiff", lambda im: im),
        ("photo.bmp", lambda im: im),
    ],
)
def test_every_pixel_format_and_file_type_finds_the_face(tmp_path, name, convert):
    path = tmp_path / name
    convert(grace_hopper()).save(path)
    result = analyse_photo(str(path), DetectionSettings())
    assert result.status == "ok", result.error
    assert len(result.faces) == 1


def test_sixteen_bit_values_are_scaled_not_clipped():
    image = sixteen_bit_gray(grace_hopper())
    import io

    data = io.BytesIO()
    image.save(data, "PNG")
    pixels = decode_photo(data.getvalue()).pixels
    assert pixels.dtype == np.uint8 and pixels.shape[2] == 3
    assert 60 < pixels.mean() < 200  # clipping would make it almost all white


def test_large_jpeg_is_decoded_reduced_with_boxes_in_original_pixels(tmp_path):
    big = grace_hopper().resize((2048, 2400))
    big.save(tmp_path / "big.jpg", quality=90)
    result = analyse_photo(str(tmp_path / "big.jpg"), DetectionSettings(max_side=540))
    assert (result.width, result.height) == (2048, 2400)
    left, top, right, bottom = result.faces[0].box
    # the face of the 512x600 original (181, 140, 367, 326), scaled by 4; HOG boxes vary
    # by a few percent between scales, so compare centre and size, not corners
    width = 186 * 4
    assert abs((left + right) / 2 - 274 * 4) < 0.1 * width
    assert abs((top + bottom) / 2 - 233 * 4) < 0.1 * width
    assert 0.8 < (right - left) / width < 1.25
    landmarks = result.faces[0].landmarks
    assert (landmarks[:, 0] > left).all() and (landmarks[:, 0] < right).all()
