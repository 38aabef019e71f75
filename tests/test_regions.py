"""Names in and out of the photos' XMP: MWG and Microsoft face regions, IPTC names.

The fixtures are written by exiftool (Debian's libimage-exiftool-perl, installed by .ci/run),
not by facegraph, and the expected boxes come from Pillow turning a mask of each face: neither
depends on the code under test. Faces are found by the real detector in real photos.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import astronaut, grace_hopper, query, side_by_side
from PIL import Image, ImageOps

import facegraph
from facegraph.cli import main
from facegraph.ingestion.same_faces import overlap
from facegraph.people.edits import forget_person, name_person, undo
from facegraph.people.evaluate import evaluate, evaluate_from_regions
from facegraph.people.region_export import export_regions
from facegraph.xmp.files import check_packet, read_photo_regions
from facegraph.xmp.orientation import shown_box, stored_box
from facegraph.xmp.regions import regions_from_xmp

#: what Pillow does to show a photo stored with each EXIF orientation, and its inverse
SHOW = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
UNDO_SHOW = {**SHOW, 6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270}


def exiftool() -> str:
    found = shutil.which("exiftool")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("exiftool is missing; .ci/run installs libimage-exiftool-perl")
        pytest.skip("exiftool not installed (apt install libimage-exiftool-perl)")
    return found


def run_exiftool(*args: str) -> str:
    done = subprocess.run(
        [exiftool(), *args], capture_output=True, text=True, check=False, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _value(number: float) -> str:
    return f"{number:.6f}"


def region_args(faces: list[tuple[str, tuple]], size: tuple[int, int], mwg=True, mp=True):
    """exiftool arguments writing `faces` (name, normalised stored-image box) as regions."""
    args = []
    if mwg:
        items = ",".join(
            f"{{Area={{X={_value((b[0] + b[2]) / 2)},Y={_value((b[1] + b[3]) / 2)},"
            f"W={_value(b[2] - b[0])},H={_value(b[3] - b[1])},Unit=normalized}},"
            f"Name={name},Type=Face}}"
            for name, b in faces
        )
        args.append(
            f"-XMP-mwg-rs:RegionInfo={{AppliedToDimensions={{W={size[0]},H={size[1]},"
            f"Unit=pixel}},RegionList=[{items}]}}"
        )
    if mp:
        items = ",".join(
            f"{{PersonDisplayName={name},Rectangle={_value(b[0])}|, {_value(b[1])}|, "
            f"{_value(b[2] - b[0])}|, {_value(b[3] - b[1])}}}"
            for name, b in faces
        )
        args.append(f"-XMP-MP:RegionInfoMP={{Regions=[{items}]}}")
    return args


def stored_version(upright: Image.Image, orientation: int) -> Image.Image:
    """The pixels a camera stores for `upright` to be shown so with `orientation`."""
    method = UNDO_SHOW[orientation]
    return upright if method is None else upright.transpose(method)


def box_in_stored(box: tuple, shown_size: tuple[int, int], orientation: int) -> tuple:
    """A shown-photo pixel box in the stored image, normalised, found by turning a mask."""
    mask = Image.new("L", shown_size, 0)
    mask.paste(255, tuple(int(v) for v in box))
    left, top, right, bottom = stored_version(mask, orientation).getbbox()
    width, height = stored_version(mask, orientation).size
    return (left / width, top / height, right / width, bottom / height)


def save_with_orientation(image: Image.Image, path: Path, orientation: int) -> None:
    exif = Image.Exif()
    exif[0x0112] = orientation
    image.save(path, quality=93, exif=exif.tobytes())


# ------------------------------------------------------------------ mapping and parsing


@pytest.mark.parametrize("orientation", range(1, 9))
def test_boxes_map_as_pillow_shows_the_photo(orientation):
    stored = Image.new("L", (60, 40), 0)
    stored.paste(255, (6, 4, 18, 30))
    save = Image.Exif()
    save[0x0112] = orientation
    stored.info["exif"] = save.tobytes()
    shown = ImageOps.exif_transpose(stored) if orientation != 1 else stored
    left, top, right, bottom = shown.getbbox()
    expected = (left / shown.width, top / shown.height, right / shown.width, bottom / shown.height)
    mapped = shown_box((6 / 60, 4 / 40, 18 / 60, 30 / 40), orientation)
    assert np.allclose(mapped, expected, atol=1e-9)
    assert np.allclose(stored_box(mapped, orientation), (6 / 60, 4 / 40, 18 / 60, 30 / 40))


def test_mwg_and_mp_of_one_face_count_once_and_iptc_names_have_no_box():
    mwg = "Xmp.mwg-rs.Regions/mwg-rs:RegionList"
    xmp = {
        f"{mwg}[1]/mwg-rs:Name": "Ada",
        f"{mwg}[1]/mwg-rs:Type": "Face",
        **{
            f"{mwg}[1]/mwg-rs:Area/stArea:{k}": v
            for k, v in zip("xywh", [0.5, 0.5, 0.2, 0.2], strict=True)
        },
        f"{mwg}[2]/mwg-rs:Name": "Rex",
        f"{mwg}[2]/mwg-rs:Type": "Pet",
        **{
            f"{mwg}[2]/mwg-rs:Area/stArea:{k}": v
            for k, v in zip("xywh", [0.1, 0.1, 0.1, 0.1], strict=True)
        },
        "Xmp.MP.RegionInfo/MPRI:Regions[1]/MPReg:PersonDisplayName": "Ada",
        "Xmp.MP.RegionInfo/MPRI:Regions[1]/MPReg:Rectangle": "0.4, 0.4, 0.2, 0.2",
        "Xmp.MP.RegionInfo/MPRI:Regions[2]/MPReg:PersonDisplayName": "Bo",
        "Xmp.MP.RegionInfo/MPRI:Regions[2]/MPReg:Rectangle": "0.7, 0.1, 0.1, 0.15",
        "Xmp.iptcExt.PersonInImage": ["Ada", "Cy"],
    }
    notes: list[str] = []
    regions = regions_from_xmp(xmp, 1, (100, 100), notes)
    assert [(r.standard, r.kind, r.name) for r in regions] == [
        ("MWG+MP", "Face", "Ada"),
        ("MWG", "Pet", "Rex"),
        ("MP", "Face", "Bo"),
        ("IPTC", None, "Cy"),
    ]
    assert np.allclose(regions[0].box, (0.4, 0.4, 0.6, 0.6))
    assert regions[3].box is None and notes == []


def test_unusable_regions_are_one_line_each():
    mwg = "Xmp.mwg-rs.Regions/mwg-rs:RegionList"

    def area(n, x, y, w, h):
        return {
            f"{mwg}[{n}]/mwg-rs:Area/stArea:{k}": v
            for k, v in zip("xywh", [x, y, w, h], strict=True)
        }

    xmp = {
        f"{mwg}[1]/mwg-rs:Name": "Zero",
        **area(1, 0.5, 0.5, 0, 0.1),
        f"{mwg}[2]/mwg-rs:Name": "Outside",
        **area(2, 1.6, 0.5, 0.2, 0.2),
        f"{mwg}[3]/mwg-rs:Name": "Word",
        **area(3, "left", 0.5, 0.2, 0.2),
        f"{mwg}[4]/mwg-rs:Name": "<b>Ada</b>\x07 \u202e Lovelace",
        **area(4, 0.5, 0.5, 0.2, 0.2),
    }
    notes: list[str] = []
    regions = regions_from_xmp(xmp, 1, None, notes)
    assert [r.name for r in regions] == ["<b>Ada</b> Lovelace"]
    assert len(notes) == 4, notes
    assert any("'Zero' has no area" in n for n in notes)
    assert any("'Outside' lies outside the image" in n for n in notes)
    assert any("'Word'" in n and "unreadable" in n for n in notes)
    assert any("control characters" in n for n in notes)


def test_packets_with_a_dtd_or_broken_xml_are_refused():
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    assert "DTD" in check_packet(bomb)
    assert "not well-formed" in check_packet(b"<x:xmpmeta><rdf:RDF>")
    assert check_packet(b'<x:xmpmeta xmlns:x="adobe:ns:meta/"/>') is None


# ------------------------------------------------------------------ real photos


def _two_faces(photo: Path) -> tuple[Image.Image, list[tuple[int, int, int, int]]]:
    """The photo upright at 900 px and the boxes of its two largest faces, from the detector."""
    upright = ImageOps.exif_transpose(Image.open(photo)).convert("RGB")
    upright.thumbnail((900, 900))
    result = facegraph.analyse_photos([_save(upright, photo.parent / "probe.jpg")],
                                      facegraph.DetectionSettings(regions=False))[0]  # fmt: skip
    os.remove(photo.parent / "probe.jpg")
    boxes = sorted((f.box for f in result.faces), key=lambda b: -(b[2] - b[0]) * (b[3] - b[1]))
    assert len(boxes) >= 2
    return upright, boxes[:2]


def _save(image: Image.Image, path: Path) -> str:
    image.save(path, quality=93)
    return str(path)


def _grown(box, size, by=0.1):
    """A region as a person draws it: a little larger than the detector's box."""
    dx, dy = (box[2] - box[0]) * by, (box[3] - box[1]) * by
    return (max(0, box[0] - dx), max(0, box[1] - dy),
            min(size[0], box[2] + dx), min(size[1], box[3] + dy))  # fmt: skip


