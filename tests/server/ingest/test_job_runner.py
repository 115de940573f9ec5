"""Transcoding for real: the ladder contract on an upload, audio-only lectures, cancel,
and recovery when ffmpeg or the whole server is killed mid-encode."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from server.core.timestamps import utc_now
from server.ingest import transcode_jobs as jobs
from server.ingest.job_runner import run_job, staging_dir
from server.ingest.uploads import import_file
from server.web.context import current_lineup, get_db, site
from tests.conftest import REPO
from tests.support.clips import ffmpeg, lecture_clip
from tests.support.media_probe import extinf_durations, first_frame_is_key, keyframe_times, streams
from tests.support.processes import ffmpeg_pids, wait_for

pytestmark = pytest.mark.slow



def ladder(app, item_id: int) -> Path:
    """The folder an item's ladder went to (its name has a random part)."""
    with app.app_context():
        hls_path = get_db().execute("SELECT hls_path FROM items WHERE id = ?", [item_id]).fetchone()[0]
    return Path(app.config["MEDIA_ROOT"]) / hls_path.rsplit("/", 1)[0]

def imported(app, path: Path, board: str = "dangke") -> jobs.Job:
    with app.app_context():
        accepted = import_file(get_db(), current_lineup(), path, board, "", "讲者", utc_now(), app.config)
        return jobs.get_job(get_db(), accepted.job_id)


def integrated_lufs(playlist: Path) -> float:
    out = subprocess.run(["ffmpeg", "-nostats", "-i", str(playlist), "-map", "0:a", "-af", "ebur128",
                          "-f", "null", "-"], capture_output=True, text=True, check=True, timeout=120).stderr
    summary = out[out.rindex("Integrated loudness"):]
    return float(summary.split("I:")[1].split("LUFS")[0])


def test_an_upload_meets_the_ladder_contract(app, tmp_path):
    source = tmp_path / "会议.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=854x480:r=30:d=8",
           "-f", "lavfi", "-i", "aevalsrc=0.05*sin(2*PI*440*t)*(0.6+0.4*sin(2*PI*0.5*t)):s=44100:d=8",
           "-c:v", "libx264", "-preset", "ultrafast", "-g", "300", "-c:a", "aac", "-ac", "1", "-shortest",
           str(source))
    job = imported(app, source)
    with app.app_context():
        assert run_job(get_db(), site(), job.id) == "done"
        item = get_db().execute("SELECT * FROM items WHERE id = ?", [job.item_id]).fetchone()
        assert jobs.get_job(get_db(), job.id).progress == 100
    folder = ladder(app, job.item_id)
    assert re.fullmatch(rf"vod/{job.item_id}-[A-Za-z0-9_-]{{16}}/master.m3u8", item["hls_path"])  # unguessable
    assert item["state"] == "draft"
    # 480p source: never upscaled, so 480p and 360p only.
    master = (folder / "master.m3u8").read_text()
    assert [line for line in master.splitlines() if line.endswith(".m3u8")] == ["480p/index.m3u8", "360p/index.m3u8"]
    for rung, size in (("480p", (854, 480)), ("360p", (640, 360))):
        playlist = folder / rung / "index.m3u8"
        video, audio = sorted(streams(playlist), key=lambda s: s["codec_type"] != "video")
        assert (video["width"], video["height"], video["r_frame_rate"]) == (*size, "25/1")
        assert (audio["codec_name"], audio["profile"], audio["sample_rate"], audio["channels"]) == (
            "aac", "LC", "48000", 2)
        assert keyframe_times(playlist) == [0.0, 2.0, 4.0, 6.0]
        assert extinf_durations(playlist) == [2.0] * 4
        assert all(first_frame_is_key(seg) for seg in (folder / rung).glob("seg_*.ts"))
        assert integrated_lufs(playlist) == pytest.approx(-16.0, abs=1.0)
    assert (folder / "thumb.jpg").is_file() and (folder / "poster.jpg").is_file()
    assert not Path(job.source_path).exists(), "the original goes once the ladder is complete"
    assert not staging_dir(Path(app.config["MEDIA_ROOT"]), job.id).exists()


def test_an_audio_only_lecture_gets_its_board_card(app, tmp_path):
    source = tmp_path / "讲座.m4a"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=300:d=4", "-c:a", "aac", str(source))
    job = imported(app, source, board="daode")
    with app.app_context():
        assert run_job(get_db(), site(), job.id) == "done"
    folder = ladder(app, job.item_id)
    video = next(s for s in streams(folder / "720p" / "index.m3u8") if s["codec_type"] == "video")
    assert (video["width"], video["height"]) == (1280, 720)


def test_keep_originals_setting(app, tmp_path):
    app.config["KEEP_ORIGINALS"] = True
    job = imported(app, lecture_clip(tmp_path / "a.mp4", seconds=2))
    with app.app_context():
        assert run_job(get_db(), site(), job.id) == "done"
    assert Path(job.source_path).is_file()


def run_in_thread(app, job_id: int) -> tuple[threading.Thread, list]:
    result: list = []

    def target():
        with app.app_context():
            result.append(run_job(get_db(), site(), job_id))
    thread = threading.Thread(target=target)
    thread.start()
    return thread, result


