"""Creating items: the rules every path (CLI, demo, upload, console) shares."""

from __future__ import annotations

from datetime import timedelta

import pytest

from server.catalogue.items import create_item, set_state
from server.core.errors import NotFound, UserError


def test_article_is_rendered_sanitised_and_kept_in_three_forms(ctx):
    db, lineup = ctx
    item = create_item(db, lineup, kind="article", board_id="banshi", title=" 办事 ",
                       body_markdown="# 步骤\n\n1. 带身份证\n\n<script>x()</script>\n\n![地图](articles/map.png)")
    row = db.execute("SELECT * FROM items WHERE id = ?", [item]).fetchone()
    assert row["title"] == "办事"
    assert "<h1>步骤</h1>" in row["body_html"] and "<script>" not in row["body_html"]
    assert row["body_text"].startswith("步骤\n\n1. 带身份证")
    assert row["body_images"] == '["articles/map.png"]'


@pytest.mark.parametrize("fields, message_id", [
    ({"board_id": "nosuch"}, "item.unknown_board"),
    ({"board_id": "banshi", "kind": "video"}, "item.board_takes_article"),
    ({"board_id": "daode"}, "item.board_takes_video"),
    ({"title": "  "}, "item.empty_title"),
    ({"body_markdown": ""}, "item.empty_body"),
    ({"state": "live"}, "item.bad_state"),
    ({"kind": "podcast"}, "item.bad_kind"),
    ({"targets": (999,)}, "org.not_found"),
])
def test_bad_items_are_refused_with_a_message_and_leave_no_row(ctx, fields, message_id):
    db, lineup = ctx
    args = {"kind": "article", "board_id": "gongkai", "title": "标题", "body_markdown": "正文", **fields}
    with pytest.raises(UserError) as raised:
        create_item(db, lineup, **args)
    assert raised.value.message_id == message_id
    assert raised.value.message()
    assert db.execute("SELECT count(*) FROM items").fetchone()[0] == 0


def test_window_must_end_after_it_starts(ctx, clock):
    db, lineup = ctx
    with pytest.raises(UserError, match="晚于"):
        create_item(db, lineup, kind="article", board_id="gongkai", title="t", body_markdown="b",
                    publish_at=clock.now, expire_at=clock.now - timedelta(seconds=1))


def test_a_video_without_its_ladder_cannot_be_published(ctx):
    db, lineup = ctx
    with pytest.raises(UserError) as raised:
        create_item(db, lineup, kind="video", board_id="daode", title="讲座", state="published")
    assert raised.value.status == 409
    item = create_item(db, lineup, kind="video", board_id="daode", title="讲座")
    with pytest.raises(UserError):
        set_state(db, item, "published")
    with pytest.raises(NotFound):
        set_state(db, 12345, "published")


@pytest.mark.parametrize(("board_id", "kind"), [("banshi", "video"), ("daode", "article")])
def test_a_board_of_the_wrong_kind_is_named_in_words(ctx, board_id, kind):
    db, lineup = ctx
    with pytest.raises(UserError) as raised:
        create_item(db, lineup, kind=kind, board_id=board_id, title="标题", body_markdown="正文")
    assert raised.value.code == "wrong_board_kind"
    assert not any(ch.isascii() and ch.isalpha() for ch in raised.value.message())  # no "video" or "article"