def test_every_orientation_and_place_names_the_right_faces_once(shared_faces, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(shared_faces / "groups" / "deepface_couple.jpg", work / "couple.jpg")
    upright, faces = _two_faces(work / "couple.jpg")
    names = ["Ada Example", "Bo Example"]
    photos = tmp_path / "photos"
    photos.mkdir()
    argfile, expected = [], {}
    for orientation in range(1, 9):
        stored = stored_version(upright, orientation)
        regions = [
            (name, box_in_stored(_grown(box, upright.size), upright.size, orientation))
            for name, box in zip(names, faces, strict=True)
        ]
        for where in ("embedded", "sidecar", "both"):
            for form in ("mwg", "mp", "both"):
                path = photos / f"o{orientation}-{where}-{form}.jpg"
                save_with_orientation(stored, path, orientation)
                expected[path.name] = dict(zip(names, faces, strict=True))
                args = region_args(regions, stored.size, form != "mp", form != "mwg")
                if where != "sidecar":
                    argfile += [*args, "-overwrite_original", str(path), "-execute"]
                if where != "embedded":
                    argfile += [*args, "-o", f"{path}.xmp", str(path), "-execute"]
    (tmp_path / "args.txt").write_text("\n".join(argfile) + "\n")
    run_exiftool("-q", "-@", str(tmp_path / "args.txt"))
    library = tmp_path / "library"
    result = CliRunner().invoke(main, ["ingest", str(photos), "--library", str(library), "--json"])
    assert result.exit_code == 0, result.output
    ingested = json.loads(result.output)
    assert ingested["errors"] == [] and ingested["names_from_photos"]["conflicts"] == []
    assert sorted(p for (p,) in query(library, "SELECT name FROM people")) == names
    rows = query(
        library,
        "SELECT i.path, p.name, f.box_left, f.box_top, f.box_right, f.box_bottom"
        " FROM faces f JOIN images i USING (image_id) JOIN people p USING (person_id)",
    )
    assert len(rows) == 2 * len(expected), "each named face once"
    for path, name, *box in rows:
        assert overlap(tuple(box), expected[Path(path).name][name]) > 0.6, (path, name, box)
    # digiKam's MWG + MP of one face, embedded + sidecar: two regions per photo, no more
    assert query(library, "SELECT count(*) FROM photo_regions")[0][0] == 2 * len(expected)
    assert query(library, "SELECT count(*) FROM photo_regions WHERE made_face")[0][0] == 0


def test_names_go_out_to_sidecars_and_come_back(shared_faces, tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    for name, orientation in (("deepface_couple.jpg", 6), ("obama_and_biden.jpg", 1)):
        upright = Image.open(shared_faces / "groups" / name).convert("RGB")
        upright.thumbnail((900, 900))
        save_with_orientation(stored_version(upright, orientation), photos / name, orientation)
    # a sidecar of another tool's making: a keyword, a pet and a face facegraph does not know
    other = photos / "obama_and_biden.jpg.xmp"
    run_exiftool("-q", "-XMP-dc:Subject=holiday", "-o", str(other),
                 *region_args([("Someone", (0.01, 0.01, 0.05, 0.06))], (900, 643), mp=False),
                 str(photos / "obama_and_biden.jpg"))  # fmt: skip
    library = tmp_path / "library"
    facegraph.ingest([photos], library, progress=False)
    facegraph.cluster_people(library)
    people = query(library, "SELECT person_id FROM people WHERE name IS NULL ORDER BY person_id")
    for n, (person,) in enumerate(people):
        name_person(library, person, f"Person Named {n}")
    done = export_regions(library, named_only=True)
    assert done.failed == [] and len(done.files) == 2
    # exiftool reads the sidecars back: names, and boxes in stored-image coordinates
    for path, orientation in (("deepface_couple.jpg", 6), ("obama_and_biden.jpg", 1)):
        read = json.loads(run_exiftool("-j", "-struct", "-XMP:all", f"{photos / path}.xmp"))[0]
        listed = {r.get("Name"): r["Area"] for r in read["RegionInfo"]["RegionList"]}
        faces = query(
            library,
            "SELECT p.name, f.box_left, f.box_top, f.box_right, f.box_bottom, i.width, i.height"
            " FROM faces f JOIN people p USING (person_id) JOIN images i USING (image_id)"
            " WHERE i.path LIKE ?",
            [f"%{path}"],
        )
        assert faces
        for name, *box, width, height in faces:
            want = box_in_stored(box, (width, height), orientation)
            area = listed[name]
            got = (area["X"] - area["W"] / 2, area["Y"] - area["H"] / 2,
                   area["X"] + area["W"] / 2, area["Y"] + area["H"] / 2)  # fmt: skip
            assert np.allclose(got, want, atol=0.001), (name, got, want)
        mp = {r["PersonDisplayName"] for r in read["RegionInfoMP"]["Regions"]}
        assert mp == {name for name, *_ in faces}
    kept = json.loads(run_exiftool("-j", "-struct", "-XMP:all", str(other)))[0]
    assert kept["Subject"] in ("holiday", ["holiday"])
    assert "Someone" in {r.get("Name") for r in kept["RegionInfo"]["RegionList"]}
    # a fresh library over the same photos and sidecars: the same people, the same names
    fresh = tmp_path / "fresh"
    result = CliRunner().invoke(main, ["ingest", str(photos), "--library", str(fresh)])
    assert result.exit_code == 0, result.output
    named = "SELECT i.path, p.name, f.box_left, f.box_top FROM faces f JOIN images i USING"
    named += " (image_id) JOIN people p USING (person_id) WHERE p.name LIKE 'Person Named%'"
    assert sorted(query(fresh, named)) == sorted(query(library, named))
    # the sidecars facegraph wrote are not read again as news by the library that wrote them
    again = facegraph.ingest([photos], library, progress=False)
    assert again.processed == 0
    # scored on those names: the same as --truth made of the same labels
    truth = tmp_path / "truth.csv"
    rows = query(
        fresh,
        "SELECT i.path, r.name, f.box_left, f.box_top, f.box_right, f.box_bottom"
        " FROM photo_regions r JOIN faces f USING (face_id) JOIN images i"
        " ON i.image_id = r.image_id WHERE r.name IS NOT NULL",
    )
    truth.write_text(
        "path,identity,left,top,right,bottom\n"
        + "".join(",".join(str(v) for v in row) + "\n" for row in rows)
    )
    from_regions = evaluate_from_regions(fresh)
    from_regions.pop("blind")
    assert from_regions == evaluate(fresh, truth)
    # forgetting a person takes their name out of the sidecars facegraph wrote
    person = query(library, "SELECT person_id FROM people WHERE name = 'Person Named 0'")[0][0]
    gone = forget_person(library, person)
    assert gone.region_files_failed == [] and len(gone.region_files_changed) >= 1
    for sidecar in photos.glob("*.xmp"):
        assert "Person Named 0" not in sidecar.read_text("utf-8")
    assert "Someone" in other.read_text("utf-8") and "holiday" in other.read_text("utf-8")


def _grace(tmp_path: Path):
    """A folder with Grace Hopper's portrait, and what the detector finds in it."""
    photos = tmp_path / "photos"
    photos.mkdir()
    grace_hopper().save(photos / "grace.jpg", quality=92)
    found = facegraph.analyse_photo(
        str(photos / "grace.jpg"), facegraph.DetectionSettings(regions=False)
    )
    return photos, found


def test_a_named_face_the_detector_misses_is_made_from_its_region(tmp_path):
    photos, plain = _grace(tmp_path)
    (face,) = plain.faces
    width, height = plain.width, plain.height
    box = _grown(face.box, (width, height), 0.3)  # drawn loosely, as people draw them
    normalised = (box[0] / width, box[1] / height, box[2] / width, box[3] / height)
    run_exiftool("-q", *region_args([("Grace Hopper", normalised)], (width, height)),
                 "-o", str(photos / "grace.jpg.xmp"), str(photos / "grace.jpg"))  # fmt: skip
    # a detector that keeps no face of this size: only the region can give it
    missed = facegraph.DetectionSettings(min_face=10_000)
    result = facegraph.analyse_photo(str(photos / "grace.jpg"), missed)
    (made,) = result.faces
    assert result.regions[0].made_face and result.regions[0].face == 0
    assert made.score is not None, "found by a search of the region, not its bare box"
    assert overlap(made.box, face.box) > 0.7
    assert np.linalg.norm(made.encoding - face.encoding) < 0.15


def _pair_library(tmp_path: Path, names: tuple[str, str]) -> tuple[Path, Path]:
    photos = tmp_path / "photos"
    photos.mkdir()
    pair = photos / "pair.jpg"
    side_by_side(grace_hopper(), astronaut()).save(pair, quality=92)
    found = facegraph.analyse_photo(str(pair), facegraph.DetectionSettings(regions=False))
    width, height = found.width, found.height
    boxes = sorted((f.box for f in found.faces), key=lambda b: b[0])
    regions = [
        (name, (b[0] / width, b[1] / height, b[2] / width, b[3] / height))
        for name, b in zip(names, boxes, strict=True)
    ]
    run_exiftool("-q", *region_args(regions, (width, height)), "-o", f"{pair}.xmp", str(pair))
    return photos, pair


def test_a_name_changed_in_the_file_is_followed_one_changed_in_facegraph_is_kept(tmp_path):
    photos, pair = _pair_library(tmp_path, ("Grace", "Eileen"))
    library = tmp_path / "library"
    runner = CliRunner()
    assert runner.invoke(main, ["ingest", str(photos), "--library", str(library)]).exit_code == 0
    people = dict(query(library, "SELECT name, person_id FROM people"))
    assert set(people) == {"Grace", "Eileen"}
    log = json.loads(
        runner.invoke(main, ["people", "log", "--library", str(library), "--json"]).output
    )
    assert "names-from-photos" in {entry["action"] for entry in log}
    # in facegraph, Eileen becomes "Eileen Collins" (a rename: the same person, no conflict);
    # in the file, Grace becomes "Grace Hopper"
    name_person(library, people["Eileen"], "Eileen Collins")
    sidecar = Path(f"{pair}.xmp")
    text = sidecar.read_text("utf-8").replace("Grace", "Grace Hopper")
    sidecar.write_text(text, "utf-8")
    result = runner.invoke(main, ["ingest", str(photos), "--library", str(library), "--json"])
    names = json.loads(result.output)["names_from_photos"]
    assert names["conflicts"] == [] and names["faces_named"] == 1
    assert sorted(n for (n,) in query(library, "SELECT name FROM people")) == [
        "Eileen Collins",
        "Grace Hopper",
    ]
    # now the file says "Ada" for the face facegraph calls Grace Hopper, who was placed there
    # by a person in facegraph: facegraph's name stays, and the disagreement is reported
    face = query(library, "SELECT f.face_id FROM faces f JOIN people p USING (person_id)"
                          " WHERE p.name = 'Eileen Collins'")[0][0]  # fmt: skip
    facegraph.accept_faces(library, [face], "Commander Collins")
    sidecar.write_text(sidecar.read_text("utf-8").replace("Eileen", "Ada"), "utf-8")
    result = runner.invoke(main, ["ingest", str(photos), "--library", str(library), "--json"])
    conflicts = json.loads(result.output)["names_from_photos"]["conflicts"]
    assert len(conflicts) == 1 and "'Ada'" in conflicts[0] and "Commander Collins" in conflicts[0]
    assert query(library, "SELECT count(*) FROM people WHERE name = 'Ada'")[0][0] == 0


def test_undo_takes_the_names_back_and_they_are_not_applied_again(tmp_path):
    photos, _ = _pair_library(tmp_path, ("Grace", "Eileen"))
    library = tmp_path / "library"
    facegraph.ingest([photos], library, progress=False)
    report = facegraph.cluster_people(library)
    assert report.named_from_photos == 2
    assert undo(library) == ["names-from-photos"]  # a clustering run is not an edit
    assert query(library, "SELECT count(*) FROM people WHERE name IS NOT NULL")[0][0] == 0
    facegraph.cluster_people(library)
    assert query(library, "SELECT count(*) FROM people WHERE name IS NOT NULL")[0][0] == 0


def test_no_regions_reads_none(tmp_path):
    photos, _ = _pair_library(tmp_path, ("Grace", "Eileen"))
    library = tmp_path / "library"
    result = CliRunner().invoke(
        main, ["ingest", str(photos), "--library", str(library), "--no-regions"]
    )
    assert result.exit_code == 0, result.output
    assert query(library, "SELECT count(*) FROM photo_regions")[0][0] == 0
    assert query(library, "SELECT count(*) FROM people")[0][0] == 0


@pytest.mark.parametrize(
    "sidecar, reason",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00 not xml", "cannot be read"),
        (
            b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:mwg-rs="http://www.metadata'
            b'workinggroup.com/schemas/regions/">',
            "not well-formed",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "http://www.metadataworkinggroup.com/'
            b'schemas/regions/">]><x>&a;&a;</x>',
            "DTD",
        ),
    ],
    ids=["not-xml", "truncated", "dtd"],
)
def test_a_bad_sidecar_is_one_line_and_the_photo_is_still_ingested(tmp_path, sidecar, reason):
    photos = tmp_path / "photos"
    photos.mkdir()
    grace_hopper().save(photos / "grace.jpg", quality=92)
    (photos / "grace.jpg.xmp").write_bytes(sidecar)
    report = facegraph.ingest([photos], tmp_path / "library", progress=False)
    assert report.errors == [] and report.faces_added == 1
    lines = [w for w in report.warnings if "grace.jpg" in w]
    assert len(lines) == 1 and reason in lines[0] and "grace.jpg.xmp" in lines[0], lines


def test_regions_embedded_in_a_photo_are_written_without_touching_its_pixels(tmp_path):
    photos, pair = _pair_library(tmp_path, ("Grace", "Eileen"))
    os.remove(f"{pair}.xmp")
    library = tmp_path / "library"
    facegraph.ingest([photos], library, progress=False)
    facegraph.cluster_people(library)
    for n, (person,) in enumerate(query(library, "SELECT person_id FROM people")):
        name_person(library, person, f"Embedded {n}")
    before = np.asarray(Image.open(pair))
    cli = ["export", "regions", "--embed", "--dry-run", "--library", str(library), "--json"]
    dry = CliRunner().invoke(main, cli)
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.output)["files"] == [str(pair)]
    assert "RegionInfo" not in run_exiftool("-XMP:all", str(pair))
    refused = CliRunner().invoke(
        main, ["export", "regions", "-o", "x.html", "--library", str(library)]
    )
    assert refused.exit_code == 2 and "drop -o/--out" in refused.output
    assert export_regions(library, embed=True).failed == []
    assert np.array_equal(np.asarray(Image.open(pair)), before)
    read = json.loads(run_exiftool("-j", "-struct", "-XMP:all", str(pair)))[0]
    assert {r["Name"] for r in read["RegionInfo"]["RegionList"]} == {"Embedded 0", "Embedded 1"}
    assert not Path(f"{pair}.xmp").exists()
    notes: list[str] = []
    regions = read_photo_regions(str(pair), pair.read_bytes(), 1, Image.open(pair).size).regions
    assert {r.name for r in regions} == {"Embedded 0", "Embedded 1"}, notes


