"""ffprobe validation of uploads: the bad-input corpus, audio-only, limits."""

from __future__ import annotations

import pytest

from server.core.errors import UserError
from server.ingest.probe import probe_source
from tests.support.clips import bad_inputs, ffmpeg, lecture_clip


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return bad_inputs(tmp_path_factory.mktemp("corpus"))


@pytest.mark.parametrize("case, message_id, words", [
    ("zero_bytes", "probe.empty", "0 字节"),
    ("text_as_mp4", "probe.not_media", "ffmpeg -i"),
    ("truncated_mp4", "probe.truncated_mp4", "不完整"),
    ("png", "probe.still_image", "png"),
    ("huge_header", "probe.too_large", "20000x20000"),
])
def test_bad_inputs_are_refused_with_what_was_found_and_what_to_do(corpus, case, message_id, words):
    with pytest.raises(UserError) as raised:
        probe_source(corpus[case])
    assert raised.value.message_id == message_id
    assert (raised.value.status, raised.value.code) == (422, "bad_media")
    assert words in raised.value.message()


def test_a_lecture_is_described(tmp_path):
    source = probe_source(lecture_clip(tmp_path / "talk.mp4", seconds=3, size="640x360"))
    assert (source.width, source.height, source.fps, source.video_codec, source.audio_codec) == (
        640, 360, 25.0, "h264", "aac")
    assert source.duration_s == pytest.approx(3.0, abs=0.1) and not source.audio_only


def test_audio_only_lectures_are_accepted(tmp_path):
    path = tmp_path / "talk.m4a"
    ffmpeg("-f", "lavfi", "-i", "sine=d=3", "-c:a", "aac", str(path))
    source = probe_source(path)
    assert source.audio_only and source.width is None and source.audio_codec == "aac"


def test_video_without_sound_is_accepted(tmp_path):
    assert probe_source(lecture_clip(tmp_path / "mute.mp4", audio=False)).audio_codec is None


def test_too_short(tmp_path):
    with pytest.raises(UserError, match="0.5 秒"):
        probe_source(lecture_clip(tmp_path / "blink.mp4", seconds=0.5))


def test_too_small_picture(tmp_path):
    with pytest.raises(UserError) as raised:
        probe_source(lecture_clip(tmp_path / "tiny.mp4", size="32x32"))
    assert raised.value.message_id == "probe.too_small"


def hostile_lists(folder) -> dict[str, bytes]:
    """Uploads that are not media but lists of other things ffmpeg would fetch: the reported attack was an HLS
    playlist naming a .ts outside the media folder, accepted and published as the upload."""
    outside = lecture_clip(folder / "outside.mp4", seconds=2)
    segment = folder / "private-recording.ts"
    ffmpeg("-i", str(outside), "-c", "copy", "-f", "mpegts", str(segment))
    secret = folder / "secret_key"
    secret.write_text("0123456789abcdef-do-not-leak")
    return {
        "hls": f"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n{segment}\n#EXT-X-ENDLIST\n".encode(),
        "hls_secret": f"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nfile:{secret}\n#EXT-X-ENDLIST\n".encode(),
        "concat": f"ffconcat version 1.0\nfile '{segment}'\n".encode(),
        "dash": (f'<?xml version="1.0"?><MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" '
                 f'mediaPresentationDuration="PT2S"><Period><AdaptationSet><Representation id="1" bandwidth="1">'
                 f'<BaseURL>{segment}</BaseURL></Representation></AdaptationSet></Period></MPD>').encode(),
    }


@pytest.mark.parametrize("kind", ["hls", "hls_secret", "concat", "dash"])
def test_a_playlist_or_list_of_other_files_is_refused_and_nothing_is_read(tmp_path, kind):
    upload = tmp_path / "upload.part"
    upload.write_bytes(hostile_lists(tmp_path)[kind])
    with pytest.raises(UserError) as raised:
        probe_source(upload)
    assert raised.value.message_id == "probe.not_media"
    assert "do-not-leak" not in raised.value.message() and str(tmp_path) not in raised.value.message()


def test_ffmpeg_itself_refuses_the_playlist_under_the_upload_options(tmp_path):
    """The options, not only the check above, stop it: the transcoder's ffmpeg opens nothing else either."""
    import subprocess

    from server.ingest.input_policy import input_args, upload_options

    upload = tmp_path / "item-1.source"
    upload.write_bytes(hostile_lists(tmp_path)["hls"])
    result = subprocess.run(["ffmpeg", "-v", "error", *input_args(upload_options(), upload), "-f", "null", "-"],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode != 0
    opened_freely = subprocess.run(["ffmpeg", "-v", "error", "-i", str(upload), "-f", "null", "-"],
                                   capture_output=True, text=True, timeout=60, check=False)
    assert opened_freely.returncode == 0, "without the options ffmpeg follows the playlist (the attack is real)"
