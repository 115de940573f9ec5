"""How much a polling box costs: conditional GET (304) against a full catalogue answer (200).

Starts `keting serve` (gunicorn, its production setup) on a loopback port over a
catalogue of ITEMS items in a tree of organisations, then sends the same bounded
number of requests from CLIENTS keep-alive connections for each case:
  full   GET /api/v1/boards and one board page, no validator (the reference)
  cached the same with If-None-Match, answered 304 before any listing query
Prints per-case throughput and median latency, and ends with one RESULT line.

    .venv/bin/python bench/catalogue.py [--items 5000] [--requests 2000] [--clients 4]
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from local_server import start_server  # noqa: E402

from server import create_app  # noqa: E402
from server.accounts.devices import approve_device, claim_token, register_device  # noqa: E402
from server.accounts.organisations import add_organisation  # noqa: E402
from server.catalogue.items import create_item  # noqa: E402
from server.core.timestamps import utc_now  # noqa: E402
from server.web.context import current_lineup, get_db  # noqa: E402


def build_catalogue(folder: Path, items: int) -> str:
    """A database with `items` published articles, some targeted; returns a box token."""
    app = create_app({"DATABASE": str(folder / "k.db"), "MEDIA_ROOT": str(folder / "media")})
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        street = add_organisation(db, "太平街道", "subdistrict").id
        communities = [add_organisation(db, f"社区{n}", "community", street).id for n in range(20)]
        boards = [b.id for b in lineup.boards if b.kind != "video"]
        now = utc_now()
        with db.atomic():
            for n in range(items):
                targets = (communities[n % 20],) if n % 3 == 0 else ()
                create_item(db, lineup, kind="article", board_id=boards[n % len(boards)], title=f"通知 {n}",
                            body_markdown=f"第 {n} 条通知的正文。", state="published", targets=targets,
                            publish_at=now - timedelta(minutes=n))
        registration = register_device(db, "BENCH", "bench", "bench", now, 600)
        approve_device(db, registration.pairing_code, communities[0], now)
        return claim_token(db, registration.device_code, now).token


def load(port: int, paths: list[str], headers_for, requests: int, clients: int) -> tuple[float, list[float], int]:
    """Send `requests` GETs over `clients` keep-alive connections; (seconds, latencies, status)."""
    latencies: list[float] = []
    statuses: set[int] = set()
    lock = threading.Lock()
    per_client = requests // clients

    def worker(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine = []
        for n in range(per_client):
            path = paths[(index + n) % len(paths)]
            start = time.perf_counter()
            conn.request("GET", path, headers=headers_for(path))
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - start)
            statuses.add(response.status)
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if len(statuses) != 1:
        raise SystemExit(f"mixed statuses {statuses}")
    return elapsed, latencies, statuses.pop()


def main() -> None:
    """Measure full against cached (304) catalogue requests and print the results."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        token = build_catalogue(folder, args.items)
        server, port = start_server({"DATABASE": folder / "k.db", "MEDIA_ROOT": folder / "media",
                                     "THREADS": args.clients})
        try:
            auth = {"Authorization": f"Bearer {token}"}
            paths = ["/api/v1/boards", "/api/v1/boards/gongkai/items?page=1&per_page=20"]
            etags = {}
            conn = http.client.HTTPConnection("127.0.0.1", port)
            for path in paths:
                conn.request("GET", path, headers=auth)
                response = conn.getresponse()
                response.read()
                etags[path] = response.getheader("ETag")
            conn.close()
            results = {}
            for name, headers_for in (("full", lambda p: auth),
                                      ("cached", lambda p: {**auth, "If-None-Match": etags[p]})):
                load(port, paths, headers_for, args.clients * 20, args.clients)  # warm-up
                elapsed, latencies, status = load(port, paths, headers_for, args.requests, args.clients)
                rps = len(latencies) / elapsed
                median_ms = statistics.median(latencies) * 1000
                results[name] = (rps, median_ms)
                print(f"{name:>6}: status {status}, {len(latencies)} requests in {elapsed:.2f} s, "
                      f"{rps:.0f} req/s, median {median_ms:.2f} ms")
        finally:
            server.terminate()
            server.wait(timeout=10)
    ratio = results["cached"][0] / results["full"][0]
    print(f"RESULT items={args.items} full_rps={results['full'][0]:.0f} cached_rps={results['cached'][0]:.0f} "
          f"full_median_ms={results['full'][1]:.2f} cached_median_ms={results['cached'][1]:.2f} "
          f"cached_vs_full={ratio:.2f}")


if __name__ == "__main__":
    main()
