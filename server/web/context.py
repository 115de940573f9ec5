"""What a request (or a CLI command inside the app context) reaches: its database connection, the site, now.

The one clock accessor of the web layer is `clock()`; domain functions never
read a clock, they take `now`.
"""

from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app, g
from sqlite_utils import Database

from server.broadcast.station import Station
from server.core.channels_yaml import Lineup
from server.core.connection_pool import ConnectionPool
from server.core.site import Site
from server.web.poll_cache import PollCache


def site() -> Site:
    """The running site: settings, line-up and clock."""
    return current_app.extensions["keting"]["site"]


def station() -> Station:
    """The app's station (channels' timelines and playlists), shared by requests and runners."""
    return current_app.extensions["keting"]["station"]


def clock() -> datetime:
    """Now, from the app's clock (tests give a fixed one through create_app)."""
    return site().now()


def get_db() -> Database:
    """The current request's (or command's) database connection, taken from the pool on first use."""
    if "db" not in g:
        g.db = current_app.extensions["keting"]["connections"].acquire()
    return g.db


def close_db(error: BaseException | None = None) -> None:
    """Give the request's connection back to the pool, if it took one; after an unhandled error, close it
    instead: the error's traceback may keep a half-read cursor alive, and with it an old read snapshot."""
    db = g.pop("db", None)
    if db is None:
        return
    if error is not None:
        db.close()
    else:
        current_app.extensions["keting"]["connections"].release(db)


def poll_cache() -> PollCache:
    """This process's memory of box poll answers (poll_cache.py)."""
    return current_app.extensions["keting"]["poll"]


def current_lineup() -> Lineup:
    """The boards, channels and ladder loaded from channels.yaml at start."""
    return site().lineup


def init_app(app: Flask, site_: Site, station_: Station) -> None:
    """Keep the site and station on the app and give each request's connection back after it."""
    app.extensions["keting"] = {"site": site_, "station": station_, "connections": ConnectionPool(site_.connect),
                                "poll": PollCache(site_.config["DATABASE"])}
    app.teardown_appcontext(close_db)


def wake_jobs() -> None:
    """Tell this process's transcode runner to look at the job table now (no runner: nothing to do)."""
    runner = current_app.extensions["keting"].get("job_runner")
    if runner is not None:
        runner.wake()
