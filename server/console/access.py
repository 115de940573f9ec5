"""Who may open a console page: logged-in editors, and administrators for the admin pages."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import g, redirect, request, url_for

from ..api.editor_auth import session_user
from .views import page


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path on this site only (no open redirect)."""
    if not target:
        return url_for("console.library")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("console.library")
    return target


def login_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        user = session_user()
        if user is None:
            return redirect(url_for("console.login", next=request.full_path.rstrip("?")))
        g.user = user
        return view(*args, **kwargs)
    return wrapper


def admin_required(view):
    @login_required
    @wraps(view)
    def wrapper(*args, **kwargs):
        if g.user.role != "admin":
            return page("console/refused.html"), 403
        return view(*args, **kwargs)
    return wrapper
