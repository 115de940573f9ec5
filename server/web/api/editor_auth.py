"""Who an editor or administrator is: an API token (scripts) or a console session (the browser)."""

from __future__ import annotations

from functools import wraps

from flask import g, request, session

from server.accounts.tokens import user_for_token
from server.accounts.users import User, user_for_session
from server.core.errors import UserError
from server.web.api.auth import bearer_token
from server.web.context import clock, get_db


def session_user() -> User | None:
    """The console session's account, or None (none, expired, disabled, or its password changed)."""
    # Kept on the request, not on g: an app context (and its g) may outlive one request.
    cache = request.environ
    if "keting.session_user" not in cache:
        cache["keting.session_user"] = user_for_session(get_db(), session.get("uid"), session.get("stamp"))
    return cache["keting.session_user"]


def require_editor(view):
    """Only an enabled editor or administrator gets through; the account is in g.user.

    A bearer token wins over a session cookie; requests on the cookie have
    passed the CSRF check before they get here (web_security.py).
    """
    @wraps(view)
    def wrapper(*args, **kwargs):
        if "Authorization" in request.headers:
            # A request that brings credentials of its own is judged by them alone: a bad or odd header never
            # falls back to the session cookie (the CSRF check skipped such requests).
            token = bearer_token()
            user = user_for_token(get_db(), token, clock()) if token else None
            if user is None:
                raise UserError("editor.token_invalid", status=401)
        else:
            user = session_user()
            if user is None:
                raise UserError("editor.token_missing", status=401)
        g.user = user
        return view(*args, **kwargs)
    return wrapper


def current_user() -> User:
    """The account that made this request (set by require_editor)."""
    return g.user


def require_admin(view):
    """Only an enabled administrator gets through (editors get 403 with a clear message)."""
    @require_editor
    @wraps(view)
    def wrapper(*args, **kwargs):
        if g.user.role != "admin":
            raise UserError("editor.admin_only", status=403, error_code="forbidden")
        return view(*args, **kwargs)
    return wrapper


def require_site_admin(view):
    """Only an administrator of the whole site (no organisation limit) gets through: accounts, the schedule and
    notices are the subdistrict's; an administrator of one community gets 403 with a clear message."""
    @require_admin
    @wraps(view)
    def wrapper(*args, **kwargs):
        if g.user.org_id is not None:
            raise UserError("editor.site_admin_only", status=403, error_code="forbidden")
        return view(*args, **kwargs)
    return wrapper
