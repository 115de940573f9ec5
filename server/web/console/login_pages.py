"""Logging in and out of the console."""

from __future__ import annotations

from flask import current_app, redirect, request, session, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer

from server.accounts import login_guard
from server.accounts.users import end_sessions, record_login, session_stamp, verify_password
from server.web.api.editor_auth import session_user
from server.web.console import bp
from server.web.console.access import safe_next
from server.web.console.views import page
from server.web.context import clock, get_db


def _address() -> str:
    # Behind a proxy, deploy.md's ProxyFix setting makes this the client's address.
    return request.remote_addr or "unknown"


KNOWN_DEVICE_COOKIE = "keting_known"
KNOWN_DEVICE_DAYS = 365


def _known_devices() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="keting-known-device")


def _known_device(username: str) -> bool:
    """Whether this browser once logged in to `username` here (login_guard does not slow it down for
    a stranger's wrong guesses)."""
    raw = request.cookies.get(KNOWN_DEVICE_COOKIE)
    if not raw or not username:
        return False
    try:
        return _known_devices().loads(raw, max_age=KNOWN_DEVICE_DAYS * 86400) == username.strip().lower()
    except BadSignature:
        return False


@bp.get("/")
def home():
    """Redirect the console's root to the library."""
    return redirect(url_for("console.library"))


@bp.get("/login")
def login():
    """The login form, or straight on to ?next for someone already logged in."""
    if session_user() is not None:
        return redirect(safe_next(request.args.get("next")))
    return page("console/login.html", next=request.args.get("next", ""), error=None, username="")


@bp.post("/login")
def login_submit():
    """Check a login form against the lock-outs and the password; on success start a fresh session and go on."""
    db, now = get_db(), clock()
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    target = request.form.get("next", "")
    limits = login_guard.limits_from(current_app.config)
    try:
        attempt = login_guard.begin(db, username, _address(), limits, now,  # counted before the check
                                    known_device=_known_device(username))
    except login_guard.LockedOut as locked:
        answer = page("console/login.html", next=target, username=username,
                      error=locked.message(current_app.config["LANGUAGE"]))
        return answer, 429, {"Retry-After": str(locked.retry_after_s)}
    user = verify_password(db, username, password) if username and password else None
    if user is None:
        answer = page("console/login.html", next=target, username=username,
                      error=current_app.jinja_env.globals["t"]("login.wrong_password"))
        return answer, 401
    login_guard.succeeded(db, attempt)
    record_login(db, user.id, now)
    session.clear()  # a fresh session (and CSRF token) on every login: no fixation
    session.permanent = True
    session["uid"] = user.id
    session["stamp"] = session_stamp(db, user.id)
    answer = redirect(safe_next(target))
    answer.set_cookie(KNOWN_DEVICE_COOKIE, _known_devices().dumps(user.username.lower()),
                      max_age=KNOWN_DEVICE_DAYS * 86400, httponly=True, samesite="Lax",
                      secure=current_app.config["SECURE_COOKIES"], path="/console/")
    return answer


@bp.post("/logout")
def logout():
    """End the console session, and every copy of its cookie, and go back to the login page."""
    user = session_user()
    if user is not None:
        end_sessions(get_db(), user.id)
    session.clear()
    return redirect(url_for("console.login"))
