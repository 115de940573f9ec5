"""What an operator's tools ask: /healthz (is this site well?) and /metrics (Prometheus text format).

/healthz answers 200 when every check passes and 503 otherwise (each
check's figures only for the operator's addresses): the database answers, the media disk has room, ffmpeg is
there, some process holds the channel runner's lease (core/leases.py), and
every channel's playlists were written within a few segments. It names no
host, path or secret: load balancers and monitors call it without a token.

/metrics is for the site's own Prometheus: only addresses in METRICS_ALLOWED
(loopback by default) get it. Site-wide figures come from the database at
scrape time (one collector); request latency is this process's.
"""

from __future__ import annotations

import contextlib
import shutil
import time
from datetime import timedelta
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, request
from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

from server.broadcast.runner import LEASE_NAME
from server.core.errors import UserError
from server.core.leases import holding
from server.core.networks import in_networks
from server.core.timestamps import format_utc
from server.web.context import clock, current_lineup, site

bp = Blueprint("ops", __name__)
MIN_FREE_BYTES = 1024 ** 3
# A channel's playlist older than this many segments means its writer is stuck or gone.
STALE_SEGMENTS = 3
SEEN_WINDOW = timedelta(minutes=5)
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


def playlist_ages(media_root: Path, lineup) -> dict[int, float | None]:
    """Seconds since each channel's first rendition playlist was written (None: never)."""
    rendition = lineup.ladder.renditions[0].name
    ages = {}
    for channel in lineup.channels:
        try:
            ages[channel.number] = max(0.0, time.time() - (media_root / "live" / str(channel.number) /
                                                           f"{rendition}.m3u8").stat().st_mtime)
        except FileNotFoundError:
            ages[channel.number] = None
    return ages


@bp.get("/healthz")
def healthz():
    """200 when every check passes, 503 when one fails; each check's figures only for METRICS_ALLOWED."""
    config, lineup = current_app.config, current_lineup()
    checks = {}
    started = time.perf_counter()
    try:
        with contextlib.closing(site().connect()) as db:
            db.execute("SELECT count(*) FROM _migrations").fetchone()
            lease = holding(db, LEASE_NAME)
        checks["database"] = {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}
    except Exception:  # noqa: BLE001 - any failure to read is the finding
        checks["database"], lease = {"ok": False}, None
    free = shutil.disk_usage(config["MEDIA_ROOT"]).free
    checks["disk"] = {"ok": free >= MIN_FREE_BYTES, "free_bytes": free}
    checks["ffmpeg"] = {"ok": shutil.which(config["FFMPEG"]) is not None}
    expires_in = lease.expires_at - time.time() if lease else None
    checks["runners"] = {"ok": expires_in is not None and expires_in > 0,
                         "lease_expires_in_s": round(expires_in, 1) if expires_in is not None else None}
    limit = STALE_SEGMENTS * lineup.ladder.segment_seconds
    ages = playlist_ages(Path(config["MEDIA_ROOT"]), lineup)
    checks["playlists"] = {"ok": all(age is not None and age <= limit for age in ages.values()),
                           "age_s": {str(n): (round(a, 1) if a is not None else None) for n, a in ages.items()}}
    healthy = all(check["ok"] for check in checks.values())
    body = {"status": "ok" if healthy else "failing"}
    if _operator():
        body["checks"] = checks
    else:  # strangers learn which check fails, not the figures (free disk space helps an attacker aim)
        body["failing"] = sorted(name for name, check in checks.items() if not check["ok"])
    answer = jsonify(body)
    answer.status_code = 200 if healthy else 503
    answer.headers["Cache-Control"] = "no-store"
    return answer


class SiteCollector:
    """Site-wide figures read from the database at each scrape."""

    def __init__(self, app):
        self.app = app

    def collect(self):
        """Yield the gauges: jobs by state, transcode seconds, boxes seen, relays up, playlist ages."""
        with self.app.app_context(), contextlib.closing(site().connect()) as db:
            jobs = GaugeMetricFamily("keting_transcode_jobs", "Transcode jobs by state.", labels=["state"])
            for state, count in db.execute("SELECT state, count(*) FROM transcode_jobs GROUP BY state"):
                jobs.add_metric([state], count)
            yield jobs
            seconds = db.execute("""SELECT coalesce(sum((julianday(finished_at) - julianday(started_at)) * 86400), 0)
                                    FROM transcode_jobs WHERE state = 'done'""").fetchone()[0]
            yield GaugeMetricFamily("keting_transcode_seconds_total", "Seconds spent on finished transcodes.",
                                    value=seconds)
            seen = db.execute("SELECT count(*) FROM devices WHERE state = 'approved' AND last_seen_at >= ?",
                              [format_utc(clock() - SEEN_WINDOW)]).fetchone()[0]
            yield GaugeMetricFamily("keting_boxes_seen_5m", "Boxes that called in the last 5 minutes.", value=seen)
            relays = db.execute("SELECT count(*) FROM schedule_entries WHERE live_state = 'running'").fetchone()[0]
            yield GaugeMetricFamily("keting_live_relays_up", "Live relays running.", value=relays)
            ages = GaugeMetricFamily("keting_playlist_age_seconds", "Seconds since a channel's playlist was written.",
                                     labels=["channel"])
            for number, age in playlist_ages(Path(current_app.config["MEDIA_ROOT"]), current_lineup()).items():
                if age is not None:
                    ages.add_metric([str(number)], age)
            yield ages


def init_app(app) -> Histogram:
    """Register the blueprint and this app's metrics; return the latency histogram requests feed."""
    registry = CollectorRegistry()
    registry.register(SiteCollector(app))
    latency = Histogram("keting_request_seconds", "Time to answer a request (this process).", ["endpoint"],
                        registry=registry, buckets=LATENCY_BUCKETS)
    app.extensions["keting"]["metrics"] = registry
    app.register_blueprint(bp)
    return latency


def _operator() -> bool:
    """Whether the request comes from an address METRICS_ALLOWED lists, as far as this process can tell.

    A request relayed by a proxy that Keting does not count (X-Forwarded-For present, no PROXY_HOPS and no
    front of its own) is everyone's: the address it came from is the proxy's own, often loopback.
    """
    if request.headers.get("X-Forwarded-For") and not current_app.extensions.get("keting_proxy_hops"):
        return False
    return in_networks(request.remote_addr or "", current_app.config["METRICS_ALLOWED"].split(","))


@bp.get("/metrics")
def metrics():
    """The Prometheus text exposition of this site's figures, for the addresses METRICS_ALLOWED lists."""
    if not _operator():
        raise UserError("ops.metrics_refused", status=403, address=request.remote_addr or "")
    body = generate_latest(current_app.extensions["keting"]["metrics"])
    return Response(body, mimetype="text/plain; version=0.0.4", headers={"Cache-Control": "no-store"})
