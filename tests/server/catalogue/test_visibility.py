"""What a box sees: organisation targeting, publish windows, ordering, paging, ETags."""

from __future__ import annotations

from datetime import timedelta

import pytest

from server.accounts.organisations import add_organisation
from server.catalogue.items import create_item, set_state, set_targets
from server.catalogue.visibility import Viewer, board_counts, board_page, catalogue_etag, visible_item


@pytest.fixture
def tree(ctx):
    """太平街道 -> 东风社区 -> 一支部, 向阳社区; returns their ids."""
    db, _ = ctx
    street = add_organisation(db, "太平街道", "subdistrict").id
    dongfeng = add_organisation(db, "东风社区", "community", street).id
    branch = add_organisation(db, "东风社区第一党支部", "branch", dongfeng).id
    xiangyang = add_organisation(db, "向阳社区", "community", street).id
    return {"street": street, "dongfeng": dongfeng, "branch": branch, "xiangyang": xiangyang}


def article(ctx, title, board="gongkai", **fields):
    db, lineup = ctx
    fields.setdefault("state", "published")
    return create_item(db, lineup, kind="article", board_id=board, title=title, body_markdown="正文", **fields)


def titles(ctx, viewer, board="gongkai"):
    db, lineup = ctx
    return [row["title"] for row in board_page(db, lineup.boards_by_id[board], viewer, 1, 50).rows]


def test_targeted_notice_reaches_its_community_and_below_only(ctx, tree, clock):
    article(ctx, "全街道")
    article(ctx, "东风", targets=(tree["dongfeng"],))
    article(ctx, "向阳", targets=(tree["xiangyang"],))
    article(ctx, "支部", targets=(tree["branch"],))
    article(ctx, "街道级", targets=(tree["street"],))
    seen = lambda org: sorted(titles(ctx, Viewer(org, clock.now)))  # noqa: E731
    assert seen(tree["dongfeng"]) == sorted(["全街道", "东风", "街道级"])
    assert seen(tree["branch"]) == sorted(["全街道", "东风", "支部", "街道级"])
    assert seen(tree["xiangyang"]) == sorted(["全街道", "向阳", "街道级"])
    assert seen(tree["street"]) == sorted(["全街道", "街道级"])
    assert seen(None) == ["全街道"]


def test_hidden_item_detail_looks_like_a_missing_one(ctx, tree, clock):
    db, lineup = ctx
    item = article(ctx, "向阳", targets=(tree["xiangyang"],))
    assert visible_item(db, lineup, Viewer(tree["xiangyang"], clock.now), item) is not None
    assert visible_item(db, lineup, Viewer(tree["dongfeng"], clock.now), item) is None


def test_publish_window_bounds(ctx, clock):
    now = clock.now
    article(ctx, "已上线", publish_at=now - timedelta(hours=1))
    article(ctx, "未上线", publish_at=now + timedelta(hours=1))
    article(ctx, "已下线", expire_at=now)
    article(ctx, "窗口内", publish_at=now, expire_at=now + timedelta(seconds=1))
    article(ctx, "草稿", state="draft")
    article(ctx, "归档", state="archived")
    assert sorted(titles(ctx, Viewer(None, now))) == sorted(["已上线", "窗口内"])
    later = now + timedelta(hours=2)
    assert sorted(titles(ctx, Viewer(None, later))) == sorted(["已上线", "未上线"])


def test_order_is_pinned_then_editor_order_then_newest(ctx, clock):
    now = clock.now
    article(ctx, "旧", publish_at=now - timedelta(days=3))
    article(ctx, "新", publish_at=now - timedelta(days=1))
    article(ctx, "置顶旧", publish_at=now - timedelta(days=9), pinned=True)
    article(ctx, "靠后", publish_at=now - timedelta(hours=1), sort_order=5)
    assert titles(ctx, Viewer(None, now)) == ["置顶旧", "新", "旧", "靠后"]


def test_paging_and_counts(ctx, clock):
    db, lineup = ctx
    for n in range(5):
        article(ctx, f"第{n}条", publish_at=clock.now - timedelta(minutes=n))
    article(ctx, "科普", board="dangjian")
    viewer = Viewer(None, clock.now)
    page = board_page(db, lineup.boards_by_id["gongkai"], viewer, 2, 2)
    assert ([r["title"] for r in page.rows], page.total, page.pages) == (["第2条", "第3条"], 5, 3)
    counts = board_counts(db, lineup, viewer)
    assert counts["gongkai"] == 5 and counts["dangjian"] == 1 and counts["kepu"] == 0
    assert list(counts) == [b.id for b in lineup.boards]


def test_etag_moves_with_writes_window_crossings_and_organisation(ctx, tree, clock):
    db, lineup = ctx
    now = clock.now
    viewer = Viewer(tree["dongfeng"], now)
    first = catalogue_etag(db, lineup, viewer, "boards")
    assert catalogue_etag(db, lineup, viewer, "boards") == first
    assert catalogue_etag(db, lineup, Viewer(tree["xiangyang"], now), "boards") != first
    assert catalogue_etag(db, lineup, viewer, "items", "gongkai") != first

    item = article(ctx, "定时", publish_at=now + timedelta(minutes=10), expire_at=now + timedelta(minutes=20))
    after_write = catalogue_etag(db, lineup, viewer, "boards")
    assert after_write != first
    assert catalogue_etag(db, lineup, Viewer(tree["dongfeng"], now + timedelta(minutes=9)), "boards") == after_write
    at_publish = catalogue_etag(db, lineup, Viewer(tree["dongfeng"], now + timedelta(minutes=10)), "boards")
    assert at_publish != after_write
    at_expiry = catalogue_etag(db, lineup, Viewer(tree["dongfeng"], now + timedelta(minutes=20)), "boards")
    assert at_expiry not in (after_write, at_publish)

    set_targets(db, item, [tree["xiangyang"]])
    assert catalogue_etag(db, lineup, viewer, "boards") != after_write
    before = catalogue_etag(db, lineup, viewer, "boards")
    set_state(db, item, "archived")
    assert catalogue_etag(db, lineup, viewer, "boards") != before


def test_items_on_a_board_removed_from_channels_yaml_are_hidden(ctx, clock):
    db, lineup = ctx
    item = article(ctx, "旧板块")
    db.execute("UPDATE items SET board_id = 'retired' WHERE id = ?", [item])
    assert visible_item(db, lineup, Viewer(None, clock.now), item) is None
    assert "retired" not in board_counts(db, lineup, Viewer(None, clock.now))
