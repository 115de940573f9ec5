"""Every server setting, declared once as data with its type, default and help text.

Load order (later wins): these defaults, then the instance config file
(instance/keting.cfg, Python syntax as in Flask), then KETING_<NAME>
environment variables, then the mapping a test passes to create_app().
docs/deploy.md lists them all; a test fails when one is undocumented.

Paths that are empty by default are filled in by create_app() from where the
code runs: a source checkout (a clone, run in place or installed editable)
keeps the README's layout (media/ and channels.yaml of the checkout); an
installed copy puts everything it writes in the instance folder, never in
site-packages, and reads the channels.yaml packaged with it unless the site
has its own.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]
# The folder holding the server package: the checkout in a source tree, site-packages in an install.
PROJECT_ROOT = PACKAGE_DIR.parent
# The line-up an install starts with. In the source tree server/channels.yaml is a symbolic link to the
# top-level channels.yaml (one file); building a wheel copies its content in (setup.cfg, package_data).
PACKAGED_CHANNELS_FILE = PACKAGE_DIR / "channels.yaml"


def is_source_checkout(root: Path = PROJECT_ROOT) -> bool:
    """Whether `root`, the folder holding the server package, is this project's source tree.

    Told by what only the source tree has beside the package: a setup.cfg naming this project and the
    top-level channels.yaml. Never by the working directory, which can be anything; site-packages has
    neither file (the wheel carries channels.yaml inside the package).
    """
    setup_cfg, lineup = root / "setup.cfg", root / "channels.yaml"
    if not (setup_cfg.is_file() and lineup.is_file()):
        return False
    try:
        text = setup_cfg.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return re.search(r"^name\s*=\s*keting\s*$", text, re.MULTILINE) is not None


SOURCE_CHECKOUT = is_source_checkout()


def instance_folder(test_config: Mapping | None = None, environ: Mapping[str, str] | None = None) -> str | None:
    """The INSTANCE setting as Flask's `instance_path` (absolute, as Flask requires); None for Flask's default.

    It cannot come from keting.cfg, which lives in the folder it names: only a test's mapping or the
    KETING_INSTANCE environment variable set it (a relative path counts from the working directory).
    """
    environ = os.environ if environ is None else environ
    raw = str((test_config or {}).get("INSTANCE") or environ.get("KETING_INSTANCE", "")).strip()
    return os.path.abspath(os.path.expanduser(raw)) if raw else None


def default_media_root(instance_path: str | Path) -> Path:
    """MEDIA_ROOT when unset: media/ of a source checkout (the README's layout), else media/ in the instance folder."""
    return PROJECT_ROOT / "media" if SOURCE_CHECKOUT else Path(instance_path) / "media"


def default_channels_file(instance_path: str | Path) -> Path:
    """CHANNELS_FILE when unset: the site's own instance/channels.yaml when there is one, else the
    checkout's channels.yaml in a source tree, else the copy packaged with an install."""
    site_copy = Path(instance_path) / "channels.yaml"
    if site_copy.is_file():
        return site_copy
    return PROJECT_ROOT / "channels.yaml" if SOURCE_CHECKOUT else PACKAGED_CHANNELS_FILE


@dataclass(frozen=True)
class Setting:
    """One configurable value."""

    name: str
    type: type
    default: object
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("INSTANCE", str, "",
            "Instance folder: keting.cfg, the database, keys, originals and, in an installed copy, media/ and "
            "the site's channels.yaml. Set only as the KETING_INSTANCE environment variable (keting.cfg lives in "
            "it), e.g. /var/lib/keting under systemd. Empty means Flask's default: instance/ of a source "
            "checkout, <prefix>/var/server-instance of an install."),
    Setting("DATABASE", str, "",
            "Path of the SQLite database file. Empty means keting.sqlite3 in the instance folder."),
    Setting("MEDIA_ROOT", str, "",
            "Folder holding the media files (HLS ladders, thumbnails, article images). Empty means media/ of "
            "a source checkout, or media/ in the instance folder of an installed copy (never site-packages)."),
    Setting("MEDIA_URL", str, "/media/",
            "URL prefix under which MEDIA_ROOT is reachable by set-top boxes; "
            "point it at nginx or a CDN in production."),
    Setting("SERVE_MEDIA", bool, True,
            "Let Flask serve MEDIA_ROOT under /media/. Turn off when nginx serves it."),
    Setting("CHANNELS_FILE", str, "",
            "The boards, linear channels and encoding ladder (channels.yaml). Empty means channels.yaml in the "
            "instance folder when the site has one there, else the checkout's channels.yaml in a source "
            "checkout, or the default packaged with an installed copy."),
    Setting("TIMEZONE", str, "Asia/Shanghai",
            "Time zone in which times are shown and schedules are written; storage is UTC."),
    Setting("LANGUAGE", str, "zh_CN",
            "Language of every message a viewer, editor or administrator reads."),
    Setting("PAGE_SIZE", int, 20, "Default number of items per page in the set-top API."),
    Setting("MAX_PAGE_SIZE", int, 100, "Largest per_page a client may ask for."),
    Setting("PAIRING_CODE_TTL", int, 7 * 24 * 3600,
            "Seconds a set-top box's pairing code stays valid while waiting for approval."),
    Setting("PAIRING_POLL_INTERVAL", float, 5.0,
            "Seconds a pending box waits between polls for its token (raise it for many boxes)."),
    Setting("DEVICE_REGISTRATIONS_PER_HOUR", int, 20,
            "Boxes one address may register in an hour (a flood would fill the pending list); 0: no limit."),
    Setting("DEVICE_SEEN_INTERVAL", int, 60,
            "Seconds between writes of a device's last-seen time (saves a write per request)."),
    Setting("ORIGINALS_DIR", str, "",
            "Folder for uploads in progress and originals awaiting transcoding (not served). "
            "Empty means originals/ in the instance folder."),
    Setting("KEEP_ORIGINALS", bool, False,
            "Keep each original after its ladder is complete (otherwise it is deleted then)."),
    Setting("MAX_REQUEST_BYTES", int, 1024 * 1024,
            "Largest request body in bytes (JSON, forms); pictures, subtitles and uploads have their own limits."),
    Setting("MAX_UPLOAD_BYTES", int, 8 * 1024 ** 3, "Largest upload accepted, in bytes (default 8 GiB)."),
    Setting("UPLOAD_EXPIRY", int, 24 * 3600,
            "Seconds an unfinished upload may be resumed before it is deleted."),
    Setting("TRANSCODE_WORKERS", int, 1, "Transcode jobs run at once by `keting serve` (1 suits 2 cores)."),
    Setting("JOB_STALE_AFTER", int, 120,
            "Seconds without progress after which another host's running job counts as dead."),
    Setting("RECONCILE_INTERVAL", int, 30,
            "Seconds between checks of the job table for queued or abandoned work."),
    Setting("PLAYOUT_HORIZON_HOURS", int, 48,
            "How far ahead each channel's timeline (and so the guide) is planned."),
    Setting("RULE_HORIZON_DAYS", int, 92,
            "How far ahead recurring schedule rules are expanded into entries (and checked for conflicts)."),
    Setting("REMINDER_MINUTES", int, 10,
            "Minutes before an important broadcast that boxes are told about it (\"press OK to watch\")."),
    Setting("LIVE_LEAD_SECONDS", int, 60,
            "Seconds before a live event that its relay (ffmpeg) starts, so the first minute is not lost."),
    Setting("LIVE_INPUT_HOSTS", str, "",
            "Hosts or networks on this machine or the LAN that live-meeting inputs may come from, comma-separated "
            "(e.g. encoder.lan, 192.168.1.20, 10.8.0.0/24); public addresses are always allowed, others refused."),
    Setting("RECORDINGS_BOARD", str, "dangjian",
            "Board that a live event's recording is filed on as a draft video once the event ends."),
    Setting("SLATE_CLOCK_SECONDS", int, 300,
            "Gaps are cut into slate pieces this long, each drawn with a running clock shortly before it "
            "plays (costing about a sixth of its length in CPU time); 0 loops the plain slate instead."),
    Setting("SLATE_SECONDS", int, 30,
            "Length of each channel's slate clip, shown in gaps no filler fits; a multiple of the segment length."),
    Setting("PUBLIC_URL", str, "",
            "Base URL boxes and players reach the server at (e.g. https://tv.example.org): every absolute URL "
            "the server hands out (items, channels, logos, /channels.m3u, /epg.xml, uploads) starts with it. "
            "Empty means the address of the request."),
    Setting("ALLOWED_HOSTS", str, "",
            "Host names this server answers to, comma-separated (e.g. tv.example.org, 192.168.1.10:8080); a "
            "request naming another Host gets 400, so no answer can carry a forged address. Empty: any (then set "
            "PUBLIC_URL in production; `keting serve` warns when neither is set off this machine)."),
    Setting("SECRET_KEY", str, "",
            "Key signing the console's session cookies and CSRF tokens. Empty means a random key kept in "
            "instance/secret_key (made on first start); give every process of one site the same key."),
    Setting("API_TOKEN_DAYS", int, 365, "Days an editor's API token made by `keting user token` stays valid."),
    Setting("MEDIA_SIGNING_KEY", str, "",
            "Key signing the expiring URLs of items' segments and subtitles (nginx's secure_link checks them). "
            "Empty means a random key kept in instance/media_signing_key; `keting nginx-config` writes it into "
            "nginx's configuration. Give every process of one site the same key."),
    Setting("SESSION_HOURS", int, 12, "Hours a console login lasts without activity before asking again."),
    Setting("SECURE_COOKIES", bool, False,
            "Send the console's cookies only over HTTPS. Turn on behind an HTTPS proxy."),
    Setting("LOGIN_MAX_FAILURES", int, 5,
            "Wrong passwords for one account within LOGIN_LOCKOUT_MINUTES before it is locked for that long."),
    Setting("LOGIN_MAX_FAILURES_PER_ADDRESS", int, 20,
            "Wrong passwords from one address (any accounts) within LOGIN_LOCKOUT_MINUTES before it is locked."),
    Setting("LOGIN_LOCKOUT_MINUTES", int, 15, "Window and length of a login lock-out, in minutes."),
    Setting("PROXY_HOPS", int, 0,
            "Reverse proxies (nginx) in front of Keting whose X-Forwarded-For/-Proto are trusted; 1 behind one "
            "nginx. Login limits per address and Secure cookies need the client's real address and scheme."),
    Setting("FFMPEG", str, "ffmpeg", "The ffmpeg executable."),
    Setting("FFPROBE", str, "ffprobe", "The ffprobe executable."),
    Setting("READ_ALOUD", bool, True,
            "Make a synthetic Mandarin reading (朗读) of each published article for the TV's yellow key "
            "(eSpeak NG, docs/tts.md); off: articles are not read aloud."),
    Setting("ESPEAK", str, "espeak-ng", "The eSpeak NG executable that reads articles aloud."),
    Setting("CJK_FONT", str, "",
            "Font file for Chinese text drawn into video (demo clips, slates). "
            "Empty means ask fontconfig for Noto Sans CJK SC."),
    Setting("HOST", str, "127.0.0.1", "Address `keting serve` listens on."),
    Setting("PORT", int, 8080, "Port `keting serve` listens on."),
    Setting("THREADS", int, 8, "Request threads of each `keting serve` worker (gunicorn's threaded worker)."),
    Setting("WORKERS", int, 1,
            "gunicorn worker processes of `keting serve`; each also runs the background runners, and leases "
            "keep one channel writer and one transcode per job for the whole site."),
    Setting("FRONT_SERVER", str, "auto",
            "What `keting serve` puts in front of the app on HOST:PORT: auto (nginx when installed, serving "
            "media, channel playlists and the guide itself), nginx (refuse to start without it), or none (another "
            "web server is in front, see deploy/nginx; Python then answers on HOST:PORT)."),
    Setting("NGINX", str, "nginx", "The nginx executable for FRONT_SERVER (looked for on PATH and in /usr/sbin)."),
    Setting("LOG_LEVEL", str, "info",
            "How much `keting serve` logs to stderr (debug, info, warning, error); each line carries its request id."),
    Setting("METRICS_ALLOWED", str, "127.0.0.1, ::1",
            "Addresses or networks that may read /metrics (Prometheus), comma-separated; others get 403."),
    Setting("ACCESS_LOG", str, "",
            "Where `keting serve` writes one line per request (the front's, else gunicorn's): a file path, "
            "- for stderr (the journal under systemd), or empty for none."),
    Setting("STUDY_MIN_SITTING_SECONDS", int, 120,
            "Study credit starts only once this much of a video was watched in one sitting (学时 rules)."),
    Setting("STUDY_SITTING_GAP_SECONDS", int, 600,
            "A pause up to this long keeps a sitting going (for the minimum above)."),
    Setting("STUDY_DAILY_CAP_MINUTES", int, 60, "Most study credit a member earns from one video in one day."),
    Setting("STUDY_LESSON_MINUTES", int, 45, "Minutes of credit in one 学时."),
    Setting("STUDY_ANNUAL_TARGET", float, 32.0, "学时 each member is asked to reach in a year."),
    Setting("STILL_WATCHING_SECONDS", int, 1800,
            "Seconds without a key press during a video or channel before the TV asks \"还在看吗？\"; credit "
            "pauses when nobody answers. 0: never ask."),
    Setting("STILL_WATCHING_ANSWER_SECONDS", int, 60, "How long the TV waits for an answer to \"还在看吗？\"."),
    Setting("VIEWERS_IDLE_HOURS", float, 2.0,
            "Hours without a key press after which the TV asks \"谁在看？\" again (so does switching it off)."),
    Setting("CHECKIN_MINUTES", int, 15,
            "Minutes after a check-in (签到) programme's start during which boxes take check-ins, unless the "
            "schedule gives its own window (1-240)."),
    Setting("CHECKIN_WATCHED_PERCENT", int, 80,
            "Share of a check-in programme (percent, 1-100) a member must have watched to be listed as "
            "\"watched, not checked in\" when they did not press OK."),
    Setting("WATCH_REPORT_MAX_AGE_DAYS", int, 7,
            "Oldest watch report a box may still send (kept offline while the server was away)."),
)

SETTINGS_BY_NAME = {s.name: s for s in SETTINGS}


class SettingError(ValueError):
    """A setting has a value of the wrong type."""


def coerce(setting: Setting, raw: object) -> object:
    """Turn a value from a file or the environment into the setting's type."""
    if setting.type is bool:
        if isinstance(raw, bool):
            return raw
        lowered = str(raw).strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off", ""):
            return False
        raise SettingError(f"KETING_{setting.name}={raw!r}: expected true or false")
    if setting.type is float:
        try:
            return float(raw)
        except (TypeError, ValueError):
            raise SettingError(f"KETING_{setting.name}={raw!r}: expected a number") from None
    if setting.type is int:
        try:
            return int(raw)
        except (TypeError, ValueError):
            raise SettingError(f"KETING_{setting.name}={raw!r}: expected a whole number") from None
    return str(raw)


def from_environment(environ: os._Environ | dict | None = None) -> dict[str, object]:
    """Settings given as KETING_<NAME> environment variables, typed."""
    environ = os.environ if environ is None else environ
    values: dict[str, object] = {}
    for setting in SETTINGS:
        raw = environ.get(f"KETING_{setting.name}")
        if raw is not None:
            values[setting.name] = coerce(setting, raw)
    return values
