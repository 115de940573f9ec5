"""Who may open a console page: logged-in editors, and administrators for the admin pages."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import g, redirect, request, url_for

from server.web.api.editor_auth import session_user
from server.web.console.views import page


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path on this site only (no open redirect)."""
    if not target:
        return url_for("console.library")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("console.library")
    return target


def login_required(view):
    """Only a logged-in console user gets through (in g.user); others are sent to the login page and back."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        user = session_user()
        if user is None:
            return redirect(url_for("console.login", next=request.full_path.rstrip("?")))
        g.user = user
        return view(*args, **kwargs)
    return wrapper


def site_admin_required(view):
    """Only an administrator of the whole site gets through (accounts are the subdistrict's); others get the
    refusal page (403)."""
    @login_required
    @wraps(view)
    def wrapper(*args, **kwargs):
        if g.user.role != "admin" or g.user.org_id is not None:
            return page("console/refused.html"), 403
        return view(*args, **kwargs)
    return wrapper


def admin_required(view):
    """Only a logged-in administrator gets through; an editor gets the refusal page (403)."""
    @login_required
    @wraps(view)
    def wrapper(*args, **kwargs):
        if g.user.role != "admin":
            return page("console/refused.html"), 403
        return view(*args, **kwargs)
    return wrapper
