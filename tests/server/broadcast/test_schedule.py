"""The schedule: one-off entries and rules, conflicts named, pre-emption reported, the past kept."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from server.broadcast import schedule
from server.core.errors import UserError
from tests.support.fake_vod import add_video

ZONE = "Asia/Shanghai"


@pytest.fixture
def lesson(ctx, app):
    db, lineup = ctx
    media_root = Path(app.config["MEDIA_ROOT"])
    return add_video(db, lineup, media_root, board_id="dangke", title="支部党课：初心", seconds=1800)


def add(ctx, clock, item_id, start, important=False, channel=1, **kwargs):
    db, lineup = ctx
    return schedule.add_entry(db, lineup, channel=channel, item_id=item_id, start=start, important=important,
                              now=clock.now, zone=ZONE, **kwargs)


def test_overlap_is_refused_naming_the_entry_in_the_way(ctx, clock, lesson):
    start = clock.now + timedelta(hours=2)
    first = add(ctx, clock, lesson, start).entries[0]
    with pytest.raises(UserError) as raised:
        add(ctx, clock, lesson, start + timedelta(minutes=20))
    assert raised.value.status == 409
    message = raised.value.message()
    assert "支部党课：初心" in message and f"编号 {first.id}" in message and "12:00" in message
    # Back to back is fine, and so is another channel.
    add(ctx, clock, lesson, start + timedelta(minutes=30))
    add(ctx, clock, lesson, start + timedelta(minutes=20), channel=2)


def test_important_entry_preempts_and_reports(ctx, clock, lesson):
    start = clock.now + timedelta(hours=2)
    early = add(ctx, clock, lesson, start).entries[0]
    late = add(ctx, clock, lesson, start + timedelta(minutes=35)).entries[0]
    outcome = add(ctx, clock, lesson, start + timedelta(minutes=10), important=True)
    meeting = outcome.entries[0]
    assert [e.id for e in outcome.cut] == [early.id]
    assert [e.id for e in outcome.preempted] == [late.id]
    db, _ = ctx
    assert schedule.get_entry(db, early.id).end == meeting.start
    assert schedule.get_entry(db, late.id).state == "preempted"
    assert schedule.get_entry(db, late.id).preempted_by == meeting.id
    # Two important programmes never overlap.
    with pytest.raises(UserError) as raised:
        add(ctx, clock, lesson, start + timedelta(minutes=15), important=True)
    assert raised.value.message_id == "schedule.conflict_important"


def test_dry_run_reports_without_saving(ctx, clock, lesson):
    start = clock.now + timedelta(hours=2)
    existing = add(ctx, clock, lesson, start).entries[0]
    outcome = add(ctx, clock, lesson, start, important=True, dry_run=True)
    assert [e.id for e in outcome.preempted] == [existing.id] and outcome.entries == []
    db, _ = ctx
    assert schedule.get_entry(db, existing.id).state == "scheduled"
    assert db.execute("SELECT count(*) FROM schedule_entries").fetchone()[0] == 1


def test_the_past_and_the_programme_on_air_are_not_edited(ctx, clock, lesson):
    db, lineup = ctx
    with pytest.raises(UserError) as raised:
        add(ctx, clock, lesson, clock.now - timedelta(minutes=1))
    assert raised.value.message_id == "schedule.in_the_past"
    entry = add(ctx, clock, lesson, clock.now + timedelta(minutes=5)).entries[0]
    clock.advance(minutes=6)
    for change in (lambda: schedule.delete_entry(db, entry.id, now=clock.now, zone=ZONE),
                   lambda: schedule.update_entry(db, lineup, entry.id, now=clock.now, zone=ZONE,
                                                 start=clock.now + timedelta(hours=1))):
        with pytest.raises(UserError) as raised:
            change()
        assert raised.value.message_id == "schedule.already_started"
    assert schedule.get_entry(db, entry.id).start < clock.now


def test_items_that_cannot_air_are_refused(ctx, clock, app):
    db, lineup = ctx
    from server.catalogue.items import create_item
    article = create_item(db, lineup, kind="article", board_id="gongkai", title="公开栏", body_markdown="正文")
    pending = create_item(db, lineup, kind="video", board_id="dangke", title="还在转码")
    for item_id, message in ((article, "schedule.item_not_video"), (pending, "schedule.item_not_ready"),
                             (9999, "schedule.unknown_item")):
        with pytest.raises(UserError) as raised:
            add(ctx, clock, item_id, clock.now + timedelta(hours=1))
        assert raised.value.message_id == message
    with pytest.raises(UserError) as raised:
        add(ctx, clock, pending, clock.now + timedelta(hours=1), channel=7)
    assert raised.value.message_id == "schedule.unknown_channel"


def test_rule_expands_weekly_and_refuses_a_conflict_in_any_week(ctx, clock, lesson):
    db, lineup = ctx
    rule = dict(channel=1, item_id=lesson, cron="30 19 * * tue", zone=ZONE, first=date(2026, 11, 23),
                last=date(2026, 12, 31), important=False, now=clock.now, horizon_days=92)
    # A one-off on the third Tuesday (Dec 8, 19:45 Beijing) is in the way.
    blocker = add(ctx, clock, lesson, clock.now.replace(day=8, month=12, hour=11, minute=45)).entries[0]
    with pytest.raises(UserError) as raised:
        schedule.add_rule(db, lineup, **rule)
    assert f"编号 {blocker.id}" in raised.value.message() and "12月8日" in raised.value.message()
    schedule.delete_entry(db, blocker.id, now=clock.now, zone=ZONE)
    outcome = schedule.add_rule(db, lineup, **rule)
    assert len(outcome.entries) == 6  # Nov 24 .. Dec 29
    assert {e.start.strftime("%H:%M") for e in outcome.entries} == {"11:30"}
    # Ending the rule removes what has not aired; what has aired stays.
    clock.advance(days=9)
    removed = schedule.delete_rule(db, outcome.rule_id, now=clock.now)
    assert removed == 4  # Nov 24 and Dec 1 have aired
    assert schedule.extend_rules(db, clock.now + timedelta(days=60), 92) == 0


def test_open_rules_are_extended_and_a_clash_is_kept_as_preempted(ctx, clock, lesson):
    db, lineup = ctx
    outcome = schedule.add_rule(db, lineup, channel=1, item_id=lesson, cron="0 20 * * *", zone=ZONE,
                                first=date(2026, 11, 23), last=None, important=False, now=clock.now, horizon_days=3)
    assert len(outcome.entries) == 3
    later = clock.now + timedelta(days=5)
    blocker = add(ctx, clock, lesson, later.replace(hour=12, minute=10)).entries[0]  # 20:10 Beijing, day 5
    added = schedule.extend_rules(db, clock.now, 7)
    assert added == 4
    clashes = [e for e in schedule.list_entries(db, clock.now, clock.now + timedelta(days=8))
               if e.rule_id and e.state == "preempted"]
    assert [e.preempted_by for e in clashes] == [blocker.id]
