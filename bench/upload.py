"""Upload memory and speed: does the server's memory stay flat as files grow?

Starts `keting serve` (gunicorn) on a loopback port, then uploads a SMALL and
a LARGE file of random bytes with the tus protocol in CHUNK-sized PATCHes, as a
browser client would, while sampling the server's resident memory. The file is
refused at the end (random bytes are not a video): that costs one ffprobe and
shows the clean-up. Reference in the same run: `cp` of the same file.

    .venv/bin/python bench/upload.py [--small-mib 64] [--large-mib 512] [--chunk-mib 32]
"""

from __future__ import annotations

import argparse
import base64
import http.client
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from local_server import start_server  # noqa: E402

from server import create_app  # noqa: E402
from server.accounts.tokens import create_api_token  # noqa: E402
from server.accounts.users import add_user  # noqa: E402
from server.core.timestamps import utc_now  # noqa: E402
from server.web.context import current_lineup, get_db  # noqa: E402

MIB = 1024 * 1024


def _own_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def rss_mib(pid: int) -> float:
    """Resident memory of the server: gunicorn's master and its worker (the process's children)."""
    total = _own_rss_mib(pid)
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        try:
            total += _own_rss_mib(int(child))
        except OSError:
            pass  # a child that just ended
    return total


class PeakSampler(threading.Thread):
    """Samples a process's resident memory every 20 ms and keeps the peak."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, 0.0, True

    def run(self) -> None:
        """Record the peak resident memory until `running` is cleared."""
        while self.running:
            self.peak = max(self.peak, rss_mib(self.pid))
            time.sleep(0.02)


def random_file(path: Path, mib: int) -> Path:
    """A file of `mib` MiB of random bytes at `path`."""
    with path.open("wb") as out:
        for _ in range(mib):
            out.write(os.urandom(MIB))
    return path


def tus_upload(port: int, token: str, path: Path, chunk: int) -> int:
    """Upload `path` in `chunk`-byte PATCHes streamed from disk; return the final status."""
    size = path.stat().st_size
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    meta = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in
                    {"board": "dangke", "filename": path.name}.items())
    headers = {"Authorization": f"Bearer {token}", "Tus-Resumable": "1.0.0"}
    conn.request("POST", "/api/v1/uploads", headers={**headers, "Upload-Length": str(size), "Upload-Metadata": meta})
    response = conn.getresponse()
    response.read()
    location = response.getheader("Location").split(str(port), 1)[1]
    offset, status = 0, 0
    with path.open("rb") as source:
        while offset < size:
            length = min(chunk, size - offset)
            conn.putrequest("PATCH", location)
            for key, value in {**headers, "Upload-Offset": str(offset), "Content-Length": str(length),
                               "Content-Type": "application/offset+octet-stream"}.items():
                conn.putheader(key, value)
            conn.endheaders()
            remaining = length
            while remaining:
                piece = source.read(min(MIB, remaining))
                conn.send(piece)
                remaining -= len(piece)
            response = conn.getresponse()
            response.read()
            status = response.status
            offset += length
    conn.close()
    return status


def main() -> None:
    """Measure the server's memory and speed uploading a small and a large file, and print the results."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--small-mib", type=int, default=64)
    parser.add_argument("--large-mib", type=int, default=512)
    parser.add_argument("--chunk-mib", type=int, default=32)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        config = {"DATABASE": str(folder / "k.db"), "MEDIA_ROOT": str(folder / "media"),
                  "ORIGINALS_DIR": str(folder / "originals")}
        app = create_app(config)
        with app.app_context():
            add_user(get_db(), current_lineup(), "bench", "password123", "editor", utc_now(), all_boards=True)
            token = create_api_token(get_db(), "bench", "bench", utc_now())
        server, port = start_server(config)
        try:
            idle = rss_mib(server.pid)
            results = {}
            for label, mib in (("small", args.small_mib), ("large", args.large_mib)):
                path = random_file(folder / f"{label}.bin", mib)
                start = time.perf_counter()
                subprocess.run(["cp", str(path), str(folder / "copy.bin")], check=True)
                cp_s = time.perf_counter() - start
                (folder / "copy.bin").unlink()
                sampler = PeakSampler(server.pid)
                sampler.start()
                start = time.perf_counter()
                status = tus_upload(port, token, path, args.chunk_mib * MIB)
                upload_s = time.perf_counter() - start
                sampler.running = False
                sampler.join()
                leftover = list((folder / "originals").iterdir())
                results[label] = (mib, sampler.peak, mib / upload_s, mib / cp_s)
                print(f"{label:>5}: {mib} MiB, final status {status}, leftovers {len(leftover)}, "
                      f"upload {mib / upload_s:.0f} MiB/s, cp {mib / cp_s:.0f} MiB/s, peak RSS {sampler.peak:.1f} MiB")
                path.unlink()
        finally:
            server.terminate()
            server.wait(timeout=10)
    small, large = results["small"], results["large"]
    print(f"RESULT idle_rss_mib={idle:.1f} small_peak_rss_mib={small[1]:.1f} large_peak_rss_mib={large[1]:.1f} "
          f"large_vs_small_rss={large[1] / small[1]:.2f} size_ratio={large[0] / small[0]:.0f} "
          f"upload_mib_s={large[2]:.0f} upload_vs_cp={large[2] / large[3]:.2f}")


if __name__ == "__main__":
    main()
