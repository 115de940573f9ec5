"""/healthz, /metrics and request ids: what an operator's tools read."""

from __future__ import annotations

import os
import time

from server.core.leases import acquire


def test_health_fails_until_the_channels_run_then_passes(app, ctx, client):
    db, lineup = ctx
    answer = client.get("/healthz")
    assert answer.status_code == 503 and answer.json["status"] == "failing"
    checks = answer.json["checks"]
    assert checks["database"]["ok"] and checks["disk"]["ok"] and checks["ffmpeg"]["ok"]
    assert not checks["runners"]["ok"] and not checks["playlists"]["ok"]
    assert checks["playlists"]["age_s"] == {"1": None, "2": None}
    # A process holds the channel lease and the playlists are fresh: healthy.
    acquire(db, "broadcast", "elsewhere:1", time.time(), 10)
    for channel in lineup.channels:
        folder = os.path.join(app.config["MEDIA_ROOT"], "live", str(channel.number))
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"{lineup.ladder.renditions[0].name}.m3u8"), "w") as playlist:
            playlist.write("#EXTM3U\n")
    healthy = client.get("/healthz")
    assert healthy.status_code == 200 and healthy.json["status"] == "ok", healthy.json
    assert "elsewhere" not in healthy.get_data(as_text=True)  # no host names handed out


def test_a_stale_playlist_fails_the_health_check(app, ctx, client):
    db, lineup = ctx
    acquire(db, "broadcast", "elsewhere:1", time.time(), 10)
    for channel in lineup.channels:
        folder = os.path.join(app.config["MEDIA_ROOT"], "live", str(channel.number))
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, f"{lineup.ladder.renditions[0].name}.m3u8")
        open(path, "w").close()
        os.utime(path, (time.time() - 60, time.time() - 60))
    answer = client.get("/healthz")
    assert answer.status_code == 503 and answer.json["checks"]["playlists"]["age_s"]["1"] >= 60


def test_metrics_in_prometheus_format_for_loopback_only(app, client, auth):
    client.get("/api/v1/boards", headers=auth)
    answer = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert answer.status_code == 200 and answer.mimetype == "text/plain"
    body = answer.get_data(as_text=True)
    assert "keting_boxes_seen_5m 1.0" in body
    assert 'keting_request_seconds_count{endpoint="api_v1.list_boards"} 1.0' in body
    assert "keting_live_relays_up 0.0" in body and "keting_transcode_seconds_total" in body
    refused = client.get("/metrics", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert refused.status_code == 403 and "KETING_METRICS_ALLOWED" in refused.get_data(as_text=True)


def test_every_answer_carries_a_request_id_and_a_proxys_id_is_kept(client):
    mine = client.get("/healthz").headers["X-Request-Id"]
    assert len(mine) == 32
    assert client.get("/healthz", headers={"X-Request-Id": "5f0c0c1e9d2a4b7e"}).headers["X-Request-Id"] == \
        "5f0c0c1e9d2a4b7e"
    forged = client.get("/healthz", headers={"X-Request-Id": "<script>alert(1)</script>"}).headers["X-Request-Id"]
    assert "<" not in forged and len(forged) == 32


def test_log_lines_carry_the_request_id(app, client, caplog):
    from server.web.request_log import RequestIdFilter

    caplog.handler.addFilter(RequestIdFilter())
    caplog.handler.setFormatter(__import__("logging").Formatter("[%(request_id)s] %(message)s"))

    @app.get("/_log_test")
    def log_something():
        app.logger.warning("something happened")
        return "ok"
    answer = client.get("/_log_test", headers={"X-Request-Id": "abcdef0123456789"})
    assert answer.status_code == 200
    assert "[abcdef0123456789] something happened" in caplog.text


def test_keting_serve_takes_gunicorns_usual_settings_from_gunicorn_cmd_args(app, monkeypatch):
    from server.web.http_server import KetingServer

    monkeypatch.setenv("GUNICORN_CMD_ARGS", "--workers 3 --backlog 4096")
    server = KetingServer(app, "127.0.0.1", 0, start_runners=list)
    assert (server.cfg.workers, server.cfg.backlog, server.cfg.worker_class_str) == (3, 4096, "gthread")


def test_strangers_learn_only_whether_the_site_is_well_and_which_check_fails(client):
    answer = client.get("/healthz", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert answer.status_code == 503
    assert answer.json == {"status": "failing", "failing": ["playlists", "runners"]}


def test_a_request_relayed_by_an_uncounted_proxy_is_nobodys_for_metrics(client):
    """The system's nginx in front but KETING_PROXY_HOPS forgotten: the request seems to come from loopback."""
    relayed = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"},
                         environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert relayed.status_code == 403 and "KETING_PROXY_HOPS" in relayed.get_data(as_text=True)
