"""Faces in video: videos made here with PyAV from package photos, with known people in known
seconds and a cut between two shots; ingested by the real pipeline (FFmpeg, RetinaFace, dlib's
encodings) and clustered with photos."""

from __future__ import annotations

import json
import shutil
import signal
import struct
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
from click.testing import CliRunner
from conftest import astronaut, grace_hopper, open_page, query, screenshot, served_app
from PIL import Image
from test_network_page import search_and_tie
from test_resume import wait_for_a_commit

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


def test_two_people_seen_one_after_the_other_in_one_shot_are_not_tied(tmp_path, browser):
    folder, library = tmp_path / "media", tmp_path / "library"
    folder.mkdir()
    write_video(folder / "handover.mp4", [(scene(grace_hopper()), 2), (scene(astronaut()), 3)])
    facegraph.run([folder], library)
    items = query(library, "SELECT path FROM images WHERE kind = 'shot' ORDER BY path")
    assert [Path(p).name for (p,) in items] == ["handover.mp4#t=0.0,1.0", "handover.mp4#t=2.0,4.0"]
    assert facegraph.coappearance_network(library).number_of_edges() == 0
    assert query(library, "SELECT count(DISTINCT person_id) FROM faces") == [(2,)]
    # the weaker tie of one shot, when asked for: weight 0, and which shot
    weak = facegraph.coappearance_network(library, facegraph.NetworkFilter(same_shot=True))
    ((a, b, tie),) = weak.edges(data=True)
    assert tie["same_shot"] == 1 and tie["photos"] == 0 and tie["weight"] == 0
    (row,) = facegraph.run_query("same_shot", {}, library).to_pylist()
    assert row["video"] == str(folder / "handover.mp4") and row["shot_s"] == 0.0
    assert {row["person_a"], row["person_b"]} == {a, b}
    assert sorted(row["seen_a"] + row["seen_b"]) == [p for (p,) in items]  # one stretch each
    # the page says so, when asked for the weaker tie (through the CLI's flag)
    page = tmp_path / "net.html"
    done = CliRunner().invoke(main, ["export", "html", "-o", str(page), "--same-shot",
                                     "--library", str(library)])  # fmt: skip
    assert done.exit_code == 0, done.output
    with open_page(browser, page) as tab:
        tab.evaluate("() => window.facegraph.selectTie(0)")
        panel = tab.text_content("#panel-body")
        drawn = tab.evaluate("() => facegraph.edges.get().map((e) => [!!e.hidden, e.dashes])")
        hidden = tab.evaluate("() => window.facegraph.nodes.get().filter((n) => n.hidden).length")
        screenshot(tab, "network-same-shot-tie")
    assert drawn == [[False, True]] and hidden == 0  # both people, tied by a dashed line
    assert "0 shared photos" in panel
    assert "Also seen in 1 shot of a video, one after the other, never together" in panel


def tracks_of(library, video) -> list[tuple]:
    """Every track stored of `video`: its shot, seconds and box (to 0.1 px)."""
    rows = query(
        library,
        "SELECT i.path, f.start_s, f.end_s, f.best_s, round(f.box_left, 1), round(f.box_top, 1)"
        " FROM faces f JOIN images i USING (image_id) WHERE starts_with(i.path, ?)"
        " ORDER BY ALL",
        [str(video)],
    )
    return [(path.removeprefix(str(video)), *rest) for path, *rest in rows]


