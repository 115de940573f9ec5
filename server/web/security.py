"""Browser-facing security: the signing key, session cookies, CSRF and response headers.

CSRF tokens come from Flask-WTF's CSRFProtect (maintained, constant-time
checks, token expiry, the X-CSRFToken header for scripts) rather than our own.
A state-changing request is checked when a cookie could authenticate it:
every console form, and API calls that carry the session cookie and no
Authorization header. Boxes and scripts send a bearer token and no cookie,
so a forged cross-site request has nothing to ride on there.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, request
from flask_wtf.csrf import CSRFError, CSRFProtect

from keting_i18n import text
from server.core.instance_keys import instance_key

csrf = CSRFProtect()

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
PAGE_CSP = ("default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
               "worker-src 'self' blob:; script-src 'self'; style-src 'self'; object-src 'none'; "
               "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


def secret_key(app: Flask) -> str:
    """SECRET_KEY, or a random key made once and kept in instance/secret_key (mode 600)."""
    return instance_key(app.instance_path, "secret_key", app.config["SECRET_KEY"])


def _needs_csrf(cookie_name: str) -> bool:
    """Every state-changing request a cookie could authenticate: every console form, and API calls unless they
    carry an Authorization header (require_editor then never looks at the cookie)."""
    if request.method in SAFE_METHODS:
        return False
    if not request.path.startswith("/api/"):
        return True
    return "Authorization" not in request.headers and cookie_name in request.cookies


# Types a browser would run script from: they all get the strict policy, whatever the path.
ACTIVE_TYPES = frozenset({"text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml"})


def _headers(response):
    """Security headers on every response; the CSP and frame refusal on everything a browser could render
    as a page (an error page under /live as much as the console)."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if response.mimetype in ACTIVE_TYPES or request.path.startswith("/console"):
        response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def trust_proxies(app: Flask, hops: int) -> None:
    """Believe X-Forwarded-For/-Proto from `hops` proxies in front (ProxyFix), replacing an earlier call.

    `keting serve` calls it again with one more hop when it starts its own nginx in front.
    """
    from werkzeug.middleware.proxy_fix import ProxyFix

    plain = app.extensions.setdefault("keting_plain_wsgi_app", app.wsgi_app)
    # Not X-Forwarded-Host: the nginx Keting generates passes the client's Host as it is, and never sets
    # that header, so whatever it carried would come from the client.
    app.wsgi_app = ProxyFix(plain, x_for=hops, x_proto=hops) if hops else plain
    app.extensions["keting_proxy_hops"] = hops


def init_app(app: Flask) -> None:
    """Secure the app: ProxyFix for PROXY_HOPS, the secret key, session cookies, CSRF checks and headers."""
    trust_proxies(app, app.config["PROXY_HOPS"])
    app.secret_key = secret_key(app)
    app.config.update(
        SESSION_COOKIE_NAME="keting_session", SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=app.config["SECURE_COOKIES"],
        PERMANENT_SESSION_LIFETIME=timedelta(hours=app.config["SESSION_HOURS"]),
        WTF_CSRF_CHECK_DEFAULT=False, WTF_CSRF_TIME_LIMIT=None, WTF_CSRF_SSL_STRICT=True)
    csrf.init_app(app)

    @app.before_request
    def check_csrf():
        if _needs_csrf(app.config["SESSION_COOKIE_NAME"]):
            csrf.protect()

    app.after_request(_headers)

    def csrf_failed(error: CSRFError):
        message = text("console.csrf_failed", lang=app.config["LANGUAGE"])
        if request.path.startswith("/api/"):
            from server.web.api.responses import error_response
            return error_response(400, "csrf_failed", message)
        return message, 400

    app.register_error_handler(CSRFError, csrf_failed)