@pytest.mark.parametrize("suffix", [".png", ".tif", ".webp", ".jpg"])
def test_regions_embedded_in_each_format_are_read(tmp_path, suffix):
    path = tmp_path / f"photo{suffix}"
    Image.new("RGB", (300, 200), (120, 90, 60)).save(path)
    regions = region_args([("Ada", (0.1, 0.2, 0.3, 0.5))], (300, 200), mp=False)
    run_exiftool("-q", "-overwrite_original", *regions, str(path))
    read = read_photo_regions(str(path), path.read_bytes(), 1, (300, 200))
    assert read.source == "embedded" and read.notes == []
    assert [r.name for r in read.regions] == ["Ada"]
    assert np.allclose(read.regions[0].box, (0.1, 0.2, 0.3, 0.5), atol=1e-6)


HOSTILE_SIDECAR = """<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF
  xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
 <rdf:Description rdf:about=""
   xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/"
   xmlns:stArea="http://ns.adobe.com/xmp/sType/Area#">
  <mwg-rs:Regions rdf:parseType="Resource"><mwg-rs:RegionList><rdf:Bag>
   <rdf:li rdf:parseType="Resource"><mwg-rs:Name>Nobody Wide</mwg-rs:Name>
    <mwg-rs:Type>Face</mwg-rs:Type>
    <mwg-rs:Area stArea:x="0.5" stArea:y="0.5" stArea:w="0" stArea:h="0.2"/></rdf:li>
   <rdf:li rdf:parseType="Resource"><mwg-rs:Name>Far Away</mwg-rs:Name>
    <mwg-rs:Type>Face</mwg-rs:Type>
    <mwg-rs:Area stArea:x="3.5" stArea:y="-2" stArea:w="0.2" stArea:h="0.2"/></rdf:li>
   <rdf:li rdf:parseType="Resource"><mwg-rs:Name
    >&lt;script&gt;alert(1)&lt;/script&gt;&#x9;\u202eGrace\u200b</mwg-rs:Name>
    <mwg-rs:Type>Face</mwg-rs:Type>
    <mwg-rs:Area stArea:x="{x}" stArea:y="{y}" stArea:w="{w}" stArea:h="{h}"/></rdf:li>
  </rdf:Bag></mwg-rs:RegionList></mwg-rs:Regions>
 </rdf:Description></rdf:RDF></x:xmpmeta>
<?xpacket end="w"?>
"""