def test_cancel_stops_ffmpeg_and_leaves_nothing(app, tmp_path):
    job = imported(app, lecture_clip(tmp_path / "long.mp4", seconds=30, size="1280x720"))
    thread, result = run_in_thread(app, job.id)
    media = app.config["MEDIA_ROOT"]
    wait_for(lambda: ffmpeg_pids(media), 30, "ffmpeg to start")
    with app.app_context():
        jobs.cancel(get_db(), job.id, utc_now())
    thread.join(timeout=60)
    assert result == ["cancelled"]
    assert ffmpeg_pids(media) == []
    assert list(Path(media).glob(f"vod/{job.item_id}-*")) == []
    assert not staging_dir(Path(media), job.id).exists()


def test_ffmpeg_killed_alone_is_retried_and_completes(app, tmp_path):
    job = imported(app, lecture_clip(tmp_path / "long.mp4", seconds=30, size="1280x720"))
    thread, result = run_in_thread(app, job.id)
    media = app.config["MEDIA_ROOT"]
    [pid] = wait_for(lambda: ffmpeg_pids(media), 30, "ffmpeg to start")
    wait_for(lambda: list(staging_dir(Path(media), job.id).rglob("seg_*.ts")), 30, "a first segment")
    os.kill(pid, signal.SIGKILL)
    thread.join(timeout=60)
    assert result == ["queued"], "a killed ffmpeg is the machine's fault: retry"
    with app.app_context():
        assert jobs.get_job(get_db(), job.id).error_tail
        assert run_job(get_db(), site(), job.id) == "done"
        assert jobs.get_job(get_db(), job.id).attempts == 2
    assert ffmpeg_pids(media) == []
    assert extinf_durations(ladder(app, job.item_id) / "720p" / "index.m3u8") == [2.0] * 15


def test_server_killed_mid_encode_leaves_no_orphan_and_the_job_completes(app, tmp_path):
    job = imported(app, lecture_clip(tmp_path / "long.mp4", seconds=30, size="1280x720"))
    media = app.config["MEDIA_ROOT"]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "KETING_DATABASE": app.config["DATABASE"], "KETING_MEDIA_ROOT": media,
           "KETING_ORIGINALS_DIR": app.config["ORIGINALS_DIR"], "KETING_PORT": str(port),
           "KETING_RECONCILE_INTERVAL": "1"}

    def serve():
        return subprocess.Popen([sys.executable, "-m", "server.cli", "serve"], cwd=REPO, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    server = serve()
    encoding = str(staging_dir(Path(media), job.id))  # the server also draws channel slates with ffmpeg
    try:
        [pid] = wait_for(lambda: ffmpeg_pids(encoding), 60, "the server's ffmpeg to start")
        wait_for(lambda: list(staging_dir(Path(media), job.id).rglob("seg_*.ts")), 30, "a first segment")
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
        wait_for(lambda: not ffmpeg_pids(media), 10, "the orphaned ffmpeg to die with the server")
        with app.app_context():
            assert jobs.get_job(get_db(), job.id).state == "running"  # as the dead server left it
        server = serve()

        def done():
            with app.app_context():
                return jobs.get_job(get_db(), job.id).state == "done"
        wait_for(done, 120, "the requeued job to complete")
    finally:
        server.kill()
        server.wait(timeout=10)
    with app.app_context():
        assert jobs.get_job(get_db(), job.id).attempts == 2
    folder = ladder(app, job.item_id)
    assert extinf_durations(folder / "720p" / "index.m3u8") == [2.0] * 15
    assert not staging_dir(Path(media), job.id).exists()
    # Whatever ffmpeg the killed server had running (a slate, say) dies with it.
    wait_for(lambda: not ffmpeg_pids(media), 10, "no ffmpeg left after the server was killed")


def decoded_picture_hashes(path: Path) -> list[str]:
    """MD5 of every decoded picture: equal only if the pictures are the same bit for bit."""
    out = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:v:0", "-f", "framemd5", "-"],
                         capture_output=True, text=True, check=True, timeout=120).stdout
    return [line.rsplit(",", 1)[1].strip() for line in out.splitlines() if line and not line.startswith("#")]


def test_a_source_that_already_is_a_rung_is_copied_not_encoded(app, tmp_path):
    source = lecture_clip(tmp_path / "ready.mp4", seconds=6, size="640x360", extra=(
        "-g", "50", "-keyint_min", "50", "-sc_threshold", "0", "-flags", "+cgop", "-b:v", "500k"))
    job = imported(app, source)
    pictures = decoded_picture_hashes(source)
    with app.app_context():
        assert run_job(get_db(), site(), job.id) == "done"
    out = ladder(app, job.item_id) / "360p" / "index.m3u8"
    assert decoded_picture_hashes(out) == pictures  # a re-encode is lossy: these would differ
    assert extinf_durations(out) == [2.0] * 3


def mean_luma(image: Path) -> float:
    out = subprocess.run(["ffmpeg", "-v", "error", "-i", str(image), "-vf", "format=gray,scale=1:1",
                          "-f", "rawvideo", "-"], capture_output=True, check=True, timeout=60).stdout
    return out[0]


def test_the_thumbnail_is_not_the_black_opening(app, tmp_path):
    source = tmp_path / "fade-in.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=640x360:r=25:d=10", "-f", "lavfi", "-i", "sine=d=10",
           "-vf", "drawbox=t=fill:c=black:enable='lt(t,2)'", "-c:v", "libx264", "-preset", "ultrafast",
           "-c:a", "aac", "-shortest", str(source))
    job = imported(app, source)
    with app.app_context():
        assert run_job(get_db(), site(), job.id) == "done"
    folder = ladder(app, job.item_id)
    assert mean_luma(folder / "thumb.jpg") > 40 and mean_luma(folder / "poster.jpg") > 40
