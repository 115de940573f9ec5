"""N simulated set-top boxes against a Keting server: paired through the API, asking what the real client asks.

Pairing (measured apart): each box registers (POST /api/v1/devices), an administrator
approves its code (POST /api/v1/admin/devices/approve with an administrator API token,
--pair-concurrency approvals at a time, 20 by default) and the box polls
/api/v1/devices/token at the interval the server gives, as stb_client/app.py does.

Then every box runs for a ramp (boxes switched on at random moments over --ramp
seconds) and a steady state (--duration seconds); only requests started in the
steady state are measured. Each box is two tasks, as the client is two threads:
  sync     stb_client/link/sync.py's worker: one API request at a time, channels and
           notices polled every POLL_SECONDS (every OFFLINE_POLL_SECONDS after a failure
           to reach the server, and boards and channels fetched again once it answers,
           as the reducer asks), listings with If-None-Match (the server sends ETags),
           and, like urllib, a new connection per request (`Connection: close`;
           --api-keepalive keeps one instead). At start: the poll, boards, channels,
           the household (again every HOUSEHOLD_EVERY_POLLS polls).
  player   libVLC: one keep-alive connection for media.
The mix: --live (30 %) watch channel --channel (1): PUT /playing, the master playlist
once, then the highest-bandwidth variant's media playlist every EXT-X-TARGETDURATION and
each new segment (starting BUFFER_SEGMENTS behind the live edge, the player's buffer).
--vod (30 %) watch videos: a video board's listing (per_page ITEMS_PER_REQUEST,
conditional), the item (fetched again only after DETAILS_FRESH_SECONDS), PUT /playing,
the signed master and media playlists, segments kept BUFFER_SEGMENTS ahead of a
real-time playhead from the resume point, PUT position every POSITION_REPORT_SECONDS
and at the end, PUT /playing {} (the menus); a pause of THINK_S to choose, then the
next video of the board, then another board. The demo's videos last 6-20 s, so these
boxes open videos far more often than viewers of 40-minute lectures would: item,
position and playing requests weigh more than they will in the field. The rest sit in
the menus: only the sync worker's polls. Interval constants come from stb_client.
A box whose household has members (none of the boxes paired here; bench/records.py
gives its boxes one) also reports what it plays, as stb_client/ui/watch.py does: a
live box POSTs its channel's watch interval every CHECKPOINT_SECONDS, a video box
POSTs the growing interval with the resume point riding along instead of the
position PUT, and the closed interval at the end (--no-watch-reports: neither).

Measured: from sending a request (connecting included) to the last byte of the body
(segments are read whole), per kind: count, 304s, p50, p99, max. Errors, by kind and
reason: statuses other than 2xx and 304, timeouts (--timeout, 10 s like the client's
urllib), refused, reset or closed connections, malformed answers.

vs_static, the reference measured in the same run: once the boxes stop, as many
keep-alive connections as there were boxes fetch one .ts segment of a video (its signed
URL, straight from the same server) at the same total request rate the boxes made in
the steady state, for --reference-seconds; vs_static = the boxes' p99 / that p99. The
server then sees as many clients and as many requests a second, each being the cheapest
it can answer (a file): 1 means the boxes' mix costs no more than static files.

--knee: runs of 250, 500, 1000, ... boxes (doubling from --knee-start, ending at
--max-boxes), each with its own ramp and steady state, until p99 >= 100 ms or any error;
knee_boxes is the largest run that held, and the RESULT line reports the last run (the
first that did not hold, or --max-boxes). Without --knee: --rounds runs of --boxes, the
RESULT quoting medians; knee_boxes is --boxes when the runs held, else 0.

Each box connects from its own loopback address (127.A.B.C; A random per run), as boxes
on a LAN come from their own addresses, so the server's per-address limit on
registrations (KETING_DEVICE_REGISTRATIONS_PER_HOUR, 20) applies per box as in the field.
Against a URL off loopback boxes connect from this machine's address: lift that limit on
that server. The boxes are revoked at the end (--keep-boxes keeps them).

HTTP: a small HTTP/1.1 client over asyncio streams (Content-Length, chunked and
read-to-close bodies; a stale keep-alive connection is reopened once), no library; one
process and event loop, so it stays light on 2 cores. It prints its own CPU share: near
100 % of a core means the load generator, not the server, sets the figures.

The administrator token: --admin-token, else the file <--instance>/admin-token, made with
    .venv/bin/keting user token demo-admin --label bench --days 30 > instance/admin-token
after ./scripts/run-demo (the demo's organisation is 东风社区).

    .venv/bin/python bench/boxes.py [--url http://127.0.0.1:8080] [--boxes 1000] [--duration 60] [--ramp 30]
        [--knee [--knee-start 250] [--max-boxes 2000]] [--admin-token T | --instance DIR] [--org 东风社区]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import secrets
import socket
import statistics
import sys
import time
import traceback
from collections import Counter, defaultdict
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from stb_client.link.sync import (  # noqa: E402
    HOUSEHOLD_EVERY_POLLS,
    ITEMS_PER_REQUEST,
    OFFLINE_POLL_SECONDS,
    POLL_SECONDS,
)
from stb_client.ui.model import POSITION_REPORT_SECONDS  # noqa: E402
from stb_client.ui.playback_nav import DETAILS_FRESH_SECONDS  # noqa: E402
from stb_client.ui.watch import CHECKPOINT_SECONDS  # noqa: E402

P99_LIMIT_MS = 100.0
BUFFER_SEGMENTS = 3  # the player's buffer: about network-caching plus a segment or two
THINK_S = (3.0, 10.0)  # between two videos, a viewer choosing the next one
RETRY_MAX_S = 30.0  # live playback that failed is retried after 2, 4, ... seconds (playback_nav.RETRY_MAX_S)
WARMUP_S = 2.0  # the reference's first seconds, its connections being opened, are not measured
API_HEADERS = "Accept: application/json\r\nUser-Agent: Python-urllib/3.11\r\nAccept-Encoding: identity\r\n"
PLAYER_HEADERS = "User-Agent: VLC/3.0.18 LibVLC/3.0.18\r\nAccept: */*\r\n"


# ---- HTTP/1.1 over asyncio streams -----------------------------------------------------------

class RequestFailed(Exception):
    """A request that got no 2xx or 304 answer; `reason` is its kind of error (http_500, timeout, ...)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Stopped(Exception):
    """The run is over: no new request is started."""


class BenchError(Exception):
    """The server lacks what the boxes need (a channel, a video): the benchmark stops with this message."""


