"""Errors a person can act on: a catalogue message plus an HTTP status and a stable code.

Domain functions raise UserError; the API turns it into
{"error": {"code", "message"}}, the CLI prints the message. The message
comes from the catalogue, so it reads the same everywhere.
"""

from __future__ import annotations

from keting_i18n import text


class UserError(Exception):
    """Something the caller asked for cannot be done; `message` says what and what to do."""

    def __init__(self, message_id: str, *, status: int = 400, error_code: str | None = None, **params: object):
        self.message_id = message_id
        self.params = params
        self.status = status
        self.code = error_code or message_id.rsplit(".", 1)[-1]
        super().__init__(message_id)

    def message(self, lang: str = "zh_CN") -> str:
        """The error's catalogue message in `lang`, with its parameters filled in."""
        return text(self.message_id, lang=lang, **self.params)

    def __str__(self) -> str:
        return self.message()


class NotFound(UserError):
    """The thing asked for does not exist (or is not visible to the caller)."""

    def __init__(self, message_id: str, **params: object):
        super().__init__(message_id, status=404, **params)