@pytest.mark.slow
def test_a_killed_ingest_carries_on_within_a_video_and_ends_as_an_uninterrupted_one(tmp_path):
    folder = tmp_path / "media"
    folder.mkdir()
    grace, eileen = grace_hopper(), astronaut()
    video = folder / "long.mp4"
    write_video(video, [(scene(grace), 10), (scene(grace, eileen, background=(90, 30, 30)), 10),
                        (scene(eileen, background=(200, 180, 120)), 10),
                        (scene(eileen, grace, background=(20, 120, 40)), 10)])  # fmt: skip
    settings = facegraph.DetectionSettings(video_part=5)  # 8 parts
    whole = tmp_path / "whole"
    facegraph.ingest([folder], whole, settings=settings, workers=2, progress=False)
    killed = tmp_path / "killed"
    run = (
        f"import facegraph; facegraph.ingest([{str(folder)!r}], {str(killed)!r}, workers=1,"
        " progress=False, batch_seconds=0, settings=facegraph.DetectionSettings(video_part=5))"
    )
    process = subprocess.Popen([sys.executable, "-c", run], stderr=subprocess.DEVNULL)
    wait_for_a_commit(killed)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    before = query(killed, "SELECT path, ingested_at, kind FROM images ORDER BY path")
    assert before and all(kind == "shot" for *_, kind in before), "the kill missed the video"

    resumed = facegraph.ingest([folder], killed, settings=settings, progress=False)
    assert resumed.new == 1 and resumed.errors == []
    after = dict(query(killed, "SELECT path, ingested_at FROM images"))
    assert all(after[path] == when for path, when, _ in before)  # not analysed again
    assert tracks_of(killed, video) == tracks_of(whole, video)  # nothing doubled or lost
    assert len(tracks_of(whole, video)) >= 6  # both people in parts of every shot
    assert query(killed, "SELECT count(*) FROM video_parts") == [(0,)]  # done: records gone
    assert query(killed, "SELECT kind, status FROM images WHERE path = ?", [str(video)]) == [
        ("video", "ok")
    ]


def turn_mp4(path: Path) -> None:
    """Mark an MP4 as phones mark a video filmed upright: its track's display matrix (in
    ``tkhd``) turns the stored picture a quarter clockwise to show it."""
    data = bytearray(path.read_bytes())
    at = data.index(b"tkhd") + 4
    matrix = at + 4 + (32 if data[at] == 1 else 20) + 16  # after the times, layer, volume
    data[matrix : matrix + 36] = struct.pack(">9i", 0, 1 << 16, 0, -(1 << 16), 0, 0, 0, 0, 1 << 30)
    path.write_bytes(bytes(data))


def test_a_phone_video_filmed_upright_is_seen_upright(tmp_path):
    folder, library = tmp_path / "media", tmp_path / "library"
    folder.mkdir()
    upright = Image.new("RGB", (720, 1280), (40, 60, 90))
    face = grace_hopper()
    face.thumbnail((560, 560))
    upright.paste(face, (80, 100))
    stored = Image.fromarray(np.rot90(np.asarray(upright)))  # as the sensor saw it: 1280x720
    write_video(folder / "phone.mp4", [(stored, 2)])
    turn_mp4(folder / "phone.mp4")
    grace_hopper().save(folder / "portrait.jpg", quality=92)
    facegraph.run([folder], library)
    assert query(library, "SELECT width, height, orientation FROM images WHERE kind = 'video'") == [
        (720, 1280, 6)  # turned a quarter clockwise to be shown, as EXIF would say
    ]
    (left, top, right, bottom, person), *more = query(
        library,
        "SELECT box_left, box_top, box_right, box_bottom, person_id FROM faces JOIN images"
        " USING (image_id) WHERE kind = 'shot'",
    )
    assert not more
    # where the face is in the upright picture (in the stored one it lies on its side)
    assert 80 < (left + right) / 2 < 640 and 100 < (top + bottom) / 2 < 640
    photo = query(library, "SELECT person_id FROM faces JOIN images USING (image_id)"
                           " WHERE kind = 'photo'")  # fmt: skip
    assert photo == [(person,)]  # the same person as in the photo: encoded upright


