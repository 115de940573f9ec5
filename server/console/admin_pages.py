"""Administrator pages: the schedule's week grid, set-top boxes, notices, accounts."""

from __future__ import annotations

from datetime import date, timedelta

from flask import current_app, g, request

from keting_i18n import text

from .. import devices, notices, users
from ..api.auth import clock
from ..context import current_lineup, get_db
from ..library import list_items
from ..organisations import list_organisations
from . import bp
from .access import admin_required
from .views import page, zone
from .week_grid import week_grid


def _week_start(raw: str | None, today: date) -> date:
    try:
        day = date.fromisoformat(raw) if raw else today
    except ValueError:
        day = today
    return day - timedelta(days=day.weekday())


@bp.get("/schedule")
@admin_required
def schedule_page():
    lineup, now = current_lineup(), clock()
    numbers = [c.number for c in lineup.channels]
    raw_channel = request.args.get("channel", "")
    channel = int(raw_channel) if raw_channel.isdigit() and int(raw_channel) in numbers else numbers[0]
    monday = _week_start(request.args.get("week"), now.astimezone(zone()).date())
    grid = week_grid(get_db(), lineup, channel, monday, zone(),
                     text("console.legend_filler", lang=current_app.config["LANGUAGE"]))
    ready = [i for i in list_items(get_db(), lineup, g.user, kind="video") if i.hls_path and i.state != "archived"]
    return page("console/schedule.html", grid=grid, channel=channel, channels=lineup.channels, monday=monday,
                previous_week=(monday - timedelta(days=7)).isoformat(),
                next_week=(monday + timedelta(days=7)).isoformat(), videos=ready,
                default_start=(now.astimezone(zone()) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:00"), now=now)


@bp.get("/devices")
@admin_required
def devices_page():
    db = get_db()
    rows = devices.list_devices(db)
    titles = dict(db.execute("SELECT 'item:' || id, title FROM items WHERE id IN "
                             "(SELECT CAST(substr(playing, 6) AS INTEGER) FROM devices WHERE playing LIKE 'item:%')"))
    channels = {f"channel:{c.number}": f"{c.number} {c.name}" for c in current_lineup().channels}
    return page("console/devices.html", pending=[r for r in rows if r["state"] == "pending"],
                boxes=[r for r in rows if r["state"] != "pending"], organisations=list_organisations(db),
                playing_names={**titles, **channels})


@bp.get("/notices")
@admin_required
def notices_page():
    now = clock()
    return page("console/notices.html", notices=notices.list_notices(get_db(), now),
                organisations=list_organisations(get_db()),
                default_expiry=(now.astimezone(zone()) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))


@bp.get("/accounts")
@admin_required
def accounts_page():
    return page("console/accounts.html", accounts=users.list_users(get_db()),
                min_password=users.MIN_PASSWORD_LENGTH)

