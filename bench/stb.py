"""The set-top client on a small box's terms: start, key to frame, zap, instant zap, memory, CPU.

Runs the real client headless (SDL dummy video driver, libVLC dummy output)
against a real server on loopback (the app in a thread; real encoded
programmes on two channels) and drives it through its HTTP remote:
  start      process start to the Home screen drawn with the boards (median of ROUNDS)
  key        key to finished frame, from the client's own measure (p50, p95 of KEYS presses)
  zap        CH+ to the first displayed picture of the new channel, measured by the client from
             the key's arrival (median of ZAPS), with one player (--standby off): a cold zap
  rss        the client's resident memory while playing live, with one player and with the spare
  cpu        the client's share of one core on Home with nothing pressed, and playing channel 1 live
             (median of --cpu-rounds windows, taking turns with the reference), with one player and
             with the spare player preparing channel 2 beside it
  screen     on a virtual X display (Xvfb, bench/zap_screen.py): CH+ to the new channel's picture on the
             screen, with the neighbour prepared (zap_neighbour_s), cold, and plain libVLC; CPU watching
             there with the spare drawing hidden and with one player (the X server's own work not counted)
References in the same run: plain libVLC, one instance and player kept, a new media per
zap on the same channel URLs (what DESIGN.md measured at 0.27-0.30 s); plain libVLC alone
in a process playing the same channel, for the CPU (the channels differ: channel 1 plays a
lecture, channel 2 a slate; an earlier version compared the client on one with libVLC on the other).

    .venv/bin/python bench/stb.py [--zaps 20] [--keys 100] [--rounds 3] [--cpu-seconds 8]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from zap_screen import client_zaps, showing  # noqa: E402
from zap_screen import plain_vlc_zaps as plain_vlc_screen_zaps  # noqa: E402

from server import create_app  # noqa: E402
from server.accounts.devices import approve_device, claim_token, register_device  # noqa: E402
from server.broadcast.channel_art import ensure_channel_art  # noqa: E402
from server.catalogue.items import create_item  # noqa: E402
from server.ingest.cards import find_cjk_font  # noqa: E402
from server.web.context import (  # noqa: E402
    current_lineup,
    get_db,
    station,  # noqa: E402
)
from stb_client.hardware.player import quality_options  # noqa: E402
from tests.support.channel_media import encode_programme, install  # noqa: E402
from tests.support.http_server import serve_in_thread  # noqa: E402
from tests.support.xdisplay import ScreenReader, virtual_display  # noqa: E402

# The references play the rung the client plays (its --max-height is the screen's, 1080 headless, 720 on Xvfb:
# both give the ladder's 720p): libVLC's default adaptive logic would stay on 360p, far cheaper to decode.
QUALITY = quality_options(1080)


def prepare(root: Path):
    """A server app with a 60 s test-pattern lecture on board 5 (channel 1's filler), the same pattern in negative
    on 科普知识 (channel 2's), slates; a box token."""
    media = root / "media"
    app = create_app({"DATABASE": str(root / "k.db"), "MEDIA_ROOT": str(media), "SLATE_SECONDS": 10,
                      "SLATE_CLOCK_SECONDS": 0},
                     clock=lambda: datetime.now(UTC))
    now = datetime.now(UTC)
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        for channel in lineup.channels:
            ensure_channel_art(media, lineup, channel, find_cjk_font(), 10)
        lesson = encode_programme(root / "lesson", lineup, 60, "testsrc2", 440)
        # Channel 2 moves as much (the spare decodes it while channel 1 is watched), in other colours.
        negative = encode_programme(root / "negative", lineup, 60, "testsrc2", 660, ("negate",))
        for n in range(12):
            for board, encoded, title in (("dangke", lesson, f"支部党课第{n + 1}讲"),
                                          ("kepu", negative, f"科普第{n + 1}讲")):
                item = create_item(db, lineup, kind="video", board_id=board, title=title, duration_s=60.0)
                db.execute("UPDATE items SET hls_path = ?, state = 'published' WHERE id = ?",
                           [install(encoded, media, f"vod/{item}"), item])
        registration = register_device(db, "BENCH", "bench", "bench", now, 3600)
        approve_device(db, registration.pairing_code, None, now)
        token = claim_token(db, registration.device_code, now).token
        station().keep_built(db, lineup, now - timedelta(seconds=30))
    return app, token


def status(remote: str) -> dict:
    """The client's state as its HTTP remote's /status reports it."""
    return json.loads(urllib.request.urlopen(f"{remote}/status", timeout=5).read())


def press(remote: str, key: str) -> None:
    """Press `key` on the client through its HTTP remote."""
    urllib.request.urlopen(urllib.request.Request(f"{remote}/keys/{key}", method="POST"), timeout=5)


def wait(remote: str, condition, deadline_s: float = 30.0, step_s: float = 0.005) -> dict:
    """Poll the client's status until `condition` holds and return it; fail after `deadline_s`."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        current = status(remote)
        if condition(current):
            return current
        time.sleep(step_s)  # polling the client's status, bounded by the deadline
    raise SystemExit("the client did not get there in time")


def start_client(url: str, state: Path, standby: str = "auto",
                 display: str | None = None) -> tuple[subprocess.Popen, str, float]:
    """Start the client with an HTTP remote (headless, or full screen on X `display`); return it, the remote's URL and
    seconds to Home with boards."""
    started = time.monotonic()
    screen = ["--size", "1280x720", "--no-evdev", "--vlc-arg=--aout=dummy"] if display else ["--headless"]
    env = {**os.environ, "KETING_STB_STATE": str(state),
           **({"DISPLAY": display, "SDL_VIDEODRIVER": "x11", "SDL_AUDIODRIVER": "dummy"} if display else {})}
    process = subprocess.Popen([sys.executable, "-m", "stb_client.main", "--server", url, "run", *screen,
                                "--remote-port", "0", "--standby", standby], cwd=REPO, env=env,
                               stdout=subprocess.PIPE, text=True)
    remote = process.stdout.readline().strip().removeprefix("remote: ").rstrip("/")
    try:
        wait(remote, lambda s: s.get("ready") and s["view"] == "home" and len(s["texts"]) > 5)
    except BaseException:
        process.kill()
        raise
    return process, remote, time.monotonic() - started


def rss_mib(pid: int) -> float:
    """Resident memory of process `pid` in MiB, from /proc (0 if not reported)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used (its children not included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_percent(pid: int, seconds: float) -> float:
    """Share of one core `pid` uses over the next `seconds`."""
    before, started = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)  # the measuring window itself
    return 100 * (cpu_seconds(pid) - before) / (time.monotonic() - started)


PLAIN_VLC = """
import sys, time, vlc
instance = vlc.Instance("--vout=dummy", "--aout=dummy", "--quiet")
player = instance.media_player_new()
player.set_media(instance.media_new(sys.argv[1], *sys.argv[3:]))
player.play()
print("playing", flush=True)
time.sleep(float(sys.argv[2]))
"""


def plain_vlc_cpu(url: str, seconds: float) -> float:
    """The reference: libVLC alone playing the same channel, in a process of its own."""
    process = subprocess.Popen([sys.executable, "-c", PLAIN_VLC, url, str(seconds + 5), *QUALITY],
                               stdout=subprocess.PIPE, text=True)
    try:
        process.stdout.readline()
        time.sleep(2.0)  # past the start, as the client is when it is measured
        return cpu_percent(process.pid, seconds)
    finally:
        process.terminate()
        process.wait(timeout=20)


def cpu_rounds(pid: int, remote: str, url: str, rounds: int, seconds: float) -> tuple[list, list, list]:
    """The client's CPU playing channel 1 (a lecture: the channels differ in cost, a slate is far cheaper) and plain
    libVLC's on the same channel, in turns, so a machine's drift touches both; the client waits on Home (its
    player stopped) while plain libVLC is measured. A client with a spare player is measured once channel 2 is
    prepared beside it. Returns the client's, plain libVLC's, and the client's RSS (MiB) after each window."""
    client, plain, rss = [], [], []
    for _ in range(rounds):
        press(remote, "1" if status(remote)["view"] == "live" else "ch_up")  # channel 1 (from Home: the last one)
        wait(remote, lambda s: s["view"] == "live" and (s["playback"] or {}).get("channel") == 1
             and s["displayed_pictures"] > 0)
        time.sleep(11.0)  # past the channel banner, as a viewer watching
        wait(remote, lambda s: s["standby"] is None or s["standby"]["ready"])
        client.append(cpu_percent(pid, seconds))
        rss.append(rss_mib(pid))
        press(remote, "home")
        wait(remote, lambda s: s["view"] == "home" and s["playback"] is None)
        plain.append(plain_vlc_cpu(f"{url}/live/1/master.m3u8", seconds))
    return client, plain, rss


def plain_vlc_zaps(urls: list[str], zaps: int) -> list[float]:
    """The reference: one libVLC instance and player, a new media per zap."""
    import vlc

    instance = vlc.Instance("--vout=dummy", "--aout=dummy", "--quiet", "--network-caching=1000")
    player = instance.media_player_new()
    times = []
    try:
        for n in range(zaps):
            media = instance.media_new(urls[n % len(urls)], *QUALITY)
            started = time.monotonic()
            player.set_media(media)
            player.play()
            stats = vlc.MediaStats()
            while time.monotonic() - started < 10:
                if media.get_stats(stats) and stats.displayed_pictures > 0:
                    break
                time.sleep(0.002)  # polling libVLC's counters
            times.append(time.monotonic() - started)
    finally:
        player.stop()
        player.release()
        instance.release()
    return times


def new_state(root: Path, name: str, token: str) -> Path:
    """A fresh state folder for a client, with the box's token."""
    state = root / name
    shutil.rmtree(state, ignore_errors=True)
    state.mkdir()
    (state / "token").write_text(token + "\n")
    return state


def stop(process: subprocess.Popen) -> None:
    """End a client process."""
    process.terminate()
    process.wait(timeout=20)


def one_player(args, root: Path, url: str, token: str) -> dict:
    """The client with one player: start (rounds), key to frame, cold zaps, CPU and memory."""
    starts = []
    for n in range(args.rounds):
        process, remote, seconds = start_client(url, new_state(root, f"one-{n}", token), standby="off")
        starts.append(seconds)
        if n < args.rounds - 1:
            stop(process)
    try:
        menu_cpu = cpu_percent(process.pid, args.cpu_seconds)  # Home, nothing pressed
        for n in range(args.keys):
            press(remote, "right" if n % 8 < 4 else "left")
            time.sleep(0.03)
        latencies = wait(remote, lambda s: len(s["key_latency_ms"]) >= args.keys)["key_latency_ms"]
        press(remote, "ch_up")
        wait(remote, lambda s: s["view"] == "live" and s["displayed_pictures"] > 0)
        for n in range(args.zaps):
            press(remote, "ch_up")
            # The client measures key arrival to the new channel's first picture itself.
            wait(remote, lambda s, n=n: len(s["zap_ms"]) >= n + 2, step_s=0.01)
            time.sleep(1.0)  # watch a moment, as a viewer would, before the next zap
        zaps = [ms / 1000 for ms in status(remote)["zap_ms"][-args.zaps:]]
        cpu, plain_cpu, rss = cpu_rounds(process.pid, remote, url, args.cpu_rounds, args.cpu_seconds)
    finally:
        stop(process)
    return {"starts": starts, "menu_cpu": menu_cpu, "latencies": latencies, "zaps": zaps, "cpu": cpu,
            "plain_cpu": plain_cpu, "rss": rss}


def with_spare(args, root: Path, url: str, token: str) -> dict:
    """The client with its spare player preparing the neighbour: CPU and memory while watching, after as many
    channel changes as the cold zaps (memory grows with them: stb_client/hardware/heap.py)."""
    process, remote, _ = start_client(url, new_state(root, "spare", token), standby="auto")
    try:
        if status(remote)["standby"] is None:
            raise SystemExit("this machine is short of memory for the spare player (stb_client/hardware/standby.py)")
        press(remote, "ch_up")
        wait(remote, lambda s: s["view"] == "live" and s["displayed_pictures"] > 0)
        for n in range(args.zaps):
            press(remote, "ch_up" if n % 2 else "ch_down")
            wait(remote, lambda s, n=n: len(s["zap_ms"]) >= n + 2, step_s=0.01)
            time.sleep(2.0)  # watch a moment: the spare prepares the next neighbour, or upgrades the picture
        cpu, plain_cpu, rss = cpu_rounds(process.pid, remote, url, args.cpu_rounds, args.cpu_seconds)
    finally:
        stop(process)
    return {"cpu": cpu, "plain_cpu": plain_cpu, "rss": rss}


def on_screen(args, root: Path, url: str, token: str) -> dict:
    """On a virtual X display: CH+ to the picture on screen with the neighbour prepared, cold, and plain libVLC;
    the client's CPU watching channel 1 there, with the spare drawing channel 2 hidden and with one player."""
    results = {}
    with virtual_display("1280x720") as display:
        reader = ScreenReader(display)
        try:
            # --standby on: auto keeps one player where no GPU draws (standby.has_gpu), as on Xvfb
            for name, standby in (("neighbour", "on"), ("cold", "off")):
                process, remote, _ = start_client(url, new_state(root, f"screen-{name}", token), standby, display)
                try:
                    press(remote, "ch_up")
                    wait(remote, lambda s: s["view"] == "live" and (s["playback"] or {}).get("channel") == 1)
                    end = time.monotonic() + 30
                    while not showing(reader, 1):
                        if time.monotonic() > end:
                            raise SystemExit("channel 1 did not show on the X screen")
                        time.sleep(0.01)  # polling the X screen, bounded by the deadline
                    results[name] = client_zaps(reader, lambda key, r=remote: press(r, key),
                                                lambda r=remote: status(r), args.zaps, prepared=standby == "on")
                    # CPU watching channel 1 on the X screen, the spare (if any) drawing channel 2 hidden.
                    press(remote, "1")
                    wait(remote, lambda s: (s["playback"] or {}).get("channel") == 1)
                    time.sleep(11.0)  # past the banner, and back to full quality
                    wait(remote, lambda s: s["standby"] is None or s["standby"]["ready"])
                    results[f"cpu_{name}"] = [cpu_percent(process.pid, args.cpu_seconds)
                                              for _ in range(args.cpu_rounds)]
                finally:
                    stop(process)
            results["plain"] = plain_vlc_screen_zaps(display, url, args.zaps)
        finally:
            reader.close()
    return results


def main() -> None:
    """Measure the client's start, key latency, zaps, memory and CPU against plain libVLC, and print the results."""
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--zaps", type=int, default=20)
    parser.add_argument("--keys", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cpu-seconds", type=float, default=8.0)
    parser.add_argument("--cpu-rounds", type=int, default=5,
                        help="playing-CPU windows, the client's and plain libVLC's taking turns")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="keting-bench-stb-") as name:
        root = Path(name)
        app, token = prepare(root)
        with serve_in_thread(app) as url:
            one = one_player(args, root, url, token)
            spare = with_spare(args, root, url, token)
            screen = on_screen(args, root, url, token)
            reference = plain_vlc_zaps([f"{url}/live/1/master.m3u8", f"{url}/live/2/master.m3u8"], args.zaps)
    median = statistics.median
    ordered = sorted(one["latencies"])
    p50, p95 = median(ordered), ordered[int(len(ordered) * 0.95) - 1]
    zap, plain = median(one["zaps"]), median(reference)
    neighbour, cold, plain_screen = (median(screen[name]) for name in ("neighbour", "cold", "plain"))
    x_spare, x_one = median(screen["cpu_neighbour"]), median(screen["cpu_cold"])
    one_cpu, plain_cpu = median(one["cpu"]), median(one["plain_cpu"])
    spare_cpu, spare_plain_cpu = median(spare["cpu"]), median(spare["plain_cpu"])

    def rounded(values):
        return [round(v, 3) for v in values]
    print(f"start to Home: median {median(one['starts']):.2f} s  rounds {rounded(one['starts'])}")
    print(f"key to frame: p50 {p50:.1f} ms, p95 {p95:.1f} ms ({len(ordered)} keys)")
    print(f"cold zap CH+ to first picture (client's counters): median {zap:.3f} s (min {min(one['zaps']):.3f}, "
          f"max {max(one['zaps']):.3f}); plain libVLC, same URLs: median {plain:.3f} s")
    print(f"on the X screen, key to the new channel's picture, medians of {args.zaps}: prepared neighbour "
          f"{neighbour:.3f} s {rounded(screen['neighbour'])}")
    print(f"  cold {cold:.3f} s {rounded(screen['cold'])}")
    print(f"  plain libVLC {plain_screen:.3f} s {rounded(screen['plain'])}")
    print(f"CPU on the X screen watching channel 1, medians of {args.cpu_rounds}: with the spare {x_spare:.1f}% "
          f"{rounded(screen['cpu_neighbour'])}, one player {x_one:.1f}% {rounded(screen['cpu_cold'])}")
    print(f"RSS while playing live: one player median {median(one['rss']):.0f} MiB, with the spare "
          f"{median(spare['rss']):.0f} MiB (max {max(spare['rss']):.0f})")
    print(f"CPU (share of one core, windows of {args.cpu_seconds:.0f} s): menus {one['menu_cpu']:.1f}%; playing "
          f"channel 1 live, medians of {args.cpu_rounds} turns: one player {one_cpu:.1f}% {rounded(one['cpu'])} "
          f"vs plain libVLC {plain_cpu:.1f}% {rounded(one['plain_cpu'])}; with the spare {spare_cpu:.1f}% "
          f"{rounded(spare['cpu'])} vs plain libVLC {spare_plain_cpu:.1f}% {rounded(spare['plain_cpu'])}")
    print(f"RESULT start_s={median(one['starts']):.2f} key_p50_ms={p50:.1f} key_p95_ms={p95:.1f} "
          f"zap_s={zap:.3f} plain_vlc_zap_s={plain:.3f} zap_vs_plain_vlc={zap / plain:.2f} "
          f"zap_neighbour_s={neighbour:.3f} zap_cold_screen_s={cold:.3f} plain_vlc_screen_zap_s={plain_screen:.3f} "
          f"zap_neighbour_vs_plain_vlc={neighbour / plain_screen:.2f} "
          f"rss_mib={median(one['rss']):.0f} rss_spare_mib={median(spare['rss']):.0f} "
          f"cpu_menu_pct={one['menu_cpu']:.1f} cpu_live_pct={one_cpu:.1f} plain_vlc_cpu_pct={plain_cpu:.1f} "
          f"cpu_vs_plain_vlc={one_cpu / max(plain_cpu, 0.1):.2f} cpu_spare_pct={spare_cpu:.1f} "
          f"cpu_spare_vs_plain_vlc={spare_cpu / max(spare_plain_cpu, 0.1):.2f} "
          f"cpu_spare_vs_one_player={spare_cpu / max(one_cpu, 0.1):.2f} cpu_x_spare_pct={x_spare:.1f} "
          f"cpu_x_one_pct={x_one:.1f} cpu_x_spare_vs_one_player={x_spare / max(x_one, 0.1):.2f}")


if __name__ == "__main__":
    main()
