"""Logging in and out of the console."""

from __future__ import annotations

from flask import current_app, redirect, request, session, url_for

from .. import login_guard
from ..api.auth import clock
from ..api.editor_auth import session_user
from ..context import get_db
from ..users import record_login, session_stamp, verify_password
from . import bp
from .access import safe_next
from .views import page


def _address() -> str:
    # Behind a proxy, deploy.md's ProxyFix setting makes this the client's address.
    return request.remote_addr or "unknown"


@bp.get("/")
def home():
    return redirect(url_for("console.library"))


@bp.get("/login")
def login():
    if session_user() is not None:
        return redirect(safe_next(request.args.get("next")))
    return page("console/login.html", next=request.args.get("next", ""), error=None, username="")


@bp.post("/login")
def login_submit():
    db, now = get_db(), clock()
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    target = request.form.get("next", "")
    limits = login_guard.limits_from(current_app.config)
    try:
        login_guard.check(db, username, _address(), limits, now)
    except login_guard.LockedOut as locked:
        answer = page("console/login.html", next=target, username=username,
                      error=locked.message(current_app.config["LANGUAGE"]))
        return answer, 429, {"Retry-After": str(locked.retry_after_s)}
    user = verify_password(db, username, password) if username and password else None
    if user is None:
        login_guard.record_failure(db, username, _address(), now)
        answer = page("console/login.html", next=target, username=username,
                      error=current_app.jinja_env.globals["t"]("login.wrong_password"))
        return answer, 401
    login_guard.record_success(db, username)
    record_login(db, user.id, now)
    session.clear()  # a fresh session (and CSRF token) on every login: no fixation
    session.permanent = True
    session["uid"] = user.id
    session["stamp"] = session_stamp(db, user.id)
    return redirect(safe_next(target))


@bp.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("console.login"))
