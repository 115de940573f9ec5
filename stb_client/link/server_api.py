"""The set-top API as seen from the box: plain urllib, no server dependencies.

Keeps the ETag of each catalogue answer and sends it back, so an unchanged
catalogue costs a 304 with no body.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlencode, urljoin

DEFAULT_TIMEOUT_S = 10


class ApiError(Exception):
    """The server answered with an error; `code` and `message` come from its JSON."""

    def __init__(self, status: int, code: str, message: str):
        self.status, self.code, self.message = status, code, message
        super().__init__(f"{status} {code}: {message}")


class Unreachable(Exception):
    """The server could not be reached (network down, server stopped)."""


@dataclass
class Cached:
    """A conditional answer kept with its ETag, returned again on a 304."""

    etag: str
    body: dict


class ServerApi:
    """One server, one box. `token` is None until pairing is done."""

    def __init__(self, base_url: str, token: str | None = None, timeout_s: float = DEFAULT_TIMEOUT_S):
        self.base_url = base_url.rstrip("/") + "/"
        self.token = token
        self.timeout_s = timeout_s
        self._cache: dict[str, Cached] = {}
        self.last_was_cached = False
        self.server_offset_s = 0.0  # the server's clock less this box's, from the last answer's Date header

    def _note_date(self, headers) -> None:
        """Keep how far the server's clock is from ours (1 s resolution: enough for a check-in window)."""
        try:
            stamp = parsedate_to_datetime(headers.get("Date") or "")
        except (TypeError, ValueError):
            return
        if stamp.tzinfo is not None:
            self.server_offset_s = stamp.timestamp() - time.time()

    def _request(self, method: str, path: str, body: dict | None = None, conditional: bool = False) -> tuple[int, dict]:
        url = urljoin(self.base_url, path.lstrip("/"))
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        cached = self._cache.get(url) if conditional else None
        if cached:
            request.add_header("If-None-Match", cached.etag)
        self.last_was_cached = False
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                status, raw, etag = response.status, response.read(), response.headers.get("ETag")
                self._note_date(response.headers)
        except urllib.error.HTTPError as error:
            self._note_date(error.headers)
            if error.code == 304 and cached:
                self.last_was_cached = True
                return 200, cached.body
            raw = error.read()
            try:
                detail = json.loads(raw)["error"]
                raise ApiError(error.code, detail["code"], detail["message"]) from None
            except (ValueError, KeyError, TypeError):
                raise ApiError(error.code, "http_error", raw[:200].decode("utf-8", "replace")) from None
        except (urllib.error.URLError, OSError) as error:
            raise Unreachable(str(error)) from None
        payload = json.loads(raw) if raw else {}
        if conditional and etag:
            self._cache[url] = Cached(etag, payload)
        return status, payload

    def register(self, serial: str, name: str, client_version: str) -> dict:
        """Start pairing: returns pairing_code (to show) and device_code (to keep)."""
        return self._request("POST", "api/v1/devices",
                             {"serial": serial, "name": name, "client_version": client_version})[1]

    def poll_token(self, device_code: str) -> dict:
        """{"status": "pending", ...} until approved, then {"status": "approved", "token": ...}."""
        body = self._request("POST", "api/v1/devices/token", {"device_code": device_code})[1]
        if body.get("status") == "approved":
            self.token = body["token"]
        return body

    def boards(self) -> list[dict]:
        """The boards with their item counts (conditional GET)."""
        return self._request("GET", "api/v1/boards", conditional=True)[1]["boards"]

    def board_items(self, board_id: str, page: int = 1, per_page: int | None = None) -> dict:
        """One page of a board's items, with the board and page counts (conditional GET)."""
        query = {"page": page, **({"per_page": per_page} if per_page else {})}
        return self._request("GET", f"api/v1/boards/{board_id}/items?{urlencode(query)}", conditional=True)[1]

    def item(self, item_id: int) -> dict:
        """An item in full: a video's stream, subtitles and resume point, or an article's text."""
        return self._request("GET", f"api/v1/items/{item_id}")[1]

    def save_position(self, item_id: int, position_s: float) -> dict:
        """Save the resume point in a video; the server answers it and whether the video is watched."""
        return self._request("PUT", f"api/v1/items/{item_id}/position", {"position_s": position_s})[1]

    def report_playing(self, channel: int | None, item_id: int | None) -> dict:
        """Tell the server what the box shows now (channel, item, or neither: the menus)."""
        body = {"channel": channel} if channel is not None else {"item_id": item_id} if item_id is not None else {}
        return self._request("PUT", "api/v1/playing", body)[1]

    def channels(self) -> dict:
        """Channels with stream URLs and now/next (conditional GET)."""
        return self._request("GET", "/api/v1/channels", conditional=True)[1]

    def epg(self, start: str, end: str) -> dict:
        """Every channel's programmes overlapping [start, end) (ISO UTC; conditional GET)."""
        return self._request("GET", f"/api/v1/epg?from={start}&to={end}", conditional=True)[1]

    def notices(self) -> list[dict]:
        """What the box should show now (conditional GET)."""
        return self._request("GET", "/api/v1/notices", conditional=True)[1]["notices"]

    def check_in(self, entry_id: int, members: list[int]) -> dict:
        """Check in the members watching at a check-in programme (签到)."""
        return self._request("POST", "/api/v1/checkins", {"entry_id": int(entry_id),
                                                          "members": [int(m) for m in members]})[1]

    def household(self) -> dict:
        """The members who watch this box, and the timings of "谁在看" and "还在看吗"."""
        return self._request("GET", "/api/v1/household")[1]

    def study(self, member_id: int) -> dict:
        """我的学习 of one member of the box's household."""
        return self._request("GET", f"/api/v1/study/{int(member_id)}")[1]

    def home(self, members: tuple[int, ...]) -> dict:
        """Home's rows (最近看过, 收藏) of the members watching (none: the box's own)."""
        return self._request("GET", f"/api/v1/home{_members_query(members)}")[1]

    def set_favourite(self, item_id: int, on: bool, members: tuple[int, ...]) -> dict:
        """Keep an item as a favourite of the members watching (none: of the box), or take it away."""
        path = f"/api/v1/favourites/{int(item_id)}{_members_query(members)}"
        return self._request("PUT" if on else "DELETE", path)[1]

    def quiz(self, item_id: int) -> dict:
        """A video's quiz (随堂测验): its questions with the right answers and explanations."""
        return self._request("GET", f"/api/v1/items/{int(item_id)}/quiz")[1]

    def quiz_attempt(self, item_id: int, members: list[int], answers: list[tuple[int, int, int]]) -> dict:
        """Send a finished quiz attempt for the members watching: (question id, choice index, revision) each."""
        body = {"item_id": int(item_id), "member_ids": [int(m) for m in members],
                "answers": [{"question_id": q, "choice": c, "revision": r} for q, c, r in answers]}
        return self._request("POST", "/api/v1/quiz/attempts", body)[1]

    def report_watch(self, intervals: list[dict], sent_at: float | None = None,
                     position: tuple[int, float] | None = None) -> dict:
        """Send watch intervals (at most 100) with the box's clock when sent (the server corrects a clock far
        off) and, optionally, the resume point (item id, seconds) of the video playing now; the server answers
        how many it took and why others were refused."""
        body = {"intervals": intervals, **({"sent_at": round(sent_at, 3)} if sent_at is not None else {})}
        if position is not None:
            body["position"] = {"item_id": position[0], "position_s": round(position[1], 1)}
        return self._request("POST", "/api/v1/watch", body)[1]


def _members_query(members: tuple[int, ...]) -> str:
    """?members=1,2 (nothing for none)."""
    return "?members=" + ",".join(str(int(m)) for m in members) if members else ""
