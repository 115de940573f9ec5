"""The console in real headless Chromium against a real `keting serve`: an editor uploads a
clip and publishes it, an administrator schedules it, and each sees only their own pages."""

from __future__ import annotations

import urllib.request
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.server.web.console.conftest import log_in, open_menu, ready, screenshot, wait_js
from tests.support.processes import wait_for

pytestmark = pytest.mark.slow
TITLE = "支部党课：浏览器上传测试"


def test_an_editor_uploads_watches_it_transcode_and_publishes(console_server, new_page, clip):
    page = new_page()
    log_in(page, console_server, "editor")
    open_menu(page, "上传视频")
    page.select_option('select[name="board"]', "dangke")
    page.set_input_files("#file", str(clip))
    page.fill('input[name="title"]', TITLE)
    page.fill('input[name="speaker"]', "王书记")
    page.click("#start-upload")
    wait_js(page, "document.getElementById('upload-bar').value === 100", 60)
    assert page.inner_text("#upload-percent") == "100%"
    page.wait_for_selector("#transcode-text:has-text('转码完成')", timeout=120_000)
    assert page.eval_on_selector("#transcode-bar", "bar => bar.value") == 100
    screenshot(page, "upload-done")
    with page.expect_navigation():
        page.click("#item-link")
    ready(page)
    # hls.js, served by Keting, plays the ladder in the browser.
    wait_js(page, "document.getElementById('preview').readyState >= 2", 30, "the preview to show a picture")
    old_thumb = page.get_attribute("#current-thumb", "src")
    page.evaluate("document.getElementById('preview').currentTime = 2.5")
    wait_js(page, "!document.getElementById('preview').seeking", 10, "the preview to seek")
    page.click("#use-frame")
    page.wait_for_selector("#flash:has-text('缩略图已更换')")
    assert page.get_attribute("#current-thumb", "src") != old_thumb
    page.click("#publish")
    page.wait_for_selector("#item-state:has-text('已发布')")
    screenshot(page, "item-published")
    page.goto(f"{console_server}/console/library?state=published")
    assert TITLE in page.inner_text("table.library")


def test_a_bad_file_is_refused_in_plain_words(console_server, new_page, tmp_path):
    fake = tmp_path / "会议记录.mp4"
    fake.write_text("这不是视频，只是一段文字。" * 50, encoding="utf-8")
    page = new_page()
    log_in(page, console_server, "editor")
    page.goto(f"{console_server}/console/upload")
    page.set_input_files("#file", str(fake))
    page.click("#start-upload")
    flash = page.wait_for_selector("#flash.error")
    assert "不是视频或音频文件" in flash.inner_text()
    screenshot(page, "upload-refused")


def save(page) -> None:
    """Submit the schedule form; wait for the entry to be made (201) and the page to reload."""
    def saved(response) -> bool:
        return (response.request.method == "POST" and response.url.endswith("/api/v1/admin/schedule"))
    with page.expect_navigation(), page.expect_response(saved) as answer:
        page.click('#schedule-form button[type="submit"]')
    assert answer.value.status == 201, answer.value.text()


def test_an_administrator_schedules_it_on_channel_1(console_server, new_page):
    page = new_page()
    log_in(page, console_server, "admin")
    page.goto(f"{console_server}/console/schedule?channel=1")
    start = (datetime.now(UTC) + timedelta(minutes=20)).astimezone(ZoneInfo("Asia/Shanghai"))
    page.select_option('select[name="item_id"]', label=page.locator(
        f'select[name="item_id"] option:has-text("{TITLE}")').inner_text())
    page.fill('input[name="start"]', start.strftime("%Y-%m-%dT%H:%M"))
    page.wait_for_selector("#dry-run.ok:has-text('没有冲突')")
    save(page)
    page.goto(f"{console_server}/console/schedule?channel=1&week={start.date().isoformat()}")  # its week
    row = page.wait_for_selector(f"table.entries tr:has-text('{TITLE}')").inner_text()
    assert start.strftime("%H:%M") in row
    # Marked important in place: the list says so (and boxes will get a reminder).
    entry = page.locator(f"table.entries tr:has-text('{TITLE}')")
    entry.locator('input[name="important"]').check()
    entry.locator("form.entry-edit button").click()
    page.wait_for_selector(f"table.entries tr:has-text('{TITLE}') .tag:has-text('重要')")
    # In the grid it is a scheduled programme at its time (the item also fills gaps as filler).
    block = page.wait_for_selector(f".block.kind-programme:has-text('{start.strftime('%H:%M')} {TITLE}')")
    assert block.is_visible()
    screenshot(page, "schedule-week")

    # A live meeting tomorrow evening, from an RTMP input: listed with its address and state.
    meeting = (datetime.now(UTC) + timedelta(days=1)).astimezone(ZoneInfo("Asia/Shanghai")).replace(hour=19, minute=0)
    page.select_option("#source", "live")
    page.fill('input[name="title"]', "全体党员大会")
    page.fill('input[name="live_url"]', "rtmp://127.0.0.1/live/meeting")
    page.fill('input[name="duration_minutes"]', "90")
    page.fill('#schedule-form input[name="start"]', meeting.strftime("%Y-%m-%dT%H:%M"))
    page.wait_for_selector("#dry-run.ok:has-text('没有冲突')")
    save(page)
    page.goto(f"{console_server}/console/schedule?channel=1&week={meeting.date().isoformat()}")
    live_row = page.wait_for_selector("table.entries tr:has-text('全体党员大会')").inner_text()
    assert "rtmp://127.0.0.1/live/meeting" in live_row and "等待开始" in live_row

    def in_guide() -> bool:
        with urllib.request.urlopen(f"{console_server}/epg.xml", timeout=10) as answer:
            return TITLE in answer.read().decode()
    wait_for(in_guide, 60, "the programme to appear in /epg.xml")


