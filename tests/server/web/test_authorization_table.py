"""Every route against every kind of caller: the status each must get.

Callers: anonymous, the set-top box (device token), an editor of the item's
boards, an editor of other boards, an administrator (both editors and the
administrator through console sessions with their CSRF token). A route
without a row here fails the test, so a new route must state who may use it.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from server import create_app
from server.accounts.devices import register_device
from server.accounts.organisations import add_organisation
from server.accounts.tokens import create_api_token
from server.accounts.users import add_user, get_user, session_stamp
from server.broadcast import schedule
from server.broadcast.notices import add_notice
from server.catalogue.items import create_item
from server.ingest import uploads
from server.ingest.transcode_jobs import enqueue
from server.records.households import assign_members
from server.records.members import EVERYTHING, add_member
from server.records.quizzes import QuestionDraft, replace_questions
from server.web.context import current_lineup, get_db
from tests.conftest import Clock, pair_device

CALLERS = ("anonymous", "device", "editor", "other_editor", "admin")


@dataclass
class Call:
    url: str
    expect: dict[str, int]
    json: object = None
    data: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


def statuses(anonymous, device, editor, other_editor, admin) -> dict[str, int]:
    return dict(zip(CALLERS, (anonymous, device, editor, other_editor, admin), strict=True))


SET_TOP = statuses(401, 200, 401, 401, 401)
EDITORS = statuses(401, 401, 200, 200, 200)
OWN_BOARD = statuses(401, 401, 200, 404, 200)
ADMIN_API = statuses(401, 401, 403, 403, 200)
ADMIN_PAGE = statuses(302, 302, 403, 403, 200)
EDITOR_PAGE = statuses(302, 302, 200, 200, 200)
EVERYONE = statuses(200, 200, 200, 200, 200)
TUS = {"Tus-Resumable": "1.0.0"}


def table(ids: dict) -> dict[str, Call]:
    item, article, job, upload = ids["video"], ids["article"], ids["job"], ids["upload"]
    return {
        "GET /": Call("/", EVERYONE),
        "GET /boards.css": Call("/boards.css", EVERYONE),
        "GET /api/v1/openapi.json": Call("/api/v1/openapi.json", EVERYONE),
        "GET /static/<path:filename>": Call("/static/console/console.js", EVERYONE),
        "GET /media/<path:filename>": Call("/media/README.md", EVERYONE),
        "GET /channels.m3u": Call("/channels.m3u", EVERYONE),
        "GET /epg.xml": Call("/epg.xml", EVERYONE),
        "GET /epg.xml.gz": Call("/epg.xml.gz", EVERYONE),
        # public; this seed runs no channel writer, so the site is unwell for everyone alike
        "GET /healthz": Call("/healthz", statuses(503, 503, 503, 503, 503)),
        # by address, not by caller: the test client comes from loopback (others get 403, test_ops.py)
        "GET /metrics": Call("/metrics", EVERYONE),
        "GET /live/<int:number>/master.m3u8": Call("/live/1/master.m3u8", EVERYONE),
        # public; this seed draws no channel art, so the timeline is not built: 404 alike for all
        "GET /live/<int:number>/<rendition>.m3u8": Call("/live/1/360p.m3u8", statuses(404, 404, 404, 404, 404)),
        # the console's pages
        "GET /console/": Call("/console/", statuses(302, 302, 302, 302, 302)),
        "GET /console/login": Call("/console/login", statuses(200, 200, 302, 302, 302)),
        "POST /console/login": Call("/console/login", statuses(401, 401, 401, 401, 401),
                                    data={"username": "nobody", "password": "wrong-password"}),
        "POST /console/logout": Call("/console/logout", statuses(302, 302, 302, 302, 302)),
        "GET /console/library": Call("/console/library", EDITOR_PAGE),
        "GET /console/upload": Call("/console/upload", EDITOR_PAGE),
        "GET /console/articles/new": Call("/console/articles/new", EDITOR_PAGE),
        "GET /console/items/<int:item_id>": Call(f"/console/items/{item}", statuses(302, 302, 200, 404, 200)),
        "GET /console/schedule": Call("/console/schedule", ADMIN_PAGE),
        "GET /console/devices": Call("/console/devices", ADMIN_PAGE),
        "GET /console/notices": Call("/console/notices", ADMIN_PAGE),
        "GET /console/accounts": Call("/console/accounts", ADMIN_PAGE),
        "GET /console/members": Call("/console/members", ADMIN_PAGE),
        "GET /console/members/<int:member_id>": Call(f"/console/members/{ids['member']}", ADMIN_PAGE),
        "GET /console/reports": Call("/console/reports", ADMIN_PAGE),
        # a POST with the CSRF token (a link on another site cannot make an export in someone's name)
        "POST /console/reports/export": Call("/console/reports/export", statuses(400, 400, 403, 403, 200)),
        "GET /console/attendance": Call("/console/attendance", ADMIN_PAGE),
        "GET /console/attendance/<int:entry_id>": Call(f"/console/attendance/{ids['checkin']}", ADMIN_PAGE),
        # the set-top API
        "GET /api/v1/boards": Call("/api/v1/boards", SET_TOP),
        "GET /api/v1/boards/<board_id>/items": Call("/api/v1/boards/dangke/items", SET_TOP),
        "GET /api/v1/items/<item_id>": Call(f"/api/v1/items/{ids['published']}", SET_TOP),
        "PUT /api/v1/items/<item_id>/position": Call(f"/api/v1/items/{ids['published']}/position", SET_TOP,
                                                     json={"position_s": 1}),
        "PUT /api/v1/playing": Call("/api/v1/playing", SET_TOP, json={"channel": 1}),
        "GET /api/v1/channels": Call("/api/v1/channels", SET_TOP),
        "GET /api/v1/epg": Call("/api/v1/epg", SET_TOP),
        "GET /api/v1/notices": Call("/api/v1/notices", SET_TOP),
        "GET /api/v1/household": Call("/api/v1/household", SET_TOP),
        "POST /api/v1/watch": Call("/api/v1/watch", SET_TOP, json={"intervals": []}),
        # check-in is open (the programme started ten minutes ago) and the member is in the box's household
        "POST /api/v1/checkins": Call("/api/v1/checkins", SET_TOP,
                                      json={"entry_id": ids["checkin"], "members": [ids["member"]]}),
        # the member is in the box's household
        "GET /api/v1/study/<int:member_id>": Call(f"/api/v1/study/{ids['member']}", SET_TOP),
        "GET /api/v1/home": Call(f"/api/v1/home?members={ids['member']}", SET_TOP),
        "PUT /api/v1/favourites/<item_id>": Call(f"/api/v1/favourites/{ids['published']}", SET_TOP),
        "DELETE /api/v1/favourites/<item_id>": Call(f"/api/v1/favourites/{ids['published']}", SET_TOP),
        "GET /api/v1/items/<int:item_id>/quiz": Call(f"/api/v1/items/{ids['published']}/quiz", SET_TOP),
        "POST /api/v1/quiz/attempts": Call("/api/v1/quiz/attempts", statuses(401, 201, 401, 401, 401), json={
            "item_id": ids["published"], "member_ids": [ids["member"]],
            "answers": [{"question_id": ids["question"], "choice": 0}]}),
        "POST /api/v1/devices": Call("/api/v1/devices", statuses(201, 201, 201, 201, 201),
                                     json={"serial": "SN-TABLE", "name": "盒子", "client_version": "1"}),
        "POST /api/v1/devices/token": Call("/api/v1/devices/token", statuses(404, 404, 404, 404, 404),
                                           json={"device_code": "unknown"}),
        # the editor API
        "GET /api/v1/editor/items": Call("/api/v1/editor/items", EDITORS),
        "GET /api/v1/editor/items/<int:item_id>": Call(f"/api/v1/editor/items/{item}", OWN_BOARD),
        "PATCH /api/v1/editor/items/<int:item_id>": Call(f"/api/v1/editor/items/{article}", OWN_BOARD,
                                                         json={"pinned": True}),
        # the video is not transcoded yet: those who may edit it are told so
        "POST /api/v1/editor/items/<int:item_id>/thumbnail": Call(f"/api/v1/editor/items/{item}/thumbnail",
                                                                   statuses(401, 401, 409, 404, 409), json={"at_s": 1}),
        # the article has no recorded reading: those who may edit it are told so, another editor is not told it exists
        "DELETE /api/v1/editor/items/<int:item_id>/reading": Call(f"/api/v1/editor/items/{article}/reading",
                                                                  statuses(401, 401, 404, 404, 404)),
        "POST /api/v1/editor/articles": Call("/api/v1/editor/articles", statuses(401, 401, 201, 403, 201),
                                             json={"board_id": "banshi", "title": "指南", "body_markdown": "正文"}),
        "POST /api/v1/editor/articles/preview": Call("/api/v1/editor/articles/preview", EDITORS,
                                                     json={"body_markdown": "# 标题"}),
        "POST /api/v1/editor/images": Call("/api/v1/editor/images", statuses(401, 401, 422, 422, 422),
                                           data=b"not a picture"),
        "OPTIONS /api/v1/uploads": Call("/api/v1/uploads", statuses(204, 204, 204, 204, 204)),
        "POST /api/v1/uploads": Call("/api/v1/uploads", statuses(401, 401, 201, 403, 201), headers={
            **TUS, "Upload-Length": "10", "Upload-Metadata": "board ZGFuZ2tl,title 6K++"}),
        # an upload is its uploader's (and the administrators'); another editor does not see it
        "HEAD /api/v1/uploads/<upload_id>": Call(f"/api/v1/uploads/{upload}", OWN_BOARD, headers=TUS),
        "PATCH /api/v1/uploads/<upload_id>": Call(f"/api/v1/uploads/{upload}", statuses(401, 401, 204, 404, 204),
                                                  data=b"12345", headers={**TUS, "Upload-Offset": "0",
                                                  "Content-Type": "application/offset+octet-stream"}),
        "DELETE /api/v1/uploads/<upload_id>": Call(f"/api/v1/uploads/{upload}", statuses(401, 401, 204, 404, 204),
                                                   headers=TUS),
        "PUT /api/v1/items/<int:item_id>/subtitles/<lang>": Call(
            f"/api/v1/items/{item}/subtitles/zh", OWN_BOARD, data=b"1\n00:00:00,000 --> 00:00:01,000\n\xe5\xad\x97\n"),
        "GET /api/v1/jobs/<int:job_id>": Call(f"/api/v1/jobs/{job}", OWN_BOARD),
        "POST /api/v1/jobs/<int:job_id>/cancel": Call(f"/api/v1/jobs/{job}/cancel", OWN_BOARD),
        "POST /api/v1/jobs/<int:job_id>/retry": Call(f"/api/v1/jobs/{ids['failed_job']}/retry", OWN_BOARD),
        # the administrator API
        "GET /api/v1/admin/schedule": Call("/api/v1/admin/schedule", ADMIN_API),
        "POST /api/v1/admin/schedule": Call("/api/v1/admin/schedule?dry_run=1", ADMIN_API,
                                            json={"channel": 1, "item_id": ids["published"],
                                                  "start": "2026-11-24T12:00:00Z"}),
        "PATCH /api/v1/admin/schedule/<int:entry_id>": Call(f"/api/v1/admin/schedule/{ids['entry']}", ADMIN_API,
                                                            json={"important": True}),
        "DELETE /api/v1/admin/schedule/<int:entry_id>": Call(f"/api/v1/admin/schedule/{ids['entry']}", ADMIN_API),
        "DELETE /api/v1/admin/schedule/rules/<int:rule_id>": Call(f"/api/v1/admin/schedule/rules/{ids['rule']}",
                                                                  ADMIN_API),
        "GET /api/v1/admin/notices": Call("/api/v1/admin/notices", ADMIN_API),
        "POST /api/v1/admin/notices": Call("/api/v1/admin/notices", statuses(401, 401, 403, 403, 201),
                                           json={"title": "停水通知", "expires_at": "2026-11-24T02:00:00Z"}),
        "DELETE /api/v1/admin/notices/<int:notice_id>": Call(f"/api/v1/admin/notices/{ids['notice']}", ADMIN_API),
        "GET /api/v1/admin/notices/preview": Call("/api/v1/admin/notices/preview", ADMIN_API),
        "GET /api/v1/admin/devices": Call("/api/v1/admin/devices", ADMIN_API),
        "POST /api/v1/admin/devices/approve": Call("/api/v1/admin/devices/approve", ADMIN_API,
                                                   json={"pairing_code": ids["pairing_code"]}),
        "POST /api/v1/admin/devices/<int:device_id>/revoke": Call(f"/api/v1/admin/devices/{ids['device']}/revoke",
                                                                  ADMIN_API),
        "GET /api/v1/admin/organisations": Call("/api/v1/admin/organisations", ADMIN_API),
        "GET /api/v1/admin/users": Call("/api/v1/admin/users", ADMIN_API),
        "POST /api/v1/admin/users": Call("/api/v1/admin/users", statuses(401, 401, 403, 403, 201), json={
            "username": "newcomer", "password": "long-enough-1", "role": "editor", "all_boards": True}),
        "GET /api/v1/admin/users/<username>/tokens": Call("/api/v1/admin/users/other/tokens", ADMIN_API),
        "DELETE /api/v1/admin/users/<username>/tokens/<int:token_id>": Call(
            f"/api/v1/admin/users/other/tokens/{ids['other_token']}", ADMIN_API),
        "PATCH /api/v1/admin/users/<username>": Call("/api/v1/admin/users/other", ADMIN_API,
                                                     json={"boards": ["kepu"]}),
        "PUT /api/v1/admin/users/<username>/org": Call("/api/v1/admin/users/other/org", ADMIN_API,
                                                       json={"org_id": None}),
        # study records: members and their households are the administrators' alone
        "GET /api/v1/admin/members": Call("/api/v1/admin/members", ADMIN_API),
        "POST /api/v1/admin/members": Call("/api/v1/admin/members", statuses(401, 401, 403, 403, 201),
                                           json={"name": "新党员", "branch_id": ids["branch"]}),
        "GET /api/v1/admin/members/<int:member_id>": Call(f"/api/v1/admin/members/{ids['member']}", ADMIN_API),
        "PATCH /api/v1/admin/members/<int:member_id>": Call(f"/api/v1/admin/members/{ids['member']}", ADMIN_API,
                                                            json={"phone": "13800138000"}),
        "GET /api/v1/editor/items/<int:item_id>/quiz": Call(f"/api/v1/editor/items/{item}/quiz", OWN_BOARD),
        "PUT /api/v1/editor/items/<int:item_id>/quiz": Call(f"/api/v1/editor/items/{item}/quiz", OWN_BOARD,
                                                            json={"questions": []}),
        "POST /api/v1/editor/items/<int:item_id>/quiz/import": Call(
            f"/api/v1/editor/items/{item}/quiz/import?filename=quiz.csv", OWN_BOARD,
            data="题目,选项A,选项B,正确答案\n党的宗旨？,为人民服务,发展经济,A\n".encode()),
        "POST /api/v1/admin/members/import": Call("/api/v1/admin/members/import?filename=roster.csv", ADMIN_API,
                                                  data="姓名,党支部\n张三,第一党支部\n".encode()),
        "GET /api/v1/admin/members/export": Call("/api/v1/admin/members/export", ADMIN_API),
        "GET /api/v1/admin/devices/<int:device_id>/household": Call(
            f"/api/v1/admin/devices/{ids['device']}/household", ADMIN_API),
        "PUT /api/v1/admin/devices/<int:device_id>/household": Call(
            f"/api/v1/admin/devices/{ids['device']}/household", ADMIN_API, json={"members": [ids["member"]]}),
        "GET /api/v1/admin/study/rules": Call("/api/v1/admin/study/rules", ADMIN_API),
        # the participation report and its exports: administrators only
        "GET /api/v1/admin/reports": Call("/api/v1/admin/reports", ADMIN_API),
        "POST /api/v1/admin/reports/export": Call("/api/v1/admin/reports/export", ADMIN_API),
        # attendance at check-in programmes: administrators (in their scope); a mark needs a started programme
        "GET /api/v1/admin/checkins": Call("/api/v1/admin/checkins", ADMIN_API),
        "GET /api/v1/admin/checkins/<int:entry_id>": Call(f"/api/v1/admin/checkins/{ids['checkin']}", ADMIN_API),
        "PUT /api/v1/admin/checkins/<int:entry_id>/members/<int:member_id>": Call(
            f"/api/v1/admin/checkins/{ids['checkin']}/members/{ids['member']}", statuses(401, 401, 403, 403, 201)),
        # nothing was marked by hand in the seed: the administrator hears so
        "DELETE /api/v1/admin/checkins/<int:entry_id>/members/<int:member_id>": Call(
            f"/api/v1/admin/checkins/{ids['checkin']}/members/{ids['member']}", statuses(401, 401, 403, 403, 404)),
    }


def route_keys(app) -> set[str]:
    keys = set()
    for rule in app.url_map.iter_rules():
        methods = rule.methods - {"HEAD", "OPTIONS"} or rule.methods - {"HEAD"} or rule.methods
        if rule.endpoint == "api_v1.upload_status":
            methods = {"HEAD"}
        for method in methods:
            keys.add(f"{method} {rule.rule}")
    return keys


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """One database with every kind of caller and thing a route needs; each cell gets a copy."""
    folder = tmp_path_factory.mktemp("seed")
    clock = Clock(datetime(2026, 11, 23, 2, 0, 0, tzinfo=UTC))
    app = create_app({"DATABASE": str(folder / "keting.sqlite3"), "MEDIA_ROOT": str(folder / "media"),
                      "ORIGINALS_DIR": str(folder / "originals"), "SECRET_KEY": "table-test-key"}, clock=clock)
    ids: dict = {}
    with app.app_context():
        db, lineup = get_db(), current_lineup()
        for name, role, boards in (("editor", "editor", ("dangke", "banshi")), ("other", "editor", ("wenyu",)),
                                   ("admin", "admin", ())):
            ids[f"user_{name}"] = add_user(db, lineup, name, "password123", role, clock.now, boards=boards).id
        ids["video"] = create_item(db, lineup, kind="video", board_id="dangke", title="待转码的党课")
        ids["article"] = create_item(db, lineup, kind="article", board_id="banshi", title="办事指南",
                                     body_markdown="正文")
        ids["published"] = create_item(db, lineup, kind="video", board_id="dangke", title="已发布的党课",
                                       state="published", hls_path="vod/x/master.m3u8", duration_s=600)
        ids["job"] = enqueue(db, ids["video"], "/nonexistent/source.mp4", clock.now)
        ids["failed_job"] = enqueue(db, ids["video"], "/nonexistent/source.mp4", clock.now)
        db.execute("UPDATE transcode_jobs SET state = 'failed' WHERE id = ?", [ids["failed_job"]])
        ids["entry"] = schedule.add_entry(db, lineup, channel=1, item_id=ids["published"],
                                          start=datetime(2026, 11, 23, 10, tzinfo=UTC), important=False,
                                          now=clock.now, zone="Asia/Shanghai").entries[0].id
        ids["rule"] = schedule.add_rule(db, lineup, channel=2, item_id=ids["published"], cron="0 20 * * *",
                                        zone="Asia/Shanghai", first=date(2026, 11, 24), last=date(2026, 11, 26),
                                        important=False, now=clock.now, horizon_days=10).rule_id
        ids["checkin"] = db.execute(
            """INSERT INTO schedule_entries (channel, item_id, title, start_at, end_at, created_at, updated_at,
               checkin_minutes) VALUES (3, ?, '主题党日', '2026-11-23T01:50:00Z', '2026-11-23T02:00:10Z', ?, ?, 15)""",
            [ids["published"], "2026-11-22T00:00:00Z", "2026-11-22T00:00:00Z"]).lastrowid
        ids["notice"] = add_notice(db, title="通知", body="", org_id=None, starts_at=clock.now,
                                   expires_at=datetime(2026, 11, 24, tzinfo=UTC), now=clock.now)
        ids["device"], ids["device_token"] = pair_device(db, clock.now)
        top = add_organisation(db, "太平街道", "subdistrict")
        ids["branch"] = add_organisation(db, "第一党支部", "branch",
                                         add_organisation(db, "东风社区", "community", top.id).id).id
        ids["member"] = add_member(db, EVERYTHING, name="张三", branch_id=ids["branch"], now=clock.now).id
        assign_members(db, EVERYTHING, ids["device"], [ids["member"]], clock.now)
        quiz = [QuestionDraft("党的宗旨？", ("为人民服务", "发展经济"), 0)]
        ids["question"] = replace_questions(db, ids["published"], quiz, clock.now)[0].id
        ids["pairing_code"] = register_device(db, "SN-PENDING", "新盒子", "1", clock.now, 3600).pairing_code
        ids["upload"] = uploads.create_upload(db, lineup, get_user(db, "editor"), "10", {"board": "dangke",
                                              "title": "上传"}, clock.now, app.config)[0]
        for name in ("editor", "other", "admin"):
            ids[f"stamp_{name}"] = session_stamp(db, ids[f"user_{name}"])
        create_api_token(db, "other", "spare", clock.now)
        ids["other_token"] = db.execute("SELECT max(id) FROM user_tokens").fetchone()[0]
    Path(app.config["MEDIA_ROOT"], "README.md").write_text("media\n")
    return folder, ids, clock


def fresh_app(seeded, tmp_path):
    folder, ids, clock = seeded
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    return create_app({"DATABASE": str(copy / "keting.sqlite3"), "MEDIA_ROOT": str(copy / "media"),
                       "ORIGINALS_DIR": str(copy / "originals"), "SECRET_KEY": "table-test-key"},
                      clock=Clock(clock.now))


def client_for(app, caller: str, ids: dict):
    """A test client acting as `caller`, and the headers each of its requests carries."""
    client = app.test_client()
    headers: dict[str, str] = {}
    if caller == "device":
        headers["Authorization"] = f"Bearer {ids['device_token']}"
    elif caller != "anonymous":
        name = {"editor": "editor", "other_editor": "other", "admin": "admin"}[caller]
        with client.session_transaction() as session:
            session["uid"], session["stamp"] = ids[f"user_{name}"], ids[f"stamp_{name}"]
        page = client.get("/console/library")
        headers["X-CSRFToken"] = re.search(r'name="csrf-token" content="([^"]+)"', page.text)[1]
    return client, headers


def test_every_route_has_a_row(seeded, tmp_path):
    app = fresh_app(seeded, tmp_path)
    assert route_keys(app) == set(table(seeded[1]))


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("route", sorted(table({k: 0 for k in (
    "video", "article", "job", "upload", "published", "failed_job", "entry", "rule", "notice", "pairing_code",
    "device", "other_token", "member", "branch", "checkin", "question")})))
def test_each_caller_gets_the_intended_status(seeded, tmp_path, route, caller):
    ids = seeded[1]
    call = table(ids)[route]
    method = route.split(" ", 1)[0]
    client, headers = client_for(fresh_app(seeded, tmp_path), caller, ids)
    if method == "POST" and route == "POST /console/login":
        call.data = {**call.data, "username": f"nobody-{caller}"}
        if "X-CSRFToken" in headers:
            call.data["csrf_token"] = headers["X-CSRFToken"]
        else:
            page = client.get("/console/login")
            call.data["csrf_token"] = re.search(r'name="csrf-token" content="([^"]+)"', page.text)[1]
    if route == "POST /console/logout" and "X-CSRFToken" not in headers:
        page = client.get("/console/login")
        headers["X-CSRFToken"] = re.search(r'name="csrf-token" content="([^"]+)"', page.text)[1]
    response = client.open(call.url, method=method, json=call.json, data=call.data,
                           headers={**call.headers, **headers})
    assert response.status_code == call.expect[caller], response.get_data(as_text=True)[:300]