@dataclass(frozen=True)
class Origin:
    """Where requests go: the Host header's name and port, the address connected to, and if it is IPv4 loopback."""

    host: str
    port: int
    address: str
    loopback: bool

    @property
    def host_header(self) -> str:
        """The Host header's value."""
        return self.host if self.port == 80 else f"{self.host}:{self.port}"


_ORIGINS: dict[tuple[str, int], Origin] = {}


def origin_of(url: str) -> Origin:
    """The origin of an http:// URL, its name resolved once."""
    parts = urlsplit(url)
    if parts.scheme != "http":
        raise SystemExit(f"only http:// URLs are supported (loopback benchmarks): {url}")
    key = (parts.hostname or "127.0.0.1", parts.port or 80)
    if key not in _ORIGINS:
        address = socket.getaddrinfo(key[0], key[1], type=socket.SOCK_STREAM)[0][4][0]
        _ORIGINS[key] = Origin(key[0], key[1], address, address.startswith("127."))
    return _ORIGINS[key]


def target_of(url: str) -> str:
    """The request target (path and query) of a URL."""
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


@dataclass
class Response:
    """An answer: its status, headers (lower-case names), body (empty when discarded) and body size."""

    status: int
    headers: dict[str, str]
    body: bytes
    size: int


class Connection:
    """One client connection to an origin: kept alive between requests, or one per request like urllib."""

    def __init__(self, origin: Origin, source: str | None = None, keep_alive: bool = True):
        self.origin, self.source, self.keep_alive = origin, source, keep_alive
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self._read_anything = False  # of the current answer: a failure after that is not a stale connection

    async def _open(self) -> None:
        """Connect, from the box's own loopback address when the origin is on loopback."""
        local = (self.source, 0) if self.source and self.origin.loopback else None
        self.reader, self.writer = await asyncio.open_connection(self.origin.address, self.origin.port,
                                                                 local_addr=local)

    def close(self) -> None:
        """Close the socket (the next request opens another)."""
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, method: str, target: str, headers: str = "", body: bytes | None = None,
                      keep_body: bool = True) -> Response:
        """Send one request and read its whole answer; a kept connection the server closed is reopened once."""
        for attempt in range(2):
            reused = self.writer is not None and not self.reader.at_eof() and not self.writer.is_closing()
            if not reused:
                self.close()
                await self._open()
            self._read_anything = False
            try:
                return await self._exchange(method, target, headers, body, keep_body)
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if not reused or attempt or self._read_anything:
                    raise
        raise AssertionError("unreachable")

    async def _exchange(self, method: str, target: str, headers: str, body: bytes | None,
                        keep_body: bool) -> Response:
        """Write the request, read the status line, headers and body; close when either side says so."""
        head = f"{method} {target} HTTP/1.1\r\nHost: {self.origin.host_header}\r\n{headers}"
        if body is not None:
            head += f"Content-Length: {len(body)}\r\n"
        if not self.keep_alive:
            head += "Connection: close\r\n"
        self.writer.write(head.encode("latin-1") + b"\r\n" + (body or b""))
        status, version, fields = 100, "", {}
        while 100 <= status < 200:
            raw = await self.reader.readuntil(b"\r\n\r\n")
            self._read_anything = True
            lines = raw.decode("latin-1").split("\r\n")
            version, code = lines[0].split(" ", 2)[:2]
            status = int(code)
            fields = {}
            for line in lines[1:]:
                if line:
                    name, _, value = line.partition(":")
                    fields[name.strip().lower()] = value.strip()
        to_close = False
        if method == "HEAD" or status in (204, 304):
            content, size = b"", 0
        elif "chunked" in fields.get("transfer-encoding", "").lower():
            content, size = await self._chunked(keep_body)
        elif "content-length" in fields:
            content, size = await self._exactly(int(fields["content-length"]), keep_body)
        else:
            content, size = await self._to_close(keep_body)
            to_close = True
        if to_close or not self.keep_alive or version == "HTTP/1.0" \
                or fields.get("connection", "").lower() == "close":
            self.close()
        return Response(status, fields, content, size)

    async def _exactly(self, count: int, keep: bool) -> tuple[bytes, int]:
        """A body of `count` bytes, kept or only counted."""
        if keep:
            return await self.reader.readexactly(count), count
        left = count
        while left:
            chunk = await self.reader.read(min(left, 1 << 18))
            if not chunk:
                raise asyncio.IncompleteReadError(b"", left)
            left -= len(chunk)
        return b"", count

    async def _chunked(self, keep: bool) -> tuple[bytes, int]:
        """A chunked body (trailers skipped)."""
        parts, size = [], 0
        while True:
            line = await self.reader.readuntil(b"\r\n")
            length = int(line.split(b";")[0].strip(), 16)
            if length == 0:
                while await self.reader.readuntil(b"\r\n") != b"\r\n":
                    pass
                return b"".join(parts), size
            chunk, _ = await self._exactly(length, keep)
            parts.append(chunk)
            size += length
            await self.reader.readexactly(2)

    async def _to_close(self, keep: bool) -> tuple[bytes, int]:
        """A body that ends when the server closes the connection."""
        parts, size = [], 0
        while chunk := await self.reader.read(1 << 18):
            size += len(chunk)
            if keep:
                parts.append(chunk)
        return b"".join(parts), size


# ---- what is measured ------------------------------------------------------------------------

def percentile(ordered: list[float], q: float) -> float:
    """The q-th percentile of sorted values (nearest rank); NaN for none."""
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


class Stats:
    """Latencies (ms) and errors by request kind; what starts outside [start, end) is kept apart."""

    def __init__(self, start: float = -math.inf, end: float = math.inf):
        self.start, self.end = start, end
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.not_modified: Counter = Counter()
        self.errors: Counter = Counter()  # (kind, reason) -> count, in the window
        self.errors_outside: Counter = Counter()  # the ramp, and what started after the end
        self.bytes = 0

    def inside(self, started: float) -> bool:
        """Whether a request started at `started` is measured."""
        return self.start <= started < self.end

    def ok(self, kind: str, started: float, ms: float, response: Response) -> None:
        """Record an answered request."""
        if self.inside(started):
            self.latency[kind].append(ms)
            self.bytes += response.size
            if response.status == 304:
                self.not_modified[kind] += 1

    def fail(self, kind: str, started: float, reason: str) -> None:
        """Record a failed request."""
        (self.errors if self.inside(started) else self.errors_outside)[(kind, reason)] += 1

    def all_latencies(self) -> list[float]:
        """Every measured latency, sorted."""
        return sorted(ms for values in self.latency.values() for ms in values)

    def count(self) -> int:
        """Requests measured: answered and failed."""
        return sum(len(v) for v in self.latency.values()) + sum(self.errors.values())

    def error_count(self) -> int:
        """Failed requests in the window."""
        return sum(self.errors.values())

    def report(self, title: str) -> None:
        """Print a table: per kind count, 304s, p50, p99, max and errors; then the errors by reason."""
        print(f"{title}\n  {'kind':<16}{'count':>8}{'304':>7}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'errors':>8}")
        kinds = sorted(set(self.latency) | {kind for kind, _ in self.errors})
        for kind in kinds:
            values = sorted(self.latency[kind])
            errors = sum(n for (k, _), n in self.errors.items() if k == kind)
            print(f"  {kind:<16}{len(values) + errors:>8}{self.not_modified[kind]:>7}{percentile(values, 50):>9.1f}"
                  f"{percentile(values, 99):>9.1f}{(values[-1] if values else math.nan):>9.1f}{errors:>8}")
        for (kind, reason), n in sorted(self.errors.items()):
            print(f"  error {kind} {reason}: {n}")
        for (kind, reason), n in sorted(self.errors_outside.items()):
            print(f"  error outside the window (ramp or end) {kind} {reason}: {n}")


