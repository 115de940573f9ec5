"""Reading request input: one parser per kind of value, each refusing bad input with a 400 that names the field.

Routes and console pages never check digits or parse times by hand: a
query parameter such as ?org_id=abc is refused, not read as "none".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from functools import wraps

from flask import request

from server.core.errors import UserError
from server.core.timestamps import parse_time

LARGEST_ID = 2 ** 62


def int_arg(name: str, default: int | None = None, low: int = 0, high: int = LARGEST_ID) -> int | None:
    """A whole-number query parameter within [low, high]; absent or empty gives `default`."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    raw = raw.strip()
    digits = raw[1:] if raw.startswith("-") else raw
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 19) or not low <= int(raw) <= high:
        message_id = "api.bad_id_param" if high == LARGEST_ID else "api.bad_int_param"
        raise UserError(message_id, name=name, value=raw, low=low, high=high)
    return int(raw)


def flag_arg(name: str) -> bool:
    """A yes/no query parameter: 1 or true is yes, absent, 0 or false is no; anything else is refused."""
    raw = (request.args.get(name) or "").strip().lower()
    if raw in ("", "0", "false"):
        return False
    if raw in ("1", "true"):
        return True
    raise UserError("api.bad_flag_param", name=name, value=raw)


def date_arg(name: str) -> date | None:
    """A calendar date (2026-12-01) from the query string; absent or empty gives None."""
    return date_field(request.args, name)


def date_field(source: Mapping, name: str) -> date | None:
    """A calendar date from a JSON body or the query string; absent (null) gives None."""
    raw = source.get(name)
    if raw is None or raw == "":
        return None
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise UserError("schedule.bad_date", field=name, value=raw) from None


def time_range(default_start: datetime, default_span: timedelta, max_days: int) -> tuple[datetime, datetime]:
    """?from and ?to of a listing (defaults: `default_start`, and `default_span` after the start); a range that
    ends before it starts or is longer than `max_days` is a 400 saying so."""
    start = time_field(request.args, "from", required=False) or default_start
    end = time_field(request.args, "to", required=False) or start + default_span
    if end <= start or end - start > timedelta(days=max_days):
        raise UserError("schedule.bad_range", days=max_days)
    return start, end


def time_field(source: Mapping, name: str, required: bool = True) -> datetime | None:
    """An ISO 8601 time with a zone from a JSON body or the query string. Absent (or empty)
    gives None when not required; anything else that is not such a time is a 400 naming the field."""
    raw = source.get(name)
    if raw is None or raw == "":
        if required:
            raise UserError("schedule.bad_time", field=name, value="")
        return None
    if not isinstance(raw, str):
        raise UserError("schedule.bad_time", field=name, value=raw)
    try:
        return parse_time(raw)
    except ValueError:
        raise UserError("schedule.bad_time", field=name, value=raw) from None


def int_field(source: Mapping, name: str, required: bool = True) -> int | None:
    """A whole number from a JSON body; absent (null) gives None when not required; 400 naming the field."""
    raw = source.get(name)
    if raw is None and not required:
        return None
    if not is_whole_number(raw):
        raise UserError("schedule.bad_number", field=name, value=raw if raw is not None else "")
    return raw


def bool_field(source: Mapping, name: str, default: bool | None) -> bool | None:
    """A yes/no field of a JSON body: true or false (absent: `default`); 1, "yes" and the rest are refused."""
    value = source.get(name, default)
    if value is not default and not isinstance(value, bool):
        raise UserError("api.bad_flag_param", name=name, value=str(value)[:20])
    return value


def is_whole_number(value: object) -> bool:
    """A JSON whole number the database can hold (SQLite's 64-bit integers; true and false are not numbers)."""
    return isinstance(value, int) and not isinstance(value, bool) and -(2 ** 63) <= value < 2 ** 63


def body_limit(limit: int | Callable[[], int]):
    """Allow this route a larger request body than MAX_REQUEST_BYTES (a picture, subtitles, a tus PATCH).

    Werkzeug refuses a body over the limit with 413 before reading it (by its
    Content-Length) or as soon as a chunked one passes it.
    """
    def decorate(view):
        @wraps(view)
        def limited(*args, **kwargs):
            request.max_content_length = limit() if callable(limit) else limit
            return view(*args, **kwargs)
        return limited
    return decorate


def json_body() -> dict:
    """The request's JSON object; 400 with a clear message when it is missing or not an object."""
    body = request.get_json(silent=True)
    if request.content_length is None:
        # A chunked body is cut at the limit, not refused: a byte past it means it was too large (413).
        request.stream.read(1)
    if not isinstance(body, dict):
        raise UserError("api.body_not_json_object")
    return body
