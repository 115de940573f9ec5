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