class Run:
    """What every box of one run shares: the settings, the stop signal, the statistics, the segment limit."""

    def __init__(self, args: argparse.Namespace, stats: Stats):
        self.args, self.stats = args, stats
        self.origin = origin_of(args.url)
        self.stop = asyncio.Event()
        self.segment_slots = asyncio.Semaphore(args.segment_concurrency) if args.segment_concurrency else None
        self.crashes = 0

    async def pause(self, seconds: float) -> bool:
        """Wait `seconds`; True when the run ended meanwhile (the caller returns)."""
        if self.stop.is_set():
            return True
        if seconds <= 0:
            return False
        try:
            await asyncio.wait_for(self.stop.wait(), seconds)
            return True
        except TimeoutError:
            return False

    async def call(self, kind: str, connection: Connection, method: str, target: str, headers: str = "",
                   body: bytes | None = None, keep_body: bool = True) -> Response:
        """One measured request; raises RequestFailed (recorded) or Stopped (the run is over)."""
        if self.stop.is_set():
            raise Stopped
        return await measured(self.stats, kind, connection, method, target, self.args.timeout, headers, body,
                              keep_body)


async def measured(stats: Stats, kind: str, connection: Connection, method: str, target: str, timeout: float,
                   headers: str = "", body: bytes | None = None, keep_body: bool = True) -> Response:
    """Send a request, time it to its last byte and record it; a failure is recorded and raised as RequestFailed."""
    started = time.monotonic()
    try:
        async with asyncio.timeout(timeout):
            response = await connection.request(method, target, headers, body, keep_body)
    except TimeoutError:
        connection.close()
        reason = "timeout"
    except ConnectionRefusedError:
        connection.close()
        reason = "refused"
    except (ConnectionResetError, BrokenPipeError):
        connection.close()
        reason = "reset"
    except asyncio.IncompleteReadError:
        connection.close()
        reason = "closed"
    except (ValueError, asyncio.LimitOverrunError):
        connection.close()
        reason = "protocol"
    except OSError as error:
        connection.close()
        reason = f"connect_{error.errno}"
    else:
        if 200 <= response.status < 300 or response.status == 304:
            stats.ok(kind, started, (time.monotonic() - started) * 1000, response)
            return response
        reason = f"http_{response.status}"
    stats.fail(kind, started, reason)
    raise RequestFailed(reason)


# ---- playlists ---------------------------------------------------------------------------------

def best_variant(url: str, text: str) -> str:
    """The URL of a master playlist's highest-bandwidth variant (a player on a LAN picks it); `url` if none."""
    best, best_rate, rate = url, -1, None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("#EXT-X-STREAM-INF:"):
            found = [p for p in line.split(":", 1)[1].split(",") if p.startswith("BANDWIDTH=")]
            rate = int(found[0].split("=")[1]) if found else 0
        elif line and not line.startswith("#") and rate is not None:
            if rate > best_rate:
                best, best_rate = urljoin(url, line), rate
            rate = None
    return best


@dataclass
class MediaPlaylist:
    """A media playlist: target duration, first sequence number, (duration, URL) per segment, and if it ended."""

    target_s: float
    sequence: int
    segments: list[tuple[float, str]]
    ended: bool


def parse_media(url: str, text: str) -> MediaPlaylist:
    """Read a media playlist's segments (URLs made absolute) and the tags the player needs."""
    target, sequence, ended, duration, segments = 2.0, 0, False, None, []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("#EXT-X-TARGETDURATION:"):
            target = float(line.split(":", 1)[1])
        elif line.startswith("#EXT-X-MEDIA-SEQUENCE:"):
            sequence = int(line.split(":", 1)[1])
        elif line.startswith("#EXTINF:"):
            duration = float(line.split(":", 1)[1].split(",")[0])
        elif line.startswith("#EXT-X-ENDLIST"):
            ended = True
        elif line and not line.startswith("#"):
            segments.append((duration if duration is not None else target, urljoin(url, line)))
            duration = None
    return MediaPlaylist(target, sequence, segments, ended)


# ---- one box -------------------------------------------------------------------------------------

@dataclass
class PairedBox:
    """A box that went through pairing: its serial, device id, token and loopback address."""

    index: int
    serial: str
    device_id: int
    token: str
    source: str | None


def source_address(run_octet: int, index: int) -> str:
    """Box `index`'s own loopback address in this run."""
    return f"127.{run_octet}.{index // 250}.{index % 250 + 1}"


_POLL = object()  # the sync worker's own tick