def test_hostile_regions_are_one_line_each_and_the_photo_is_ingested(tmp_path):
    photos, plain = _grace(tmp_path)
    left, top, right, bottom = plain.faces[0].box
    w, h = (right - left) / plain.width, (bottom - top) / plain.height
    x, y = (left + right) / 2 / plain.width, (top + bottom) / 2 / plain.height
    (photos / "grace.jpg.xmp").write_text(HOSTILE_SIDECAR.format(x=x, y=y, w=w, h=h), "utf-8")
    library = tmp_path / "library"
    result = CliRunner().invoke(main, ["ingest", str(photos), "--library", str(library), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["errors"] == [] and report["faces_added"] == 1
    lines = report["warnings"]
    assert len(lines) == 3 and all("grace.jpg" in line for line in lines), lines
    assert any("'Nobody Wide' has no area" in line for line in lines)
    assert any("'Far Away' lies outside the image" in line for line in lines)
    assert any("control characters" in line for line in lines)
    # the name is text: kept as written, less the control characters, never run as markup
    assert query(library, "SELECT name FROM people") == [("<script>alert(1)</script> Grace",)]
    again = CliRunner().invoke(main, ["ingest", str(photos), "--library", str(library), "--json"])
    assert json.loads(again.output)["processed"] == 0, "nothing to do the second time"


def test_two_names_on_one_face_give_one_face_and_say_so(tmp_path):
    photos, plain = _grace(tmp_path)
    left, top, right, bottom = plain.faces[0].box
    box = (left / plain.width, top / plain.height, right / plain.width, bottom / plain.height)
    size = (plain.width, plain.height)
    args = [*region_args([("Grace Hopper", box)], size, mp=False),
            *region_args([("Amazing Grace", box)], size, mwg=False)]  # fmt: skip
    run_exiftool("-q", *args, "-o", str(photos / "grace.jpg.xmp"), str(photos / "grace.jpg"))
    library = tmp_path / "library"
    result = CliRunner().invoke(main, ["ingest", str(photos), "--library", str(library), "--json"])
    report = json.loads(result.output)
    assert report["faces_added"] == 1, "one face, however many regions name it"
    (conflict,) = report["names_from_photos"]["conflicts"]
    assert "'Grace Hopper' and 'Amazing Grace'" in conflict
    assert query(library, "SELECT name FROM people") == [("Grace Hopper",)]