def test_a_tie_by_a_video_shows_its_frame_and_seconds_on_the_page_and_evidence_sheet(
    filmed, tmp_path, browser
):
    library = tmp_path / "library"
    shutil.copytree(filmed[0], library)  # named here, not in the module's library
    grace, eileen = (
        p
        for (p,) in query(
            library,
            "SELECT person_id FROM faces JOIN images USING (image_id)"
            " WHERE path LIKE '%#t=0.0,3.0' ORDER BY start_s",
        )
    )  # Grace is there first
    facegraph.name_person(library, grace, "Grace Hopper")
    facegraph.name_person(library, eileen, "Eileen Collins")
    page = tmp_path / "net.html"
    facegraph.export_network(library, "html", page)
    with open_page(browser, page) as tab:
        search_and_tie(tab, "Grace Hopper", 0)
        captions = tab.evaluate(
            """() => [...document.querySelectorAll("#panel figure")].map((f) => ({
            caption: f.querySelector("figcaption").textContent,
            width: f.querySelector("img").naturalWidth, height: f.querySelector("img").naturalHeight
            }))"""
        )
        screenshot(tab, "network-video-tie")
    (shown,) = captions
    assert shown["caption"].endswith("meeting.mp4 at 00:00-00:03")
    assert shown["width"] > shown["height"] > 0  # the frame of the 16:9 video

    _, (sheet, _) = facegraph.write_evidence(library, [grace, eileen], tmp_path / "evidence")
    loaded = "[...document.images].every((i) => i.complete)"
    with open_page(browser, sheet, ready=loaded) as tab:
        frame = tab.evaluate(
            """() => { const img = document.querySelector(".frame img");
            return {width: img.naturalWidth, text: document.body.textContent}; }"""
        )
        screenshot(tab, "evidence-video-tie")
    assert frame["width"] > 0
    assert "meeting.mp4 at 00:00-00:03; the frame shown: meeting.mp4 at 00:02" in frame["text"]

    (shot,) = query(library, "SELECT image_id FROM images WHERE path LIKE '%#t=0.0,3.0'")[0]
    with served_app(library) as url:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        tab = context.new_page()
        tab.goto(f"{url}/photos/{shot}")
        tab.wait_for_function(loaded)
        shown = tab.evaluate("() => [...document.images].map((i) => i.naturalWidth)")
        title = tab.text_content("h1")
        screenshot(tab, "review-video-shot")
        context.close()
    assert shown and all(width > 0 for width in shown)  # the frame, served by the app
    assert title == "meeting.mp4 at 00:00-00:03"


def test_a_moved_video_takes_its_shots_and_their_people_along(tmp_path):
    folder, library = tmp_path / "media", tmp_path / "library"
    folder.mkdir()
    write_video(folder / "clip.mp4", [(scene(grace_hopper(), astronaut()), 2)])
    facegraph.run([folder], library)
    faces = "SELECT i.path, f.face_id, f.person_id FROM faces f JOIN images i USING (image_id)"
    before = query(library, faces + " ORDER BY f.face_id")
    (folder / "clip.mp4").rename(folder / "renamed.mp4")
    report = facegraph.ingest([folder], library, progress=False)
    assert report.moved == 1 and report.processed == 0
    after = query(library, faces + " ORDER BY f.face_id")
    assert [(p.replace("clip.mp4", "renamed.mp4"), f, person) for p, f, person in before] == after
    assert facegraph.coappearance_network(library).number_of_edges() == 1


def test_a_shot_shorter_than_a_second_is_sampled_and_a_flash_is_no_cut(tmp_path):
    folder, library = tmp_path / "media", tmp_path / "library"
    folder.mkdir()
    blue, white = (
        Image.new("RGB", (1280, 720), (40, 60, 90)),
        Image.new("RGB", (1280, 720), "white"),
    )
    eileen = scene(astronaut())
    write_video(folder / "news.mp4", [
        (blue, 1.3),
        (scene(grace_hopper(), background=(200, 180, 120)), 0.5),  # 1.3-1.7: between samples
        (blue, 1.2),
        (eileen, 1.0), (white, 0.1), (eileen, 0.9),  # a camera flash at 4.0, a sampled second
    ])  # fmt: skip
    facegraph.ingest([folder], library, progress=False)
    tracks = [row[:4] for row in tracks_of(library, folder / "news.mp4")]
    assert tracks == [
        ("#t=1.3,1.3", 1.3, 1.3, 1.3),  # seen only between two samples: sampled at its cut
        ("#t=3.0,4.1", 3.0, 4.1, 3.0),  # the flash (4.0) not sampled, no cut: one track
    ]
