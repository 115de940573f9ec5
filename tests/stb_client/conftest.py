"""Fixtures the client's playback tests share: one lecture encoded once per session (ffmpeg is the slow part)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from server.core.channels_yaml import load_lineup
from tests.conftest import REPO
from tests.support.channel_media import encode_programme
from tests.support.http_server import serve_in_thread


@pytest.fixture(scope="session")
def lecture_40s(tmp_path_factory):
    """A 40 s lecture in the ladder's format (test pattern and a tone), as a folder to install()."""
    return encode_programme(tmp_path_factory.mktemp("lecture") / "lesson", load_lineup(REPO / "channels.yaml"), 40,
                            "testsrc2", 440)


@pytest.fixture(scope="session")
def channel_art(tmp_path_factory):
    """Every channel's slate and logo (ffmpeg draws them: a few seconds each), drawn once per session."""
    from server.broadcast.channel_art import ensure_channel_art
    from server.ingest.cards import find_cjk_font

    lineup, folder = load_lineup(REPO / "channels.yaml"), tmp_path_factory.mktemp("channel-art")
    for channel in lineup.channels:
        ensure_channel_art(folder, lineup, channel, find_cjk_font(), 10)
    return folder


@contextmanager
def tv_client(app, token: str, state: Path, screenshots: Path, vlc_args: tuple[str, ...] = (),
              display: str | None = None, options: tuple[str, ...] = ()) -> Iterator[str]:
    """`app` on a loopback server and the real TV client (`keting-stb run --headless`, libVLC with dummy output,
    `vlc_args` on top; or on the X `display`, full screen at 1280x720) paired to it with `token`, with more
    `options` of `run`; yields the client's HTTP remote URL, and stops both afterwards. The client has one player
    unless `options` say --standby on (a spare decoding beside every live test would load the machine for
    nothing: test_client_display tests it), and plays at most the ladder's 360p unless they say another
    --max-height (0: the screen's): a 720p decode in every client test doubled CI's load for nothing they check."""
    state.mkdir(exist_ok=True)  # a second client on the same folder: the box restarted
    (state / "token").write_text(token + "\n")
    screen = ["--size", "1280x720", "--no-evdev"] if display else ["--headless"]
    env = {**os.environ, "KETING_STB_STATE": str(state),
           **({"DISPLAY": display, "SDL_VIDEODRIVER": "x11", "SDL_AUDIODRIVER": "dummy"} if display else {})}
    with serve_in_thread(app) as url:
        process = subprocess.Popen([sys.executable, "-m", "stb_client.main", "--server", url, "run", *screen,
                                    "--remote-port", "0", "--screenshot-dir", str(screenshots), "--standby", "off",
                                    "--max-height", "360", *options,
                                    *(f"--vlc-arg={arg}" for arg in vlc_args)], cwd=REPO, env=env,
                                   stdout=subprocess.PIPE, text=True)
        try:
            yield process.stdout.readline().strip().removeprefix("remote: ").rstrip("/")
        finally:
            process.terminate()
            process.wait(timeout=20)


def real_clock_app(tmp_path: Path, **config):
    """The server over a fresh database and media folder in `tmp_path`, on the real clock (the TV client runs in
    real time), with `config` on top."""
    from datetime import UTC, datetime

    from server import create_app

    return create_app({"DATABASE": str(tmp_path / "k.db"), "MEDIA_ROOT": str(tmp_path / "media"), **config},
                      clock=lambda: datetime.now(UTC))


def publish_lecture(db, lineup, media: Path, encoded: Path, title: str, board_id: str = "dangke",
                    duration_s: float = 40.0) -> int:
    """A published video item playing the encoded lecture `encoded` (installed under `media`); its id."""
    from server.catalogue.items import create_item
    from tests.support.channel_media import install

    item = create_item(db, lineup, kind="video", board_id=board_id, title=title, duration_s=duration_s)
    db.execute("UPDATE items SET hls_path = ?, state = 'published' WHERE id = ?",
               [install(encoded, media, f"vod/{item}"), item])
    return item