def test_an_editor_is_refused_the_administrator_pages(console_server, new_page):
    page = new_page()
    log_in(page, console_server, "editor")
    assert "节目单" not in page.inner_text("header nav")
    answer = page.goto(f"{console_server}/console/schedule")
    assert answer.status == 403 and "只有管理员" in page.inner_text("#refused")


def test_a_dropped_connection_and_a_page_reload_resume_the_same_upload(console_server, new_page, clip):
    page = new_page()
    log_in(page, console_server, "editor")
    page.goto(f"{console_server}/console/upload")
    sent = []
    page.on("request", lambda r: sent.append((r.method, r.url)) if "/api/v1/uploads" in r.url else None)
    # Every piece of the file is cut off on the way: the upload exists, no byte arrives.
    page.route("**/api/v1/uploads/*", lambda route: route.abort("connectionreset")
               if route.request.method == "PATCH" else route.continue_())
    page.fill('input[name="title"]', "断点续传测试")
    page.set_input_files("#file", str(clip))
    page.click("#start-upload")
    page.wait_for_event("requestfailed", predicate=lambda r: r.method == "PATCH")
    created = [url for method, url in sent if method == "POST"]
    assert len(created) == 1
    # Reload before letting PATCHes through, so the old page's retries cannot finish it first.
    page.reload()
    page.unroute("**/api/v1/uploads/*")
    page.fill('input[name="title"]', "断点续传测试")
    page.set_input_files("#file", str(clip))
    page.click("#start-upload")
    wait_js(page, "document.getElementById('upload-bar').value === 100", 60)
    page.wait_for_selector("#transcode:not([hidden])")
    # After the reload the page found the unfinished upload and went on with it: no second one.
    assert [method for method, _ in sent].count("POST") == 1, sent


def test_an_editor_writes_an_article_with_a_picture_and_a_tv_preview(console_server, new_page, tmp_path):
    from tests.support.clips import ffmpeg

    picture = tmp_path / "合影.png"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=800x450", "-frames:v", "1", str(picture))
    page = new_page()
    start_article(page, console_server, "医保报销指南", "# 报销要带的材料\n\n1. 身份证\n2. 医保卡")
    page.wait_for_selector("#tv-preview h1:has-text('报销要带的材料')")
    # Large print as on a 1080p TV: the body is 36/1920 of the frame's width.
    frame_width = page.eval_on_selector(".tv", "el => el.getBoundingClientRect().width")
    body_size = page.eval_on_selector("#tv-preview li", "el => parseFloat(getComputedStyle(el).fontSize)")
    assert abs(body_size - frame_width * 36 / 1920) < 0.5
    page.set_input_files("#image-file", str(picture))
    page.wait_for_selector("#tv-preview img")
    assert "![](/media/images/" in page.input_value("#markdown")
    save_and_publish(page)
    screenshot(page, "article")


def start_article(page, server: str, title: str, markdown: str) -> None:
    """An editor logs in and writes an article on 办事指南 (not saved yet)."""
    log_in(page, server, "editor")
    open_menu(page, "写文章")
    page.select_option('select[name="board_id"]', "banshi")
    page.fill('input[name="title"]', title)
    page.fill("#markdown", markdown)


