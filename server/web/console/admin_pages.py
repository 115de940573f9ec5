"""Administrator pages: the schedule's week grid, set-top boxes (with their households), notices, accounts."""

from __future__ import annotations

from datetime import date, timedelta

from flask import current_app, g

from keting_i18n import text
from server.accounts import devices, users
from server.accounts.organisations import list_organisations
from server.accounts.tokens import list_tokens
from server.broadcast import notices
from server.catalogue.library import list_items
from server.core.errors import NotFound
from server.records.members import Scope, organisations_in_scope
from server.web.console import bp
from server.web.console.access import admin_required, site_admin_required
from server.web.console.member_pages import household_panel
from server.web.console.views import page, zone
from server.web.console.week_grid import week_grid
from server.web.context import clock, current_lineup, get_db
from server.web.params import date_arg, int_arg


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


@bp.get("/schedule")
@admin_required
def schedule_page():
    """The schedule's week grid of one channel (?channel, ?week), with the ready videos to schedule."""
    lineup, now = current_lineup(), clock()
    numbers = [c.number for c in lineup.channels]
    channel = int_arg("channel", numbers[0])
    if channel not in numbers:
        raise NotFound("guide.unknown_channel", value=channel, known="、".join(str(n) for n in numbers))
    monday = _monday(date_arg("week") or now.astimezone(zone()).date())
    grid = week_grid(get_db(), lineup, channel, monday, zone(),
                     text("console.legend_filler", lang=current_app.config["LANGUAGE"]))
    ready = [i for i in list_items(get_db(), lineup, g.user, kind="video") if i.hls_path and i.state != "archived"]
    return page("console/schedule.html", grid=grid, channel=channel, channels=lineup.channels, monday=monday,
                previous_week=(monday - timedelta(days=7)).isoformat(),
                next_week=(monday + timedelta(days=7)).isoformat(), videos=ready,
                default_start=(now.astimezone(zone()) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:00"), now=now,
                checkin_choices=sorted({0, 5, 10, 15, 20, 30, 45, 60, current_app.config["CHECKIN_MINUTES"]}),
                checkin_default=current_app.config["CHECKIN_MINUTES"])


@bp.get("/devices")
@admin_required
def devices_page():
    """The set-top boxes: pending pairings apart from the others, with organisations and channel names."""
    db = get_db()
    inside = organisations_in_scope(db, Scope(g.user.org_id))
    rows = [r for r in devices.list_devices(db) if r["state"] == "pending" or inside is None or r["org_id"] in inside]
    channels = {c.number: f"{c.number} {c.name}" for c in current_lineup().channels}
    boxes = [r for r in rows if r["state"] != "pending"]
    return page("console/devices.html", pending=[r for r in rows if r["state"] == "pending"],
                boxes=boxes, organisations=list_organisations(db), channel_names=channels,
                **household_panel(db, boxes))


@bp.get("/notices")
@admin_required
def notices_page():
    """The urgent notices not yet expired, with the organisations to target and a default expiry a day ahead."""
    now = clock()
    return page("console/notices.html", notices=notices.list_notices(get_db(), now),
                organisations=list_organisations(get_db()),
                default_expiry=(now.astimezone(zone()) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))


@bp.get("/accounts")
@site_admin_required
def accounts_page():
    """The accounts page, with every account, administrators' organisation limits and the minimum password length."""
    accounts = users.list_users(get_db())
    organisations = list_organisations(get_db())
    return page("console/accounts.html", accounts=accounts,
                tokens={a.username: list_tokens(get_db(), a.username) for a in accounts},
                min_password=users.MIN_PASSWORD_LENGTH, organisations=organisations,
                org_names={org.id: org.name for _, org in organisations})