class Box:
    """One simulated box: the client's sync worker (API requests) and its player (media), two tasks."""

    def __init__(self, run: Run, paired: PairedBox, role: str, rng: random.Random):
        self.run, self.paired, self.role, self.rng = run, paired, role, rng
        self.api = Connection(run.origin, paired.source, keep_alive=run.args.api_keepalive)
        self.media: dict[Origin, Connection] = {}
        self.auth = f"Authorization: Bearer {paired.token}\r\n"
        self.etags: dict[str, tuple[str, object]] = {}
        self.tasks: asyncio.Queue = asyncio.Queue()
        self.online: bool | None = None
        self.boards: list[dict] | None = None
        self.channels: dict | None = None
        self.details: dict[int, tuple[float, dict]] = {}
        self.members: list[int] = []  # the household (GET /household); none: no watch intervals
        self.opened: tuple[float, float] | None = None  # the video interval open: wall-clock start, from_s
        self.session = secrets.token_hex(6)

    def connections(self) -> list[Connection]:
        """Every connection the box has opened."""
        return [self.api, *self.media.values()]

    async def switch_on(self, start_delay: float) -> None:
        """The box from switch-on to the end of the run: its sync worker and its viewer side by side."""
        if await self.run.pause(start_delay):
            return
        for effect in (("boards",), ("channels",), ("household",)):  # the reducer's answer to Paired
            self.tasks.put_nowait((effect, None))
        viewer = {"live": self.watch_live, "vod": self.watch_videos}.get(self.role)
        jobs = [self.sync_worker()] + ([viewer()] if viewer else [])
        await asyncio.gather(*jobs)

    # -- the sync worker (stb_client/link/sync.py) --

    async def sync_worker(self) -> None:
        """One request at a time from the queue; channels and notices polled when nothing is queued and it is time."""
        last_poll, polls = -math.inf, 0
        while not self.run.stop.is_set():
            interval = POLL_SECONDS if self.online is not False else OFFLINE_POLL_SECONDS
            timeout = max(0.0, last_poll + interval - time.monotonic())
            if not self.tasks.empty():
                task = self.tasks.get_nowait()
            elif timeout == 0:
                task = _POLL
            else:
                try:
                    task = await asyncio.wait_for(self.tasks.get(), timeout)
                except TimeoutError:
                    task = _POLL
            if task is None:
                return
            if task is _POLL:
                last_poll, polls = time.monotonic(), polls + 1
                await self.effect(("channels",))
                await self.effect(("notices",))
                if polls % HOUSEHOLD_EVERY_POLLS == 0:
                    await self.effect(("household",))
                continue
            effect, answer = task
            result = await self.effect(effect)
            if answer is not None and not answer.done():
                answer.set_result(result)

    async def ask(self, *effect) -> object:
        """Queue a fetch for the sync worker and wait for its answer (None when it failed or the run ended)."""
        answer = asyncio.get_running_loop().create_future()
        self.tasks.put_nowait((effect, answer))
        stopping = asyncio.ensure_future(self.run.stop.wait())
        await asyncio.wait({answer, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        return answer.result() if answer.done() else None

    def send(self, *effect) -> None:
        """Queue a report for the sync worker (its answer is not waited for)."""
        self.tasks.put_nowait((effect, None))

    async def effect(self, effect: tuple) -> object:
        """Carry out one effect as ServerApi does; the answer's JSON, or None when it failed."""
        name, *params = effect
        if name == "boards":
            answer = await self.api_get("boards", "/api/v1/boards", conditional=True)
            if answer is not None:
                self.boards = answer["boards"]
        elif name == "channels":
            answer = await self.api_get("channels", "/api/v1/channels", conditional=True)
            if answer is not None:
                self.channels = answer
        elif name == "notices":
            answer = await self.api_get("notices", "/api/v1/notices", conditional=True)
        elif name == "items":
            query = urlencode({"page": 1, "per_page": ITEMS_PER_REQUEST})
            answer = await self.api_get("items", f"/api/v1/boards/{params[0]}/items?{query}", conditional=True)
        elif name == "item":
            answer = await self.api_get("item", f"/api/v1/items/{params[0]}")
        elif name == "playing":  # only informative: the box's online state is left as it is
            answer = await self.api_put("playing", "/api/v1/playing", params[0], judge=False)
        elif name == "position":
            answer = await self.api_put("position", f"/api/v1/items/{params[0]}/position",
                                        {"position_s": round(params[1], 1)})
        elif name == "household":
            answer = await self.api_get("household", "/api/v1/household")
            if answer is not None:
                self.members = [m["id"] for m in answer.get("members", [])]
        elif name == "watch":  # ServerApi.report_watch: the interval, and the resume point riding along
            body = {"intervals": [params[0]], "sent_at": round(time.time(), 3)}
            if params[1] is not None:
                body["position"] = {"item_id": params[1][0], "position_s": round(params[1][1], 1)}
            answer = await self.api_send("watch", "POST", "/api/v1/watch", body)
            if answer is not None and (answer.get("accepted") != 1 or answer.get("refused")):
                self.run.stats.fail("watch", time.monotonic(), "refused_" + "_".join(
                    r.get("code", "?") for r in answer.get("refused", [])))
        else:
            raise ValueError(f"unknown effect {effect!r}")
        return answer

    async def api_get(self, kind: str, target: str, conditional: bool = False) -> object:
        """GET as ServerApi does: If-None-Match with the kept ETag, the kept answer on a 304."""
        cached = self.etags.get(target) if conditional else None
        headers = self.auth + (f"If-None-Match: {cached[0]}\r\n" if cached else "")
        response = await self.api_request(kind, "GET", target, headers)
        if response is None:
            return None
        if response.status == 304:
            return cached[1] if cached else None
        try:
            payload = json.loads(response.body) if response.body else {}
        except ValueError:
            self.run.stats.fail(kind, time.monotonic(), "bad_json")
            return None
        etag = response.headers.get("etag")
        if conditional and etag:
            self.etags[target] = (etag, payload)
        return payload

    async def api_put(self, kind: str, target: str, body: dict, judge: bool = True) -> object:
        """PUT a JSON body; its JSON answer, or None."""
        return await self.api_send(kind, "PUT", target, body, judge)

    async def api_send(self, kind: str, method: str, target: str, body: dict, judge: bool = True) -> object:
        """PUT or POST a JSON body; its JSON answer, or None."""
        headers = self.auth + "Content-Type: application/json\r\n"
        response = await self.api_request(kind, method, target, headers, json.dumps(body).encode(), judge)
        try:
            return json.loads(response.body) if response is not None and response.body else None
        except ValueError:
            self.run.stats.fail(kind, time.monotonic(), "bad_json")
            return None

    async def api_request(self, kind: str, method: str, target: str, headers: str, body: bytes | None = None,
                          judge: bool = True) -> Response | None:
        """One API request; with `judge`, the box goes offline on a network failure, online on any answer."""
        try:
            response = await self.run.call(kind, self.api, method, target, API_HEADERS + headers, body)
        except Stopped:
            return None
        except RequestFailed as error:
            if judge:
                self.set_online(error.reason.startswith("http_"))
            return None
        if judge:
            self.set_online(True)
        return response

    def set_online(self, online: bool) -> None:
        """ServerSync._set_online and the reducer: back online after a failure, boards and channels again."""
        if online != self.online:
            if online and self.online is False:
                self.send("boards")
                self.send("channels")
            self.online = online

    # -- the player (libVLC) --

    async def get_media(self, kind: str, url: str, keep_body: bool = True) -> Response:
        """GET a playlist or segment on the player's keep-alive connection to that URL's origin."""
        origin = origin_of(url)
        connection = self.media.get(origin)
        if connection is None:
            connection = self.media[origin] = Connection(origin, self.paired.source, keep_alive=True)
        slots = self.run.segment_slots if kind.endswith("segment") else None
        async with slots or nullcontext():
            return await self.run.call(kind, connection, "GET", target_of(url), PLAYER_HEADERS, keep_body=keep_body)

    async def until_known(self, what: str) -> bool:
        """Wait until the boards or channels have arrived; False when the run ended first."""
        while getattr(self, what) is None:
            if await self.run.pause(0.5):
                return False
        return True

    async def watch_live(self) -> None:
        """Tune to the channel and play it: the playlist every target duration, each new segment."""
        if not await self.until_known("channels"):
            return
        number = self.run.args.channel
        channel = next((c for c in self.channels["channels"] if c["number"] == number), None)
        if channel is None:
            raise BenchError(f"the server has no channel {number}")
        failures = 0
        while not self.run.stop.is_set():
            self.send("playing", {"channel": number})  # Play: the administrators' list of boxes
            try:
                await self.play_live(channel["stream_url"])
                return
            except RequestFailed:
                failures += 1  # the reducer retries live playback, less and less often
                if await self.run.pause(min(RETRY_MAX_S, 2.0 ** failures)):
                    return
            except Stopped:
                return

    def reports_watch(self) -> bool:
        """Whether this box sends watch intervals (stb_client/ui/watch.py): it has a household to credit."""
        return bool(self.members) and self.run.args.watch_reports

    def interval(self, started: float, **what) -> dict:
        """A watch interval from wall-clock `started` to now (SyncWorker.watch_json), for the household."""
        return {"key": f"{self.session}-{int(started * 1000)}", "started_at": round(started, 3),
                "ended_at": round(time.time(), 3), "members": self.members[:1], **what}

    async def play_live(self, stream_url: str) -> None:
        """The master playlist once, then the media playlist and its new segments until the run ends; a watch
        checkpoint every CHECKPOINT_SECONDS."""
        master = await self.get_media("live_master", stream_url)
        variant = best_variant(stream_url, master.body.decode("utf-8", "replace"))
        last = None
        started, checkpoint = time.time(), time.monotonic() + CHECKPOINT_SECONDS
        while True:
            if time.monotonic() >= checkpoint:
                checkpoint += CHECKPOINT_SECONDS
                if self.reports_watch():
                    self.send("watch", self.interval(started, channel=self.run.args.channel), None)
            reloaded = time.monotonic()
            try:
                response = await self.get_media("live_playlist", variant)
            except RequestFailed:
                if await self.run.pause(2.0):
                    return
                continue
            playlist = parse_media(variant, response.body.decode("utf-8", "replace"))
            # A player joins this far behind the live edge, and jumps there when it has fallen further behind.
            edge = playlist.sequence + len(playlist.segments) - BUFFER_SEGMENTS
            first_wanted = edge if last is None else max(last + 1, edge)
            for offset, (_, url) in enumerate(playlist.segments):
                number = playlist.sequence + offset
                if number >= first_wanted:
                    try:
                        await self.get_media("live_segment", url, keep_body=False)
                    except RequestFailed:
                        pass  # the player skips a segment it cannot get
                    last = number
            if await self.run.pause(reloaded + playlist.target_s - time.monotonic()):
                return

    async def watch_videos(self) -> None:
        """Open video boards in turn and play their videos one after another, with a pause to choose."""
        if not await self.until_known("boards"):
            return
        boards = [b for b in self.boards if b.get("kind") in ("video", "mixed") and b.get("item_count")]
        if not boards:
            raise BenchError("the server lists no board with videos for these boxes")
        self.rng.shuffle(boards)
        turn = 0
        while not self.run.stop.is_set():
            board = boards[turn % len(boards)]
            turn += 1
            listing = await self.ask("items", board["id"])
            videos = [item for item in (listing or {}).get("items", []) if item.get("kind") == "video"]
            for summary in videos:
                detail = await self.item_detail(summary["id"])
                if detail is not None and detail.get("hls_url"):
                    await self.play_video(detail)
                if await self.run.pause(self.rng.uniform(*THINK_S)):
                    return
            if not videos and await self.run.pause(OFFLINE_POLL_SECONDS):
                return

    async def item_detail(self, item_id: int) -> dict | None:
        """An item's details: kept ones while fresh (playback_nav.open_video), else fetched."""
        kept = self.details.get(item_id)
        if kept is not None and time.monotonic() - kept[0] < DETAILS_FRESH_SECONDS:
            return kept[1]
        detail = await self.ask("item", item_id)
        if detail is not None:
            self.details[item_id] = (time.monotonic(), detail)
        return detail

    async def play_video(self, detail: dict) -> None:
        """Play a video in real time from its resume point, reporting the position as the client does."""
        item_id, position = detail["id"], float(detail.get("resume_position_s") or 0)
        self.send("playing", {"item_id": item_id})
        try:
            master = await self.get_media("vod_master", detail["hls_url"])
            variant = best_variant(detail["hls_url"], master.body.decode("utf-8", "replace"))
            answer = await self.get_media("vod_playlist", variant)
            playlist = parse_media(variant, answer.body.decode("utf-8", "replace"))
            position = await self.play_segments(item_id, playlist.segments, position)
        except RequestFailed:
            pass  # the player fails: the reducer stops playback (the position, then the menus)
        except Stopped:
            return
        self.send("position", item_id, position)
        if self.opened is not None and self.reports_watch():  # the interval closes with the video
            self.send("watch", self.interval(self.opened[0], item_id=item_id, from_s=self.opened[1],
                                             to_s=round(position, 3)), None)
        self.send("playing", {})

    async def play_segments(self, item_id: int, segments: list[tuple[float, str]], resume_s: float) -> float:
        """Fetch segments BUFFER_SEGMENTS ahead of a real-time playhead; return the position where it stopped."""
        starts = [0.0]
        for duration, _ in segments:
            starts.append(starts[-1] + duration)
        total = starts[-1]
        if not segments:
            return resume_s
        self.opened = None
        first = next((i for i in range(len(segments)) if starts[i + 1] > resume_s), 0) if resume_s < total else 0
        origin_s = starts[first]
        played_at = None  # the monotonic time the playhead was at origin_s
        index, next_report = first, math.inf
        while True:
            now = time.monotonic()
            position = origin_s if played_at is None else min(total, origin_s + now - played_at)
            if played_at is not None and now >= next_report and position < total:
                if self.opened is not None and self.reports_watch():  # the checkpoint carries the position
                    self.send("watch", self.interval(self.opened[0], item_id=item_id, from_s=self.opened[1],
                                                     to_s=round(position, 3)), (item_id, position))
                else:
                    self.send("position", item_id, position)
                next_report += POSITION_REPORT_SECONDS
            due = math.inf
            if index < len(segments):
                # The buffer holds BUFFER_SEGMENTS: the next one is fetched as the oldest has played.
                buffered_from = index - BUFFER_SEGMENTS + 1
                due = now if played_at is None or buffered_from <= first \
                    else played_at + starts[buffered_from] - origin_s
                if now >= due:
                    try:
                        await self.get_media("vod_segment", segments[index][1], keep_body=False)
                    except RequestFailed:
                        pass  # the player skips it
                    if played_at is None:
                        played_at = time.monotonic()
                        next_report = played_at + POSITION_REPORT_SECONDS
                        self.opened = (time.time(), origin_s)  # the watch interval opens at the first picture
                    index += 1
                    continue
            end = played_at + total - origin_s
            if index >= len(segments) and now >= end:
                return total
            if await self.run.pause(min(due, next_report, end) - now):
                raise Stopped


# ---- pairing and the administrator's side ------------------------------------------------------------

class Admin:
    """The administrator API with a token: organisations, approvals, revocations."""

    def __init__(self, url: str, token: str, timeout: float):
        self.origin, self.timeout = origin_of(url), timeout
        self.headers = (f"Authorization: Bearer {token}\r\nAccept: application/json\r\n"
                        "Content-Type: application/json\r\n")

    async def call(self, stats: Stats, kind: str, connection: Connection, method: str, target: str,
                   body: dict | None = None) -> dict:
        """One measured administrator request; its JSON answer."""
        response = await measured(stats, kind, connection, method, target, self.timeout, self.headers,
                                  json.dumps(body).encode() if body is not None else None)
        return json.loads(response.body) if response.body else {}

    async def org_id(self, wanted: str) -> int:
        """The id of the organisation named `wanted` (or with that id)."""
        connection = Connection(self.origin)
        try:
            answer = await self.call(Stats(), "organisations", connection, "GET", "/api/v1/admin/organisations")
        except RequestFailed as error:
            raise SystemExit(f"the administrator API refused the token or failed ({error.reason}): "
                             "check --admin-token / <instance>/admin-token and --url") from None
        finally:
            connection.close()
        for org in answer["organisations"]:
            if org["name"] == wanted or str(org["id"]) == wanted:
                return org["id"]
        names = ", ".join(o["name"] for o in answer["organisations"])
        raise SystemExit(f"no organisation {wanted!r}; there are: {names}")

    async def revoke(self, device_ids: list[int], concurrency: int) -> Stats:
        """Revoke the bench's boxes (paired or still pending), `concurrency` at a time."""
        stats, queue = Stats(), asyncio.Queue()
        for device_id in device_ids:
            queue.put_nowait(device_id)

        async def worker() -> None:
            """Revoke boxes from the queue on one connection."""
            connection = Connection(self.origin)
            while not queue.empty():
                device_id = queue.get_nowait()
                try:
                    await self.call(stats, "revoke", connection, "POST", f"/api/v1/admin/devices/{device_id}/revoke")
                except RequestFailed:
                    pass
            connection.close()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return stats


async def pair(args: argparse.Namespace, admin: Admin, org_id: int, first: int, count: int, run_octet: int,
               run_id: str, registered: list[int]) -> tuple[list[PairedBox], Stats, float]:
    """Pair boxes first..first+count: registered, approved `pair_concurrency` at a time, token polled.

    The device ids of every registration go into `registered` (to be revoked at the end)."""
    origin, stats = origin_of(args.url), Stats()
    slots = asyncio.Semaphore(args.pair_concurrency)
    approvals: asyncio.Queue = asyncio.Queue()
    started = time.monotonic()
    deadline = started + args.pair_timeout

    async def approver() -> None:
        """Approve codes from the queue on one keep-alive connection."""
        connection = Connection(admin.origin)
        while (job := await approvals.get()) is not None:
            code, approved = job
            try:
                await admin.call(stats, "approve", connection, "POST", "/api/v1/admin/devices/approve",
                                 {"pairing_code": code, "org_id": org_id})
                approved.set_result(True)
            except RequestFailed:
                approved.set_result(False)
        connection.close()

    async def one_box(index: int) -> PairedBox | None:
        """Register (three tries), hand the code to the approvers, poll for the token at the server's interval."""
        source = source_address(run_octet, index) if not args.no_source_addresses else None
        connection = Connection(origin, source, keep_alive=False)
        serial = f"BENCH-{run_id}-{index:05d}"
        body = json.dumps({"serial": serial, "name": f"压测机顶盒{index + 1}", "client_version": "bench"}).encode()
        headers = API_HEADERS + "Content-Type: application/json\r\n"
        registration = None
        for attempt in range(3):
            async with slots:
                try:
                    response = await measured(stats, "register", connection, "POST", "/api/v1/devices",
                                              args.timeout, headers, body)
                    registration = json.loads(response.body)
                    break
                except RequestFailed:
                    pass
            if attempt < 2:
                await asyncio.sleep(5.0 * (attempt + 1))
        if registration is None:
            return None
        registered.append(registration["device_id"])
        approved = asyncio.get_running_loop().create_future()
        approvals.put_nowait((registration["pairing_code"], approved))
        poll = json.dumps({"device_code": registration["device_code"]}).encode()
        interval = float(registration.get("interval") or 5)
        while time.monotonic() < deadline:
            try:
                response = await measured(stats, "token", connection, "POST", "/api/v1/devices/token",
                                          args.timeout, headers, poll)
                answer = json.loads(response.body)
                if answer.get("status") == "approved":
                    return PairedBox(index, serial, registration["device_id"], answer["token"], source)
                interval = float(answer.get("interval") or interval)
            except RequestFailed as error:
                if error.reason in ("http_403", "http_404", "http_410"):
                    return None
            if approved.done() and not approved.result():
                return None
            await asyncio.sleep(interval)
        stats.fail("token", time.monotonic(), "not_approved_in_time")
        return None

    approvers = [asyncio.create_task(approver()) for _ in range(args.pair_concurrency)]
    results = await asyncio.gather(*(one_box(i) for i in range(first, first + count)))
    for _ in approvers:
        approvals.put_nowait(None)
    await asyncio.gather(*approvers)
    return [box for box in results if box is not None], stats, time.monotonic() - started


async def reference_segment(args: argparse.Namespace, box: PairedBox) -> str:
    """The URL of a video's first segment (highest variant), found as a box finds it: boards, items, item."""
    headers = API_HEADERS + f"Authorization: Bearer {box.token}\r\n"

    async def get(url: str) -> bytes:
        """The body of a GET (setup, not measured)."""
        connection = Connection(origin_of(url), box.source, keep_alive=False)
        return (await measured(Stats(), "setup", connection, "GET", target_of(url), args.timeout, headers)).body

    try:
        for board in json.loads(await get(urljoin(args.url, "/api/v1/boards")))["boards"]:
            if board.get("kind") not in ("video", "mixed") or not board.get("item_count"):
                continue
            listing = json.loads(await get(urljoin(args.url, f"/api/v1/boards/{board['id']}/items")))
            for item in listing["items"]:
                detail = json.loads(await get(urljoin(args.url, f"/api/v1/items/{item['id']}"))) \
                    if item.get("kind") == "video" else {}
                if detail.get("hls_url"):
                    variant = best_variant(detail["hls_url"], (await get(detail["hls_url"])).decode())
                    return parse_media(variant, (await get(variant)).decode()).segments[0][1]
    except RequestFailed as error:
        raise SystemExit(f"could not find a video segment for the reference: {error.reason}") from None
    raise SystemExit("no video on the server: the reference needs one (run ./scripts/run-demo)")


async def reference(args: argparse.Namespace, url: str, connections: int, rate: float) -> Stats:
    """`connections` keep-alive connections fetching `url` at `rate` requests a second in all."""
    start = time.monotonic()
    stats = Stats(start + WARMUP_S, start + WARMUP_S + args.reference_seconds)
    interval = connections / rate
    origin, target = origin_of(url), target_of(url)
    rng = random.Random(args.seed + 1)

    async def one(offset: float) -> None:
        """One connection: a request every `interval` seconds (at once when late), until the window ends."""
        connection, due = Connection(origin), start + offset
        while due < stats.end:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            try:
                await measured(stats, "static_segment", connection, "GET", target, args.timeout, PLAYER_HEADERS,
                               keep_body=False)
            except RequestFailed:
                pass
            due = max(due + interval, time.monotonic())
        connection.close()
    await asyncio.gather(*(one(rng.uniform(0, interval)) for _ in range(connections)))
    return stats


# ---- one run ---------------------------------------------------------------------------------------

@dataclass
class Outcome:
    """What one run of N boxes measured."""

    boxes: int
    p50: float
    p99: float
    errors: int
    rate: float
    stats: Stats
    static_p99: float = math.nan
    notes: list[str] = field(default_factory=list)

    @property
    def held(self) -> bool:
        """p99 under the limit and no error."""
        return self.p99 < P99_LIMIT_MS and self.errors == 0

    @property
    def vs_static(self) -> float:
        """The boxes' p99 over the reference's."""
        return self.p99 / self.static_p99 if self.static_p99 > 0 else math.nan


def roles(count: int, args: argparse.Namespace) -> list[str]:
    """The role of each of `count` boxes: live, vod, or menus, in the asked proportions."""
    live, vod = round(count * args.live), round(count * args.vod)
    return ["live"] * live + ["vod"] * vod + ["menus"] * (count - live - vod)


async def run_boxes(args: argparse.Namespace, pool: list[PairedBox], count: int) -> Outcome:
    """Switch `count` boxes on over the ramp, keep them for the steady state, and summarise that state."""
    start = time.monotonic()
    stats = Stats(start + args.ramp, start + args.ramp + args.duration)
    run = Run(args, stats)
    rng = random.Random(args.seed)
    boxes = [Box(run, paired, role, random.Random(rng.random()))
             for paired, role in zip(pool[:count], roles(count, args), strict=True)]
    tasks = [asyncio.create_task(box.switch_on(rng.uniform(0, args.ramp))) for box in boxes]
    await asyncio.sleep(max(0.0, stats.start - time.monotonic()))
    cpu_start = time.process_time()
    await asyncio.sleep(max(0.0, stats.end - time.monotonic()))
    cpu = (time.process_time() - cpu_start) / args.duration
    run.stop.set()
    for box in boxes:
        box.tasks.put_nowait(None)
    done, pending = await asyncio.wait(tasks, timeout=args.timeout + 2)
    for task in pending:
        task.cancel()
    for task in done:
        if task.exception() is not None and not isinstance(task.exception(), Stopped):
            if isinstance(task.exception(), BenchError):
                raise SystemExit(str(task.exception()))
            run.crashes += 1
            if run.crashes == 1:
                traceback.print_exception(task.exception())
    await asyncio.gather(*pending, return_exceptions=True)
    for box in boxes:
        for connection in box.connections():
            connection.close()
    latencies = stats.all_latencies()
    outcome = Outcome(count, percentile(latencies, 50), percentile(latencies, 99), stats.error_count(),
                      stats.count() / args.duration, stats)
    outcome.notes.append(f"load generator: {100 * cpu:.0f} % of one core in the steady state")
    if run.crashes:
        outcome.notes.append(f"{run.crashes} simulated boxes crashed (traceback above)")
    return outcome


def show(outcome: Outcome, args: argparse.Namespace) -> None:
    """Print one run's table and totals."""
    mix = Counter(roles(outcome.boxes, args))
    outcome.stats.report(f"\n{outcome.boxes} boxes ({mix['live']} live, {mix['vod']} video, {mix['menus']} menus), "
                         f"{args.duration:.0f} s steady state after a {args.ramp:.0f} s ramp:")
    print(f"  all: {outcome.stats.count()} requests, {outcome.rate:.0f} req/s, "
          f"{outcome.stats.bytes / args.duration / 1e6:.1f} MB/s, p50 {outcome.p50:.1f} ms, p99 {outcome.p99:.1f} ms, "
          f"errors {outcome.errors} -> {'held' if outcome.held else 'NOT held'} "
          f"(p99 < {P99_LIMIT_MS:.0f} ms, no error)")
    for note in outcome.notes:
        print(f"  {note}")


async def measure_reference(args: argparse.Namespace, url: str, outcome: Outcome) -> None:
    """The static reference at the run's connection count and request rate; sets outcome.static_p99."""
    if outcome.rate <= 0:
        return
    stats = await reference(args, url, outcome.boxes, outcome.rate)
    values = stats.all_latencies()
    outcome.static_p99 = percentile(values, 99)
    print(f"  reference: one .ts straight from the server, {outcome.boxes} keep-alive connections at "
          f"{outcome.rate:.0f} req/s for {args.reference_seconds:.0f} s: {len(values)} answered, p50 "
          f"{percentile(values, 50):.1f} ms, p99 {outcome.static_p99:.1f} ms, errors {stats.error_count()}"
          f" -> vs_static {outcome.vs_static:.2f}")


def admin_token(args: argparse.Namespace) -> str:
    """The administrator API token: --admin-token, else <instance>/admin-token."""
    if args.admin_token:
        return args.admin_token.strip()
    path = Path(args.instance) / "admin-token"
    if path.is_file():
        return path.read_text().strip()
    raise SystemExit(f"no administrator token: pass --admin-token, or make {path} with\n"
                     f"  .venv/bin/keting user token demo-admin --label bench --days 30 > {path}")


def knee_steps(args: argparse.Namespace) -> list[int]:
    """The box counts of a knee search: doubling from --knee-start, ending at --max-boxes."""
    steps, count = [], args.knee_start
    while count < args.max_boxes:
        steps.append(count)
        count *= 2
    return [*steps, args.max_boxes]


async def bench(args: argparse.Namespace) -> None:
    """Pair the boxes, run them (a knee search or rounds at one size), measure the reference, print RESULT."""
    admin = Admin(args.url, admin_token(args), args.timeout)
    org_id = await admin.org_id(args.org)
    run_octet, run_id = random.Random().randint(16, 250), secrets.token_hex(3)
    steps = knee_steps(args) if args.knee else [args.boxes] * args.rounds
    print(f"{args.url}: {'knee search ' + str(steps) if args.knee else f'{args.rounds} x {args.boxes} boxes'}, "
          f"organisation {args.org} (id {org_id}), run {run_id}")
    pool: list[PairedBox] = []
    registered: list[int] = []
    outcomes: list[Outcome] = []
    pairing_errors, pairing_s, knee, segment_url = 0, 0.0, 0, None
    try:
        for index, count in enumerate(steps):
            if len(pool) < count:
                wanted = count - len(pool)
                more, stats, seconds = await pair(args, admin, org_id, len(pool), wanted, run_octet, run_id,
                                                  registered)
                pool += more
                pairing_errors += stats.error_count() + sum(stats.errors_outside.values())
                pairing_s += seconds
                stats.report(f"\npairing: {len(more)} of {wanted} boxes paired in {seconds:.1f} s "
                             f"({args.pair_concurrency} approvals at a time):")
                if len(pool) < count:
                    print(f"  only {len(pool)} boxes could be paired: running with them")
                    count = len(pool)
                if not pool:
                    raise SystemExit("no box could be paired")
            segment_url = segment_url or await reference_segment(args, pool[0])
            outcome = await run_boxes(args, pool, count)
            show(outcome, args)
            last = index == len(steps) - 1 or (args.knee and not outcome.held)
            if not args.knee or last:
                await measure_reference(args, segment_url, outcome)
            outcomes.append(outcome)
            if args.knee:
                if not outcome.held:
                    break
                knee = count
    finally:
        if registered and not args.keep_boxes:
            revoked = await admin.revoke(registered, args.pair_concurrency)
            print(f"\n{len(registered)} bench boxes revoked ({revoked.error_count()} errors)")
    if args.knee:
        final = outcomes[-1]
        p50, p99, errors, vs_static, boxes = final.p50, final.p99, final.errors, final.vs_static, final.boxes
        print(f"\nknee: {knee} boxes held p99 < {P99_LIMIT_MS:.0f} ms with no error"
              + ("" if knee else f" (none of the steps did: try --knee-start {max(1, args.knee_start // 5)})"))
    else:
        p50 = statistics.median(o.p50 for o in outcomes)
        p99 = statistics.median(o.p99 for o in outcomes)
        errors = statistics.median(o.errors for o in outcomes)
        vs_static = statistics.median(o.vs_static for o in outcomes)
        boxes = outcomes[-1].boxes
        knee = boxes if all(o.held for o in outcomes) else 0
        if len(outcomes) > 1:
            print(f"\nmedians of {len(outcomes)} rounds: p50 {p50:.1f} ms, p99 {p99:.1f} ms, errors {errors:g}, "
                  f"vs_static {vs_static:.2f} (p99 per round: {[round(o.p99, 1) for o in outcomes]})")
    print(f"RESULT boxes={boxes} p50_ms={p50:.1f} p99_ms={p99:.1f} errors={errors:g} knee_boxes={knee} "
          f"vs_static={vs_static:.2f} pairing_s={pairing_s:.1f} pairing_errors={pairing_errors}")


def main() -> None:
    """Read the options and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8080", help="the server (the front server, e.g. nginx)")
    parser.add_argument("--boxes", type=int, default=1000, help="boxes in a run without --knee")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of steady state measured")
    parser.add_argument("--ramp", type=float, default=30.0, help="seconds over which the boxes are switched on")
    parser.add_argument("--rounds", type=int, default=1, help="runs of --boxes (medians are quoted)")
    parser.add_argument("--knee", action="store_true", help="search the largest box count held at p99 < 100 ms")
    parser.add_argument("--knee-start", type=int, default=250, help="the knee search's first box count")
    parser.add_argument("--max-boxes", type=int, default=2000, help="no run has more boxes than this")
    parser.add_argument("--admin-token", default="", help="an administrator's API token (keting user token NAME)")
    parser.add_argument("--instance", default=str(REPO / "instance"), help="folder holding admin-token")
    parser.add_argument("--org", default="东风社区", help="organisation (name or id) the boxes are approved into")
    parser.add_argument("--live", type=float, default=0.3, help="share of boxes watching the channel")
    parser.add_argument("--vod", type=float, default=0.3, help="share of boxes watching videos")
    parser.add_argument("--channel", type=int, default=1, help="the channel the live boxes watch")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds before a request counts as timed out")
    parser.add_argument("--pair-concurrency", type=int, default=20, help="approvals (and registrations) at a time")
    parser.add_argument("--pair-timeout", type=float, default=600.0, help="seconds a box may wait for its token")
    parser.add_argument("--segment-concurrency", type=int, default=0, help="segment fetches at a time (0: no cap)")
    parser.add_argument("--reference-seconds", type=float, default=20.0, help="seconds of the static reference")
    parser.add_argument("--api-keepalive", action="store_true", help="keep API connections (the client does not)")
    parser.add_argument("--no-watch-reports", dest="watch_reports", action="store_false",
                        help="boxes with a household send no watch intervals (positions by PUT, as before them)")
    parser.add_argument("--no-source-addresses", action="store_true", help="all boxes from one loopback address")
    parser.add_argument("--keep-boxes", action="store_true", help="leave the bench's boxes approved")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    if args.boxes > args.max_boxes and not args.knee:
        parser.error("--boxes is above --max-boxes")
    if not 0 <= args.live + args.vod <= 1:
        parser.error("--live and --vod add up to more than 1")
    asyncio.run(bench(args))


if __name__ == "__main__":
    main()