def save_and_publish(page) -> None:
    """Save the article being written and publish it from its page."""
    page.click('#article-form button[type="submit"]')
    page.wait_for_url("**/console/items/*")
    ready(page)
    page.click("#publish")
    page.wait_for_selector("#item-state:has-text('已发布')")


def test_an_administrator_approves_a_box_sends_a_notice_and_adds_an_account(console_server, new_page):
    import json

    request = urllib.request.Request(f"{console_server}/api/v1/devices", method="POST", data=json.dumps(
        {"serial": "SN-BROWSER", "name": "王大爷家", "client_version": "0.1.0"}).encode(),
        headers={"Content-Type": "application/json"})
    code = json.load(urllib.request.urlopen(request, timeout=10))["pairing_code"]
    page = new_page()
    log_in(page, console_server, "admin")
    open_menu(page, "机顶盒")
    page.click(f'form[data-pairing="{code}"] button[type="submit"]')
    page.wait_for_selector("table.devices tr:has-text('王大爷家'):has-text('已批准')")
    screenshot(page, "devices")
    open_menu(page, "紧急通知")
    page.fill('#notice-form input[name="title"]', "明天上午停水")
    page.fill('#notice-form textarea[name="body"]', "8:00 至 12:00 停水，请提前储水。")
    page.click('#notice-form button[type="submit"]')
    page.wait_for_selector("tr[data-notice]:has-text('明天上午停水')")
    open_menu(page, "账号")
    page.fill('#account-form input[name="username"]', "editor")
    page.fill('#account-form input[name="password"]', "long-enough-password")
    page.click('#account-form button[type="submit"]')
    assert "已经存在" in page.wait_for_selector("#flash.error").inner_text()  # the server's own message
    page.fill('#account-form input[name="username"]', "zhao")
    page.click('#account-form button[type="submit"]')
    assert "全部板块" in page.wait_for_selector("#flash.error:has-text('板块')").inner_text()  # none chosen
    page.check('#account-form input[name="all_boards"]')
    page.click('#account-form button[type="submit"]')
    assert "全部板块" in page.wait_for_selector("tr[data-account='zhao']").inner_text()
    screenshot(page, "accounts")


def test_an_answer_lost_after_the_last_byte_does_not_upload_twice(console_server, new_page, clip):
    page = new_page()
    log_in(page, console_server, "editor")
    page.goto(f"{console_server}/console/upload")
    sent = []
    page.on("request", lambda r: sent.append(r.method) if "/api/v1/uploads" in r.url else None)

    def lose_the_answer(route):
        if route.request.method != "PATCH":
            route.continue_()
            return
        route.fetch()  # the server receives every byte and accepts the file ...
        route.abort("connectionreset")  # ... but its answer never arrives

    page.route("**/api/v1/uploads/*", lose_the_answer)
    page.fill('input[name="title"]', "应答丢失测试")
    page.set_input_files("#file", str(clip))
    page.click("#start-upload")
    page.wait_for_selector("#transcode:not([hidden])", timeout=30_000)
    assert sent.count("POST") == 1 and "HEAD" in sent
    page.wait_for_selector("#transcode-text:has-text('转码完成')", timeout=120_000)


def test_an_article_is_read_aloud_and_its_editor_uploads_a_recording(console_server, new_page, tmp_path):
    from tests.support.clips import ffmpeg

    recording = tmp_path / "朗读.m4a"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=220:sample_rate=44100:d=4", "-c:a", "aac", str(recording))
    page = new_page()
    start_article(page, console_server, "居住证办理", "办理居住证需携带身份证原件。咨询电话：0571-86012345。")
    save_and_publish(page)
    # The server reads it aloud in the background; the page says so once it is made.
    def made() -> bool:
        page.reload()
        return "朗读：已生成" in page.inner_text("#reading-state")
    wait_for(made, 60, "the synthetic reading")
    assert page.get_attribute("audio#reading", "src").endswith(".m4a")
    ready(page)
    page.set_input_files("#recording-file", str(recording))
    page.click("#recording-upload")
    page.wait_for_selector("#reading-state:has-text('朗读：真人录音')", timeout=90_000)  # reloaded when ready
    assert page.locator("video.reading").count() == 1
    wait_js(page, "document.querySelector('video.reading').duration > 3", 30)  # hls.js plays the recording
    assert not page.locator("#flash.error").is_visible()
    screenshot(page, "article-recording")
    page.goto(f"{console_server}/console/library?kind=article")
    assert "朗读：真人录音" in page.inner_text("tr:has-text('居住证办理')")
