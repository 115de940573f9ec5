"""`keting-stb`: the set-top client's entry point.

Until the TV interface lands (issue: the set-top box client), this is a
text front-end over the set-top API: pair the box, list boards and items,
show an item. It stores the server address and token in the state folder.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import sys
import time
from pathlib import Path

from keting_i18n import text
from stb_client.link.server_api import ApiError, ServerApi, Unreachable

CLIENT_VERSION = "0.1.0"
STANDBY_CHOICES = ("auto", "on", "off")
# libVLC video outputs that draw into an X window the client gives them (any other, e.g. fb or drm, draws alone).
X_OUTPUTS = {"any", "gl", "xcb_x11", "xcb_xv", "xcb_glx", "glx", "opengl", "vdpau_display", "vaapi_x11"}


def state_dir() -> Path:
    """Where the box keeps its token: $KETING_STB_STATE, else ~/.local/state/keting-stb."""
    configured = os.environ.get("KETING_STB_STATE")
    return Path(configured) if configured else Path.home() / ".local" / "state" / "keting-stb"


def _load_token() -> str | None:
    path = state_dir() / "token"
    return path.read_text().strip() if path.exists() else None


def _save_token(token: str) -> None:
    folder = state_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "token"
    path.write_text(token + "\n")
    path.chmod(0o600)


def pair(api: ServerApi, serial: str, name: str, max_wait_s: float) -> int:
    """Register, show the pairing code, poll until approved, keep the token."""
    registration = api.register(serial, name, CLIENT_VERSION)
    print(text("stb.pairing_code", code=registration["pairing_code"]), flush=True)
    deadline = time.monotonic() + max_wait_s
    while time.monotonic() < deadline:
        answer = api.poll_token(registration["device_code"])
        if answer["status"] == "approved":
            _save_token(answer["token"])
            print(text("stb.paired"))
            return 0
        time.sleep(min(answer.get("interval", 5), max(0.0, deadline - time.monotonic())))
    print(text("stb.pairing_timeout"), file=sys.stderr)
    return 1


def _start_evdev(press) -> None:
    """IR receivers and HDMI-CEC through Linux input devices, when the box has any."""
    if not Path("/dev/input").is_dir():
        return
    try:
        import evdev  # noqa: F401
    except ImportError:
        print(text("stb.evdev_missing"), file=sys.stderr)
        return
    from stb_client.hardware.key_input import EvdevInput

    EvdevInput(press).start()


def _video_setup(args, screen):
    """Where libVLC draws and whether a spare player prepares the next channel: (windows, standby).

    On an X display the client makes a window per player inside its own (video_windows.py), for libVLC's X outputs
    (X_OUTPUTS); headless, the players draw nowhere. Any other output (--vlc-arg=--vout=fb, KMS/DRM) lets one
    player draw, so there is no spare.
    A box short of memory (standby.affordable), drawing on a display without a GPU (standby.has_gpu) or told
    --standby=off keeps one player too; --standby=on skips both checks."""
    from stb_client.hardware.standby import affordable, has_gpu

    wanted = args.standby == "on" or (args.standby == "auto" and affordable())
    if args.headless:
        return None, wanted
    parent = screen.x_window()
    outputs = [arg.removeprefix("--vout=") for arg in args.vlc_arg if arg.startswith("--vout=")]
    if parent is None or any(output not in X_OUTPUTS for output in outputs):
        return None, False
    if wanted and args.standby == "auto" and not has_gpu():
        print(text("stb.standby_no_gpu"), file=sys.stderr)
        wanted = False
    try:
        from stb_client.hardware.video_windows import VideoWindows
    except ImportError:
        print(text("stb.xlib_missing"), file=sys.stderr)
        return None, False
    try:
        return VideoWindows(parent, 2 if wanted else 1), wanted
    except Exception as error:  # Xlib's errors (no access to the display): libVLC's own window still plays
        print(text("stb.video_windows_failed", detail=error), file=sys.stderr)
        return None, False


def run_tv(args, api: ServerApi) -> int:
    """The TV interface until stopped (SIGTERM or closing the window); it never stops by itself."""
    if args.headless:
        os.environ["SDL_VIDEODRIVER"] = "dummy"
    from stb_client.app import ClientApp
    from stb_client.hardware.fonts import cjk_font
    from stb_client.hardware.heap import keep_heap_small
    from stb_client.hardware.player import VlcPlayer
    from stb_client.hardware.renderer import Screen

    keep_heap_small()  # before libVLC allocates: freed picture buffers return to the system

    width, height = (int(part) for part in args.size.lower().split("x"))
    try:
        screen = Screen(cjk_font(), (width, height), fullscreen=not (args.windowed or args.headless))
    except Exception as error:  # pygame.error (no such driver, no device): say it plainly
        driver = os.environ.get("SDL_VIDEODRIVER") or "auto"
        print(text("stb.no_display", driver=driver, detail=error), file=sys.stderr)
        return 2
    headless = ("--vout=dummy", "--aout=dummy") if args.headless else ()
    windows, standby = _video_setup(args, screen)
    player = VlcPlayer((*headless, *args.vlc_arg),  # a --vlc-arg after them wins (tests: --aout=afile)
                       fullscreen=not (args.windowed or args.headless), windows=windows, standby=standby,
                       max_height=args.max_height or height)
    from stb_client.link.cache import AnswerCache

    app = ClientApp(api, screen, player, _save_token, args.remote_port, args.serial, CLIENT_VERSION,
                    AnswerCache(state_dir() / "cache.sqlite3"),
                    Path(args.screenshot_dir) if args.screenshot_dir else state_dir() / "screenshots")
    if not args.no_evdev:
        _start_evdev(app.press)
    signal.signal(signal.SIGTERM, lambda *_: app.stop_from_signal())
    if app.remote is not None:
        print(f"remote: http://127.0.0.1:{app.remote.port}/", flush=True)
    try:
        app.run()
    finally:
        player.release()
        screen.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    """The `keting-stb` command: pair, list boards or a board's items, show an item, or run the TV interface."""
    parser = argparse.ArgumentParser(prog="keting-stb", description="Keting set-top client.")
    parser.add_argument("--server", default=os.environ.get("KETING_STB_SERVER", "http://127.0.0.1:8080"))
    commands = parser.add_subparsers(dest="command", required=True)
    pairing = commands.add_parser("pair", help="register with the server and wait for approval")
    pairing.add_argument("--serial", default=platform.node() or "keting-stb")
    pairing.add_argument("--name", default="")
    pairing.add_argument("--wait", type=float, default=24 * 3600, help="give up after this many seconds")
    commands.add_parser("boards", help="list the boards")
    listing = commands.add_parser("items", help="list a board's items")
    listing.add_argument("board")
    listing.add_argument("--page", type=int, default=1)
    showing = commands.add_parser("show", help="show one item as JSON")
    showing.add_argument("item", type=int)
    tv = commands.add_parser("run", help="the TV interface (full screen; pairs first if needed)")
    tv.add_argument("--windowed", action="store_true", help="a window instead of full screen")
    tv.add_argument("--headless", action="store_true", help="no screen, no sound (SDL and libVLC dummies)")
    tv.add_argument("--size", default="1920x1080", help="window size, e.g. 1280x720")
    tv.add_argument("--vlc-arg", action="append", default=[],
                    help="an extra libVLC option, e.g. --vlc-arg=--vout=fb on a box without a desktop")
    tv.add_argument("--standby", choices=STANDBY_CHOICES, default=os.environ.get("KETING_STB_STANDBY", "auto"),
                    help="auto: a second player keeps the next channel ready (instant CH+/CH-) where the box has "
                         "the memory and the display for it; on: without the memory check; off: one player")
    tv.add_argument("--max-height", type=int, default=0,
                    help="the highest picture played, in lines (default: the screen's height); lower on a slow link")
    tv.add_argument("--no-evdev", action="store_true", help="do not read Linux input devices (IR, HDMI-CEC)")
    tv.add_argument("--remote-port", type=int, default=int(os.environ.get("KETING_STB_REMOTE_PORT", "8765")),
                    help="the HTTP remote on 127.0.0.1 (0: any free port)")
    tv.add_argument("--serial", default=platform.node() or "keting-stb")
    tv.add_argument("--screenshot-dir", default="",
                    help="where the HTTP remote's screenshots go (default: screenshots/ in the state folder)")
    args = parser.parse_args(argv)
    if args.command == "run" and args.standby not in STANDBY_CHOICES:  # from KETING_STB_STANDBY, unchecked
        parser.error(f"KETING_STB_STANDBY={args.standby!r}: use one of {', '.join(STANDBY_CHOICES)}")

    api = ServerApi(args.server, _load_token())
    if args.command == "run":
        return run_tv(args, api)
    try:
        if args.command == "pair":
            return pair(api, args.serial, args.name, args.wait)
        if api.token is None:
            print(text("stb.not_paired"), file=sys.stderr)
            return 1
        if args.command == "boards":
            for board in api.boards():
                print(f"{board['key']}  {board['name']}  ({board['item_count']})")
        elif args.command == "items":
            page = api.board_items(args.board, args.page)
            for item in page["items"]:
                print(f"{item['id']:>5}  {item['title']}")
            print(text("stb.page", page=page["page"], pages=page["pages"], total=page["total"]))
        elif args.command == "show":
            print(json.dumps(api.item(args.item), ensure_ascii=False, indent=2))
    except ApiError as error:
        print(error.message, file=sys.stderr)
        return 1
    except Unreachable:
        print(text("stb.unreachable", server=args.server), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
