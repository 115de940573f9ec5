"""Study time for real: the TV client asks "谁在看？", plays a lecture in libVLC (dummy output), asks "还在看吗？",
and the member's record on the server matches the time played, all driven through the HTTP remote."""

from __future__ import annotations

from datetime import UTC, datetime

import pygame
import pytest

from server.accounts.organisations import add_organisation
from server.records.households import assign_members
from server.records.members import EVERYTHING, add_member
from server.web.context import current_lineup, get_db
from stb_client.ui.render_study import PROMPT
from tests.conftest import pair_device
from tests.stb_client.conftest import publish_lecture, real_clock_app, tv_client
from tests.stb_client.test_client_headless import ARTIFACTS, press, screenshot, status, until
from tests.support.processes import wait_for

pytestmark = pytest.mark.slow
STILL_WATCHING_S = 8


@pytest.fixture
def household_box(tmp_path, lecture_40s):
    """A server on the real clock, a 40 s lecture, and a box whose household is 张三 and 李四."""
    media = tmp_path / "media"
    now = datetime.now(UTC)
    app = real_clock_app(tmp_path, STILL_WATCHING_SECONDS=STILL_WATCHING_S, STUDY_MIN_SITTING_SECONDS=5)
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        publish_lecture(db, lineup, media, lecture_40s, "支部党课")
        top = add_organisation(db, "太平街道", "subdistrict")
        branch = add_organisation(db, "第一党支部", "branch", add_organisation(db, "东风社区", "community", top.id).id)
        device, token = pair_device(db, now, top.id)
        members = [add_member(db, EVERYTHING, name=name, branch_id=branch.id, now=now).id for name in ("张三", "李四")]
        assign_members(db, EVERYTHING, device, members, now)
    with tv_client(app, token, tmp_path / "stb", ARTIFACTS) as remote:
        yield remote, app, members


def credited(app, member_id: int) -> float:
    with app.app_context():
        return get_db().execute("SELECT coalesce(sum(seconds), 0) FROM study_credit WHERE member_id = ?",
                                [member_id]).fetchone()[0]


def shows(name: str, colour: str, point: tuple[int, int]) -> bool:
    """Whether the screenshot `name` has `colour` at `point` (the prompt's panel)."""
    picture = pygame.image.load(str(ARTIFACTS / f"{name}.png"))
    return "#{:02X}{:02X}{:02X}".format(*picture.get_at(point)[:3]) == colour


def test_who_is_watching_then_still_watching_and_the_record_matches_the_time_played(household_box):
    remote, app, (zhang, li) = household_box
    until(remote, lambda s: "正在看：还没选择（播放时会问）" in s["texts"], "Home with the household")
    press(remote, "5", "1")
    asked = until(remote, lambda s: s["view"] == "viewers", "谁在看？")
    assert {"谁在看？", "张三", "李四", "全家一起"} <= set(asked["texts"])
    screenshot(remote, "study-who-is-watching")
    press(remote, "1")
    until(remote, lambda s: s["view"] == "player" and s["displayed_pictures"] >= 25, "the lecture's pictures")
    # No key for STILL_WATCHING_S: the TV asks, in large type, over the top of the picture.
    prompt = until(remote, lambda s: "还在看吗？按确定键继续" in s["texts"], "还在看吗？")
    assert prompt["view"] == "player" and "还在看吗？按确定键继续" in prompt["osd"]
    screenshot(remote, "study-still-watching")
    assert shows("study-still-watching", PROMPT, (300, 200)), "the prompt's panel at the top"
    assert not shows("study-still-watching", PROMPT, (960, 540)), "the centre of the picture stays free"
    wait_for(lambda: status(remote)["playback"]["position_s"] >= 16, 20, "a few seconds more of the lecture")
    press(remote, "ok")  # answered: the time of the question counts, the picture never stopped
    until(remote, lambda s: "还在看吗？按确定键继续" not in s["texts"], "the prompt gone")
    played = wait_for(lambda: (s := status(remote))["playback"]["position_s"] >= 22 and s, 20, "more of the lecture")
    press(remote, "back")
    stopped = until(remote, lambda s: s["view"] == "board", "back on the board")
    assert stopped["playback"] is None
    position = played["playback"]["position_s"]
    # The last interval is sent as the player closes: wait for it, then the record matches the time played.
    wait_for(lambda: abs(credited(app, zhang) - position) <= 2.0, 10, f"张三's credit to reach {position:.1f} s")
    assert credited(app, li) == 0
