"""Subtitle sizes for real: the server's sized WebVTT files played by the box's libVLC player, which draws its
pictures into memory (libVLC's vmem output: the TV screen's stand-in), where the rows of white text are
measured. Larger sizes draw taller subtitles; a size chosen while a video plays takes over at once; the
on-screen display over the picture keeps its size whatever the subtitles' (it is not a subtitle)."""

from __future__ import annotations

import ctypes

import pytest
import vlc

from server.ingest.subtitles import SIZE_PERCENT, sized_path, styled, to_webvtt
from stb_client.hardware.player import MAX_SUBTITLE_TRACKS, VlcPlayer
from tests.support.clips import ffmpeg
from tests.support.processes import wait_for

pytestmark = pytest.mark.slow
W, H = 1280, 720
SRT = "1\n00:00:00,500 --> 00:00:29,500\n字幕大小测试\n".encode()


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """A dark 720p clip of thirty seconds, and its subtitles at every size as the server keeps them."""
    folder = tmp_path_factory.mktemp("subtitles")
    ffmpeg("-f", "lavfi", "-i", f"color=c=0x202020:s={W}x{H}:r=25:d=30", "-c:v", "libx264", "-preset", "ultrafast",
           "-pix_fmt", "yuv420p", str(folder / "clip.mp4"))
    vtt = to_webvtt(SRT)
    (folder / "zh.vtt").write_text(vtt, encoding="utf-8")
    for size, percent in SIZE_PERCENT.items():
        (folder / sized_path("zh.vtt", size)).write_text(styled(vtt, percent), encoding="utf-8")
    return folder


class Capture:
    """libVLC's pictures into one RV32 buffer (the last one drawn)."""

    def __init__(self, player: vlc.MediaPlayer):
        self.buffer = (ctypes.c_ubyte * (W * H * 4))()
        self.shown = 0

        @vlc.CallbackDecorators.VideoLockCb
        def lock(opaque, planes):
            planes[0] = ctypes.cast(self.buffer, ctypes.c_void_p)

        @vlc.CallbackDecorators.VideoUnlockCb
        def unlock(opaque, picture, planes):
            pass

        @vlc.CallbackDecorators.VideoDisplayCb
        def display(opaque, picture):
            self.shown += 1

        self.callbacks = (lock, unlock, display)  # kept alive as long as libVLC may call them
        player.video_set_callbacks(lock, unlock, display, None)
        player.video_set_format("RV32", W, H, W * 4)

    def rows(self, top: int, bottom: int) -> int:
        """How many rows between `top` and `bottom` hold white text (the glyphs' height, outline excluded)."""
        data = bytes(self.buffer)
        return sum(1 for y in range(top, bottom) if any(data[(y * W + x) * 4 + 1] > 200 for x in range(0, W, 2)))


def settled(capture: Capture, top: int, bottom: int) -> int:
    """The text's height once two pictures a few frames apart agree (a new track or marquee shows within frames)."""
    seen = []

    def steady():
        shown = capture.shown
        wait_for(lambda: capture.shown >= shown + 5, 5, "five more pictures")
        seen.append(capture.rows(top, bottom))
        return len(seen) >= 2 and seen[-1] == seen[-2] and seen[-1] > 0
    wait_for(steady, 10, "the text drawn steadily")
    return seen[-1]


def test_each_size_draws_taller_subtitles_and_leaves_the_on_screen_display_alone(clip):
    player = VlcPlayer(("--aout=dummy",))
    try:
        capture = Capture(player.player)
        player.play((clip / "clip.mp4").as_uri(), 0, (clip / "zh.vtt").as_uri())
        player.show_osd("正在播出 19:00 党课")  # the marquee: top left here, away from the subtitles
        player.player.video_set_marquee_int(vlc.VideoMarqueeOption.Position, 4 | 1)
        wait_for(lambda: player.player.get_time() >= 1000, 20, "the subtitle on screen")
        heights = {"standard": (settled(capture, H // 2, H), settled(capture, 0, H // 2))}
        for size in SIZE_PERCENT:  # chosen while it plays: the track at that size takes over at once
            player.set_subtitles((clip / sized_path("zh.vtt", size)).as_uri())
            previous = heights[list(heights)[-1]][0]
            wait_for(lambda previous=previous: capture.rows(H // 2, H) > previous, 5, f"the {size} subtitles")
            heights[size] = (settled(capture, H // 2, H), settled(capture, 0, H // 2))
        went_on = player.player.get_time()
        assert went_on > 1000, "the video went on playing (no restart)"
        # Round again: each size shows at once (a new track: a track chosen again would show nothing until its
        # next line), until MAX_SUBTITLE_TRACKS files were added; then tracks are chosen again, never added.
        for size in ("standard", *SIZE_PERCENT):
            url = (clip / ("zh.vtt" if size == "standard" else sized_path("zh.vtt", size))).as_uri()
            player.set_subtitles(url)
            wait_for(lambda size=size: settled(capture, H // 2, H) == heights[size][0], 5, f"the {size} size again")
        player.show_subtitles(False)
        player.show_subtitles(True)  # yellow off and on: the viewer's track (the larger one), not another
        wait_for(lambda: capture.rows(H // 2, H) == heights["larger"][0], 5, "the larger subtitles again")
        tracks = len(player.player.video_get_spu_description())
        for size in ("standard", "large", "larger") * 3:
            player.set_subtitles((clip / ("zh.vtt" if size == "standard" else sized_path("zh.vtt", size))).as_uri())
            wait_for(lambda: player._pending is None, 5, "the track known")
        assert len(player.player.video_get_spu_description()) == 1 + MAX_SUBTITLE_TRACKS  # "Disable" and six
        assert len(player.player.video_get_spu_description()) >= tracks
        assert player.player.get_time() > went_on  # never restarted
    finally:
        player.release()
    standard, large, larger = (heights[s][0] for s in ("standard", "large", "larger"))
    assert standard > 20 and large > standard * 1.3 and larger > large * 1.2, heights
    osd = [height[1] for height in heights.values()]
    assert max(osd) == min(osd), heights  # the on-screen display is not a subtitle: it keeps its size
