"""Faces in video: videos made here with PyAV from package photos, with known people in known
seconds and a cut between two shots; ingested by the real pipeline (FFmpeg, RetinaFace, dlib's
encodings) and clustered with photos."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest
from click.testing import CliRunner
from conftest import astronaut, grace_hopper, query
from PIL import Image

import facegraph
from facegraph.cli import main

RATE = 10


def scene(*people: Image.Image, background=(40, 60, 90)) -> Image.Image:
    canvas = Image.new("RGB", (1280, 720), background)
    for i, person in enumerate(people):
        face = person.copy()
        face.thumbnail((560, 560))
        canvas.paste(face, (60 + 620 * i, 80))
    return canvas


def write_video(path: Path, scenes: list[tuple[Image.Image, float]], audio: bool = False):
    """An H.264 video of `scenes` (picture, seconds), each panning slowly."""
    out = av.open(str(path), "w")
    stream = out.add_stream("libx264", rate=RATE)
    stream.width, stream.height, stream.pix_fmt = 1280, 720, "yuv420p"
    for picture, seconds in scenes:
        pixels = np.asarray(picture)
        for k in range(round(seconds * RATE)):
            frame = av.VideoFrame.from_ndarray(np.roll(pixels, k, axis=1), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)
    out.close()


@pytest.fixture(scope="module")
def filmed(tmp_path_factory):
    """Grace Hopper alone for 2 s, joined by Eileen Collins for 2 s, then a cut to Eileen
    alone for 3 s (another background); and a photo of Grace Hopper beside it."""
    root = tmp_path_factory.mktemp("video")
    folder = root / "media"
    folder.mkdir()
    grace, eileen = grace_hopper(), astronaut()
    write_video(
        folder / "meeting.mp4",
        [
            (scene(grace), 2),
            (scene(grace, eileen), 2),
            (scene(eileen, background=(200, 180, 120)), 3),
        ],
    )
    grace.rotate(3).save(folder / "portrait.jpg", quality=92)
    library = root / "library"
    report = facegraph.run([folder], library)
    return library, folder, report


def test_a_video_gives_its_shots_and_one_face_per_person_followed(filmed):
    library, folder, report = filmed
    assert report.ingest.errors == [] and report.ingest.processed == 2
    items = query(library, "SELECT path, kind, duration_s FROM images ORDER BY path")
    video = str(folder / "meeting.mp4")
    assert [(Path(p).name, k) for p, k, _ in items] == [
        ("meeting.mp4", "video"),
        ("meeting.mp4#t=0.0,3.0", "shot"),
        ("meeting.mp4#t=4.0,6.0", "shot"),
        ("portrait.jpg", "photo"),
    ]
    assert items[0][2] == pytest.approx(7.0, abs=0.2)
    stats = facegraph.stats(library)
    assert stats["images"] == 2 and stats["faces"] == 4  # the files; 3 tracks and the photo
    tracks = query(
        library,
        "SELECT i.path, f.start_s, f.end_s, f.person_id FROM faces f JOIN images i"
        " USING (image_id) WHERE i.kind = 'shot' ORDER BY i.path, f.start_s",
    )
    # 9 sightings in the sampled frames (0..6 s), followed into 3 tracks
    assert [(p.removeprefix(video), s, e) for p, s, e, _ in tracks] == [
        ("#t=0.0,3.0", 0.0, 3.0), ("#t=0.0,3.0", 2.0, 3.0), ("#t=4.0,6.0", 4.0, 6.0)
    ]  # fmt: skip
    grace_person, eileen_person, eileen_again = (person for *_, person in tracks)
    assert eileen_again == eileen_person != grace_person  # the two shots: one person
    (photo_person,) = query(
        library, "SELECT person_id FROM faces JOIN images USING (image_id) WHERE kind = 'photo'"
    )[0]
    assert photo_person == grace_person  # seen in a photo and in the video: one person


def test_people_seen_in_one_shot_are_tied_by_it_with_its_seconds(filmed, tmp_path):
    library, folder, _ = filmed
    result = CliRunner().invoke(main, ["export", "csv", "-o", str(tmp_path / "net.csv"),
                                       "--library", str(library)])  # fmt: skip
    assert result.exit_code == 0, result.output
    edges = (tmp_path / "net.edges.csv").read_text().splitlines()[1:]
    assert len(edges) == 1 and edges[0].split(",")[3] == "1"  # one shot together
    a, b = (int(v) for v in edges[0].split(",")[:2])
    together = CliRunner().invoke(
        main, ["together", str(a), str(b), "--library", str(library), "--json"]
    )
    (photo,) = json.loads(together.stdout)["photos"]
    assert photo["path"] == f"{folder / 'meeting.mp4'}#t=0.0,3.0"


def test_a_changed_video_replaces_its_shots_and_an_unchanged_one_is_left(tmp_path):
    folder, library = tmp_path / "media", tmp_path / "library"
    folder.mkdir()
    write_video(folder / "clip.mp4", [(scene(grace_hopper(), astronaut()), 2)])
    facegraph.ingest([folder], library, progress=False)
    assert facegraph.ingest([folder], library, progress=False).processed == 0
    write_video(folder / "clip.mp4", [(scene(astronaut()), 3)])
    changed = facegraph.ingest([folder], library, progress=False)
    assert changed.changed == 1
    shots = query(library, "SELECT path FROM images WHERE kind = 'shot'")
    assert [Path(p).name for (p,) in shots] == ["clip.mp4#t=0.0,2.0"]
    faces = query(library, "SELECT count(*) FROM faces f JOIN images i USING (image_id)"
                           " WHERE i.kind = 'shot'")  # fmt: skip
    assert faces == [(1,)]  # the old shot's two tracks are gone, nothing doubled


def test_bad_videos_are_one_line_each_and_the_rest_goes_on(tmp_path):
    folder = tmp_path / "media"
    folder.mkdir()
    (folder / "empty.mov").write_bytes(b"")
    (folder / "notes.mp4").write_text("not a video")
    write_video(folder / "whole.mp4", [(scene(grace_hopper()), 1)])
    (folder / "cut.mkv").write_bytes((folder / "whole.mp4").read_bytes()[:3000])
    sound = av.open(str(folder / "sound.mp4"), "w")
    stream = sound.add_stream("aac", rate=8000)
    samples = av.AudioFrame.from_ndarray(np.zeros((1, 8000), np.float32), format="fltp",
                                         layout="mono")  # fmt: skip
    samples.sample_rate = 8000
    for packet in [*stream.encode(samples), *stream.encode()]:
        sound.mux(packet)
    sound.close()
    report = facegraph.ingest([folder], tmp_path / "library", progress=False)
    reasons = {Path(path).name: why for path, why in report.errors}
    assert set(reasons) == {"empty.mov", "notes.mp4", "cut.mkv", "sound.mp4"}
    assert reasons["empty.mov"] == "empty file (0 bytes)"
    assert reasons["sound.mp4"] == "no video stream (audio only?)"
    assert all("\n" not in why and "[Errno" not in why for why in reasons.values())
    assert report.ok == 1  # whole.mp4


def test_two_people_seen_one_after_the_other_in_one_shot_are_not_tied(tmp_path):
    folder, library = tmp_path / "media", tmp_path / "library"
    folder.mkdir()
    write_video(folder / "handover.mp4", [(scene(grace_hopper()), 2), (scene(astronaut()), 3)])
    facegraph.run([folder], library)
    items = query(library, "SELECT path FROM images WHERE kind = 'shot' ORDER BY path")
    assert [Path(p).name for (p,) in items] == ["handover.mp4#t=0.0,1.0", "handover.mp4#t=2.0,4.0"]
    assert facegraph.coappearance_network(library).number_of_edges() == 0
    assert query(library, "SELECT count(DISTINCT person_id) FROM faces") == [(2,)]
