"""The prepared channel: a second libVLC player, muted and hidden, for an instant channel change.

A cold zap costs libVLC's own floor (about 0.3 s: the playlist, a segment, the decoder). The spare player
pays it before the key: while the viewer watches a channel, it plays the channel they are most likely to go
to next (the neighbour in the direction of their last step), at the ladder's lowest rung so it costs little
CPU. On that key the two players swap: the spare's picture is already decoded, so the new channel shows on
its next picture. The spare then loads the same channel's master playlist, still hidden, and once it has a
picture the players swap again, back to full quality. Then it prepares the next neighbour.

Purposes of the spare:
  NEIGHBOUR  the lowest rung of the channel `url` (a master playlist) likely next;
  UPGRADE    the master playlist `url` of the channel on screen, which plays its lowest rung.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import vlc

NEIGHBOUR, UPGRADE = "neighbour", "upgrade"
# Below this the box keeps one player (a set-top box with 512 MB has no room for two decoders and the UI). A box
# sold with 1 GiB reports less than that in MemTotal (the kernel's and the GPU's share): 900 MiB.
MIN_TOTAL_MIB = 900
MIN_AVAILABLE_MIB = 384
FIRST_PICTURE_S = 10.0  # a prepared stream without a picture by then has failed (a channel off the air)
# libVLC updates its picture counter about every 0.28 s: a counter that has not moved for STALLED_S means the
# stream has stopped (a frozen picture must not be swapped in); FRESH_S is how recent a rise must be to swap.
FRESH_S = 1.0
STALLED_S = 3.0


def pictures(media) -> int:
    """Pictures libVLC has displayed (drawn, shown or not) for `media` since it started."""
    if media is None:
        return 0
    stats = vlc.MediaStats()
    return stats.displayed_pictures if media.get_stats(stats) else 0


@dataclass
class Spare:
    """The second player and what it plays for (`purpose`, `url`); muted whatever it plays. `watch` is called on
    every poll, to tell a stream still moving from a frozen one.

    Loading and stopping run on a thread of the spare's own, in order: stopping a player that draws on an X
    display takes about 0.15 s (its video output is torn down), which would hold up the keys and the banner of
    the channel just swapped in. The fields change at once; `busy` counts what the thread has still to do, and
    a busy spare is never ready (nor swapped)."""

    player: vlc.MediaPlayer
    media: vlc.Media | None = None
    url: str = ""
    purpose: str = ""
    started_at: float = 0.0
    count: int = 0  # the picture counter when it last rose
    rose_at: float = 0.0
    busy: int = 0
    worker: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="spare"))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def load(self, instance: vlc.Instance, stream: str, url: str, purpose: str, options: tuple[str, ...] = ()) -> None:
        """Play `stream` (with libVLC media `options`) muted, standing for channel `url` with `purpose`."""
        old, self.media = self.media, instance.media_new(stream, *options)
        self.url, self.purpose = url, purpose
        self.started_at, self.count, self.rose_at = time.monotonic(), 0, 0.0
        self._run(self.player, self.media, old)

    def stop(self) -> None:
        """Stop playing; the spare stands for nothing."""
        if self.media is not None:
            self._run(self.player, None, self.media)
        self.media, self.url, self.purpose = None, "", ""

    def _run(self, player: vlc.MediaPlayer, media: vlc.Media | None, old: vlc.Media | None) -> None:
        """On the spare's thread: `player` plays `media` muted (None: stops), then `old` is freed (python-vlc never
        frees a media itself)."""
        def work() -> None:
            try:
                if media is None:
                    player.stop()
                else:
                    player.audio_set_mute(True)
                    player.set_media(media)
                    player.play()
                if old is not None:
                    old.release()
            finally:
                with self.lock:
                    self.busy -= 1
        with self.lock:
            self.busy += 1
        self.worker.submit(work)

    def idle(self) -> bool:
        """Whether the spare's thread has done all it was given."""
        with self.lock:
            return self.busy == 0

    def close(self) -> None:
        """Wait for the spare's thread to finish its work, and end it."""
        self.worker.shutdown(wait=True)

    def watch(self, now: float) -> None:
        """Note whether the picture counter rose since the last look."""
        count = pictures(self.media)
        if count > self.count:
            self.count, self.rose_at = count, now

    def ready(self, purpose: str, url: str, now: float | None = None) -> bool:
        """Whether the spare plays channel `url` for `purpose` and its pictures are coming now (not frozen)."""
        now = time.monotonic() if now is None else now
        return (self.purpose == purpose and self.url == url and self.count > 0 and now - self.rose_at < FRESH_S
                and self.idle() and self.player.get_state() == vlc.State.Playing)

    def failed(self, now: float) -> bool:
        """Whether what the spare plays has failed, ended, shown nothing in FIRST_PICTURE_S, or stalled."""
        if self.media is None or not self.idle():
            return False
        if self.player.get_state() in (vlc.State.Error, vlc.State.Ended):
            return True
        if self.count == 0:
            return now - self.started_at > FIRST_PICTURE_S
        return now - self.rose_at > STALLED_S


def affordable(meminfo: Path = Path("/proc/meminfo")) -> bool:
    """Whether this box has the memory for a second player: MIN_TOTAL_MIB in all, MIN_AVAILABLE_MIB free now."""
    try:
        fields = dict(line.split(":", 1) for line in meminfo.read_text().splitlines() if ":" in line)
        total, available = (int(fields[name].split()[0]) // 1024 for name in ("MemTotal", "MemAvailable"))
    except (OSError, KeyError, ValueError, IndexError):
        return False
    return total >= MIN_TOTAL_MIB and available >= MIN_AVAILABLE_MIB


# Device nodes of a GPU that draws video (an allow-list, in /dev): a DRM render node (Mesa's Panfrost, Lima, V3D,
# Etnaviv, Intel, AMD; NVIDIA with nvidia-drm), Arm's Mali and Vivante's galcore kernel drivers, NVIDIA's own.
GPU_NODES = ("dri/renderD*", "mali*", "galcore", "nvidiactl")


def has_gpu(dev: Path = Path("/dev")) -> bool:
    """Whether a GPU draws for this box. Without one, Mesa draws in software (llvmpipe) and the hidden spare's
    drawing cost as much CPU as the picture on screen: 1.8-1.9x one player on Xvfb (measured), beyond the 1.5x a
    spare may cost, and 290 MiB resident."""
    return any(any(dev.glob(pattern)) for pattern in GPU_NODES)
