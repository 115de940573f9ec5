"""A remote control over HTTP on 127.0.0.1: a phone app or a test presses keys and reads the screen.

POST /keys/<key>     press a key (names as in keys.Key: ok, back, 5, ch_up, ...)
GET  /status         what is on screen: view, focus, texts, playback (JSON)
POST /screenshot     save the screen as a PNG named by the body (e.g. home.png) in the client's screenshot
                     folder (--screenshot-dir); a path, or any other name, is refused
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from stb_client.ui.keys import Key

# Only a plain name: the remote writes nowhere but the client's own screenshot folder.
SCREENSHOT_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}\.png")


class HttpRemote:
    """Serves the remote in a thread; `press`, `status` and `screenshot` come from the client."""

    def __init__(self, press, status, screenshot, port: int = 0):
        remote = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args) -> None:  # quiet: a box has no one reading logs
                pass

            def _answer(self, status: int, body: dict | None = None) -> None:
                payload = json.dumps(body or {}, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _from_elsewhere(self) -> bool:
                """A request a web page made (it has an Origin) or that came by another host name
                (DNS rebinding): refused, so no page opened on the box can press its keys."""
                host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
                if "Origin" in self.headers or host not in ("127.0.0.1", "localhost", "[::1]"):
                    self._answer(403, {"error": "only local programs may use the remote"})
                    return True
                return False

            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                if self._from_elsewhere():
                    return
                if self.path == "/status":
                    self._answer(200, remote.status())
                else:
                    self._answer(404, {"error": "unknown path"})

            def do_POST(self) -> None:  # noqa: N802
                if self._from_elsewhere():
                    return
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                if self.path.startswith("/keys/"):
                    try:
                        key = Key(self.path.removeprefix("/keys/"))
                    except ValueError:
                        self._answer(400, {"error": f"unknown key {self.path.removeprefix('/keys/')!r}",
                                           "keys": [k.value for k in Key]})
                        return
                    remote.press(key)
                    self._answer(204)
                elif self.path == "/screenshot":
                    if not SCREENSHOT_NAME.fullmatch(body):
                        self._answer(400, {"error": "give a file name such as home.png (letters, digits, - _ .)"})
                        return
                    self._answer(200, {"saved": str(remote.screenshot(body))})
                else:
                    self._answer(404, {"error": "unknown path"})

        self.press, self.status, self.screenshot = press, status, screenshot
        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, name="http-remote", daemon=True)

    def start(self) -> None:
        """Start serving the remote, in a thread of its own."""
        self.thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.server.shutdown()
        self.server.server_close()
