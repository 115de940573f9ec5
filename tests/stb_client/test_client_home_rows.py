"""最近看过 and 收藏 for real: the TV client plays a lecture in libVLC (dummy output), the lecture joins Home's
最近看过 with where it stopped, the red key keeps it as a favourite, and both are there again after the client
restarts (they are kept on the server, per member), all driven through the HTTP remote."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from server.accounts.organisations import add_organisation
from server.records.households import assign_members
from server.records.members import EVERYTHING, add_member
from server.web.context import current_lineup, get_db
from tests.conftest import pair_device
from tests.stb_client.conftest import publish_lecture, real_clock_app, tv_client
from tests.stb_client.test_client_headless import ARTIFACTS, press, screenshot, status, until
from tests.support.processes import wait_for

pytestmark = pytest.mark.slow


@pytest.fixture
def one_member_box(tmp_path, lecture_40s):
    """A server on the real clock with a 40 s lecture, and a box whose household is 张三 alone."""
    media = tmp_path / "media"
    now = datetime.now(UTC)
    app = real_clock_app(tmp_path)
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        item = publish_lecture(db, lineup, media, lecture_40s, "支部党课：初心")
        top = add_organisation(db, "太平街道", "subdistrict")
        branch = add_organisation(db, "第一党支部", "branch", add_organisation(db, "东风社区", "community", top.id).id)
        device, token = pair_device(db, now, top.id)
        member = add_member(db, EVERYTHING, name="张三", branch_id=branch.id, now=now).id
        assign_members(db, EVERYTHING, device, [member], now)
    return app, token, item, member


def favourites_of(app, member: int) -> list[int]:
    with app.app_context():
        return [row[0] for row in get_db().execute("SELECT item_id FROM favourites WHERE member_id = ?", [member])]


def test_a_lecture_watched_and_kept_is_on_home_after_the_box_restarts(one_member_box, tmp_path):
    app, token, item, member = one_member_box
    with tv_client(app, token, tmp_path / "stb", ARTIFACTS) as remote:
        until(remote, lambda s: s["ready"] and "正在看：张三" in s["texts"], "Home with the household")
        press(remote, "5", "1")
        wait_for(lambda: (s := status(remote))["view"] == "player" and (s["playback"] or {}).get("position_s", 0) >= 6,
                 30, "six seconds of the lecture")
        press(remote, "home")
        home = until(remote, lambda s: any("最近看过 1 个，收藏 0 个" in t for t in s["texts"]), "the lecture on Home")
        assert home["view"] == "home"
        press(remote, "down", "down", "down")  # the second row of boards, the live tile, 最近看过
        rows = until(remote, lambda s: "最近看过" in s["texts"], "Home's rows")
        stopped = next(t for t in rows["texts"] if t.startswith("看到 0:"))
        assert int(stopped.split(":")[1]) >= 5, stopped  # where it stopped, not from the start
        press(remote, "red")
        until(remote, lambda s: "已收藏：支部党课：初心" in s["texts"], "the favourite said")
        wait_for(lambda: favourites_of(app, member) == [item], 10, "the favourite kept on the server")
    # The box restarts (a power cut): its rows come from the server, for the member watching.
    with tv_client(app, token, tmp_path / "stb", ARTIFACTS) as remote:
        until(remote, lambda s: s["ready"] and any("最近看过 1 个，收藏 1 个" in t for t in s["texts"]),
              "both rows after the restart")
        press(remote, "down", "down", "down")
        rows = until(remote, lambda s: "收藏" in s["texts"] and stopped in s["texts"], "the rows with the resume point")
        assert sum(text.startswith("支部党课") for text in rows["texts"]) == 2  # in both rows
        screenshot(remote, "home-rows")
        press(remote, "ok")
        playing = wait_for(lambda: (s := status(remote))["view"] == "player" and s["displayed_pictures"] > 0 and s,
                           30, "the lecture playing again")
        # Picked up where it stopped (libVLC starts an HLS stream at the segment holding that point).
        assert playing["playback"]["position_s"] >= 2
