"""Keting media server: the Flask application factory."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path

from flask import Flask
from werkzeug.routing import IntegerConverter

from keting_i18n import text
from server.broadcast.station import Station, StationSettings
from server.core import settings
from server.core.channels_yaml import load_lineup
from server.core.db import connect
from server.core.instance_keys import instance_key
from server.core.migrations import migrate
from server.core.site import Site
from server.core.timestamps import utc_now
from server.web import context


class SqliteInteger(IntegerConverter):
    """<int:…> in every route: a whole number SQLite can hold (a larger one is no such thing: 404, not a 500)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2 ** 63 - 1)
        super().__init__(url_map, *args, **kwargs)


def _apply_settings(app: Flask, test_config: Mapping | None) -> None:
    """Defaults, then instance/keting.cfg, then KETING_* variables, then the test's mapping; then the paths
    left empty, from the instance folder (and, in a source checkout, the checkout: settings.py)."""
    app.config.from_mapping({s.name: s.default for s in settings.SETTINGS})
    app.config.from_pyfile("keting.cfg", silent=True)
    app.config.update(settings.from_environment())
    if test_config:
        app.config.update(test_config)
    for setting in settings.SETTINGS:
        app.config[setting.name] = settings.coerce(setting, app.config[setting.name])
    instance = Path(app.instance_path)
    app.config["INSTANCE"] = str(instance)  # the folder in force (Flask's default when KETING_INSTANCE is unset)
    if not app.config["DATABASE"]:
        app.config["DATABASE"] = str(instance / "keting.sqlite3")
    if not app.config["MEDIA_ROOT"]:
        app.config["MEDIA_ROOT"] = str(settings.default_media_root(instance))
    if not app.config["CHANNELS_FILE"]:
        app.config["CHANNELS_FILE"] = str(settings.default_channels_file(instance))
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_REQUEST_BYTES"]  # Flask's name for it
    hosts = [host.strip() for host in app.config["ALLOWED_HOSTS"].split(",") if host.strip()]
    app.config["TRUSTED_HOSTS"] = hosts or None  # Flask refuses other Host headers with 400
    app.config["MEDIA_SIGNING_KEY"] = instance_key(app.instance_path, "media_signing_key",
                                                   app.config["MEDIA_SIGNING_KEY"])
    if not app.config["ORIGINALS_DIR"]:
        app.config["ORIGINALS_DIR"] = str(instance / "originals")


def create_app(test_config: Mapping | None = None, clock: Callable[[], datetime] = utc_now) -> Flask:
    """Build the server: settings, channels.yaml, database schema, routes.

    Raises channels_yaml.ConfigError when channels.yaml is wrong, so a bad
    line-up never starts serving. `clock` lets tests fix "now".
    """
    app = Flask(__name__, instance_path=settings.instance_folder(test_config), instance_relative_config=True,
                template_folder="web/templates", static_folder="web/static")
    app.url_map.converters["int"] = SqliteInteger
    _apply_settings(app, test_config)
    app.json.ensure_ascii = False  # Chinese stays readable in JSON
    lineup = load_lineup(app.config["CHANNELS_FILE"])
    # The instance folder (database, keys) and the originals are private; media is public (media_permissions).
    for private in (app.instance_path, app.config["ORIGINALS_DIR"]):
        Path(private).mkdir(parents=True, exist_ok=True, mode=0o700)
    Path(app.config["MEDIA_ROOT"]).mkdir(parents=True, exist_ok=True)
    db = connect(app.config["DATABASE"])
    try:
        migrate(db)
    finally:
        db.close()
    context.init_app(app, Site(app.config, lineup, clock), Station(StationSettings.from_config(app.config)))
    app.jinja_env.globals["t"] = lambda message_id, **params: text(
        message_id, lang=app.config["LANGUAGE"], **params)

    from server.web import api, console, guide_routes, media_files, ops_routes, pages, request_log
    from server.web import security as web_security
    from server.web.api.responses import register_error_handlers

    web_security.init_app(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(console.bp)
    app.register_blueprint(guide_routes.bp)
    latency = ops_routes.init_app(app)
    request_log.init_app(app, lambda seconds, kind: latency.labels(kind).observe(seconds))
    if app.config["SERVE_MEDIA"]:
        app.register_blueprint(media_files.bp)
    register_error_handlers(app)
    return app
