"""UTC timestamps as stored in the database: 'YYYY-MM-DDTHH:MM:SSZ' text.

One fixed format means times compare correctly as text in SQL and indexes.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """The current time, timezone-aware UTC, to the second."""
    return datetime.now(UTC).replace(microsecond=0)


def format_utc(moment: datetime) -> str:
    """A timezone-aware datetime as stored text."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: give a timezone")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str) -> datetime:
    """Parse ISO 8601 text with a zone ('Z' or +08:00) into an aware datetime.

    A time without a zone is refused: guessing the zone is how a notice ends
    up published eight hours early.
    """
    moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone; add Z or an offset such as +08:00")
    return moment.astimezone(UTC)


def to_ms(moment: datetime) -> int:
    """An aware datetime as milliseconds since the Unix epoch (channel timelines count in ms)."""
    return round(moment.timestamp() * 1000)


def from_ms(ms: int) -> datetime:
    """Milliseconds since the Unix epoch as an aware UTC datetime."""
    return datetime.fromtimestamp(ms / 1000, UTC)


def stored_ms(value: str) -> int:
    """A stored UTC text time as milliseconds since the epoch."""
    return to_ms(parse_time(value))
