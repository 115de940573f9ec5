"""`keting`: the server's administration command (serve, migrate, demo, org, device, user, settings,
nginx-config; backup and restore come from backup_cli.py)."""

from __future__ import annotations

import os
import sys
from functools import wraps
from pathlib import Path

import click
from flask import Flask, current_app

from keting_i18n import text
from server import create_app
from server.backup_cli import register as register_backup_commands
from server.core.channels_yaml import ConfigError
from server.core.errors import UserError
from server.core.media_permissions import use_media_umask
from server.core.settings import SETTINGS, SettingError
from server.web.context import clock, current_lineup, get_db, site, station
from server.web.urls import media_url, site_url

# Where keting-stb looks when KETING_STB_STATE=instance/demo-stb.
DEMO_TOKEN_FILE = "demo-stb/token"
DEMO_ADMIN = "demo-admin"
DEMO_PASSWORD_FILE = "demo-console-password"


def _say(message_id: str, **params: object) -> None:
    click.echo(text(message_id, lang=current_app.config["LANGUAGE"], **params))


def build_app() -> Flask:
    """create_app() with its start-up errors turned into a message and exit status 2."""
    try:
        return create_app()
    except ConfigError as error:
        click.echo(str(error), err=True)
        sys.exit(2)
    except SettingError as error:
        click.echo(text("cli.bad_setting", detail=error), err=True)
        sys.exit(2)


def with_app(command):
    """Run a command inside the app context; UserError becomes a message and exit status 1."""
    @wraps(command)
    def wrapper(*args, **kwargs):
        app = build_app()
        with app.app_context():
            try:
                return command(*args, **kwargs)
            except UserError as error:
                click.echo(error.message(app.config["LANGUAGE"]), err=True)
                sys.exit(1)
    return wrapper


@click.group(help="Keting 客厅党建 TV server administration.")
def main() -> None:
    """The `keting` command group: every command writes media the web server's user can read."""
    use_media_umask()


def serve_warnings(config, host: str) -> list[str]:
    """What an operator should fix before this server faces a network (printed by `keting serve`)."""
    loopback = host in ("127.0.0.1", "::1", "localhost") or host.startswith("127.")
    if loopback or config["PUBLIC_URL"] or config["ALLOWED_HOSTS"]:
        return []
    return [text("cli.host_not_pinned", lang=config["LANGUAGE"], host=host)]


@main.command(help="Start the server on HOST:PORT: nginx in front when installed, the app under gunicorn.")
@click.option("--host", default=None, help="Listen address (setting HOST).")
@click.option("--port", type=int, default=None, help="Listen port (setting PORT).")
def serve(host: str | None, port: int | None) -> None:
    """Serve on --host/--port (settings HOST, PORT): nginx in front (FRONT_SERVER) and the app under
    gunicorn behind it, the runners in its workers."""
    from server.broadcast.runner import BroadcastRunner
    from server.ingest.job_runner import JobRunner
    from server.records import checkin_watch
    from server.web.http_server import KetingServer
    from server.web.request_log import configure

    app = build_app()
    config = app.config
    configure(config["LOG_LEVEL"])
    host = host or config["HOST"]
    port = port or config["PORT"]

    def start_runners():
        """In each worker process: transcoding and the channels (leases decide who does what)."""
        with app.app_context():
            this_site, this_station = site(), station()
        jobs = JobRunner(this_site)
        app.extensions["keting"]["job_runner"] = jobs
        jobs.start()
        channels = BroadcastRunner(this_site, this_station, jobs.wake, checkin_watch.settle)
        channels.start()
        return [jobs, channels]

    with app.app_context():
        for warning in serve_warnings(config, host):
            click.echo(warning, err=True)
        front = _front(app, host, port)
        if front is None:
            _say("cli.serving", url=f"http://{host}:{port}/")
            KetingServer(app, host, port, start_runners, access_log=config["ACCESS_LOG"]).run()
            return

    def start_front() -> bool:
        """In gunicorn's master once its socket listens: nginx in front; False (said why) if it cannot start."""
        try:
            front.start(port)
        except UserError as error:
            click.echo(error.message(config["LANGUAGE"]), err=True)
            return False
        with app.app_context():
            _say("cli.serving_front", url=f"http://{host}:{port}/", upstream=front.upstream)
        return True

    try:
        KetingServer(app, "127.0.0.1", int(front.upstream.rpartition(":")[2]), start_runners,
                     when_ready=start_front, on_exit=front.stop).run()
    finally:
        front.stop()


def _front(app: Flask, host: str, port: int):
    """The nginx front FRONT_SERVER asks for, ready to start; None to let gunicorn face HOST:PORT itself."""
    from server.web.front import FRONT_CHOICES, NginxFront, find_nginx, listen_address, loopback_port, worker_user
    from server.web.security import trust_proxies

    config = app.config
    choice = config["FRONT_SERVER"]
    if choice not in FRONT_CHOICES:
        click.echo(text("cli.front_bad_choice", value=choice), err=True)
        sys.exit(2)
    nginx = find_nginx(config["NGINX"]) if choice != "none" else None
    if nginx is None:
        if choice == "nginx":
            click.echo(text("cli.front_required", nginx=config["NGINX"]), err=True)
            sys.exit(2)
        if choice == "auto":
            click.echo(text("cli.front_missing"), err=True)
        return None
    media_root = Path(config["MEDIA_ROOT"])
    user, unreadable = worker_user(media_root)
    if unreadable:  # nginx's workers never run as root: without a user who can read the media, no front
        click.echo(text("cli.front_media_unreadable", **unreadable), err=True)
        if choice == "nginx":
            sys.exit(2)
        return None
    trust_proxies(app, config["PROXY_HOPS"] + 1)  # our own nginx is one more proxy
    media_path = config["MEDIA_URL"] if config["MEDIA_URL"].startswith("/") else "/media/"
    return NginxFront(nginx, Path(app.instance_path) / f"nginx-{port}", media_root, media_path,
                      config["MEDIA_SIGNING_KEY"], listen_address(host, port), f"127.0.0.1:{loopback_port()}",
                      access_log=config["ACCESS_LOG"], guide_files=bool(config["PUBLIC_URL"]), user=user,
                      behind_proxies=config["PROXY_HOPS"])


@main.command("import", help="Import a video or audio file from this machine onto a board.")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--board", required=True, help="Board id from channels.yaml, e.g. dangke.")
@click.option("--title", default="", help="Title (default: the file name).")
@click.option("--speaker", default="", help="Speaker, e.g. 王书记.")
@click.option("--subtitles", "subtitles_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="An SRT or WebVTT file for the lecture (Chinese, zh).")
@click.option("--publish", is_flag=True, help="Publish as soon as the ladder is ready.")
@click.option("--queue", "queue_only", is_flag=True, help="Leave the encoding to the running server.")
@with_app
def import_command(path: Path, board: str, title: str, speaker: str, subtitles_path: Path | None,
                   publish: bool, queue_only: bool) -> None:
    """Import a local file onto a board and, unless --queue, transcode it here (and publish it with --publish)."""
    from server.catalogue.items import set_state
    from server.ingest.job_runner import run_job
    from server.ingest.subtitles import save_subtitles
    from server.ingest.transcode_jobs import get_job
    from server.ingest.uploads import import_file

    accepted = import_file(get_db(), current_lineup(), path, board, title, speaker, clock(), current_app.config)
    _say("cli.imported", item=accepted.item_id, job=accepted.job_id)
    if subtitles_path:
        save_subtitles(get_db(), Path(current_app.config["MEDIA_ROOT"]), accepted.item_id, "zh",
                       text("cli.subtitles_label_zh"), subtitles_path.read_bytes())
    if queue_only:
        return
    state = run_job(get_db(), site(), accepted.job_id)
    while state == "queued":  # ffmpeg was killed; run_job allows a few attempts
        state = run_job(get_db(), site(), accepted.job_id)
    if state != "done":
        raise UserError("cli.import_failed", job=accepted.job_id,
                        detail=get_job(get_db(), accepted.job_id).error_tail or state)
    if publish:
        set_state(get_db(), accepted.item_id, "published", clock())
    _say("cli.import_done", item=accepted.item_id)


@main.command(help="Apply pending database migrations (start-up does this too).")
@with_app
def migrate() -> None:
    """Apply the pending migrations and say how many ran."""
    from server.core.migrations import applied_migrations
    from server.core.migrations import migrate as apply

    applied = apply(get_db())
    _say("cli.migrated", count=len(applied), total=len(applied_migrations(get_db())))


@main.command(help="Load demo content on all ten boards (idempotent).")
@click.option("--remove", is_flag=True, help="Delete the demo items and their media instead.")
@with_app
def demo(remove: bool) -> None:
    """Load the demo (items, schedule, a paired box and a console administrator), or remove it with --remove."""
    from server.demo import load_demo, remove_demo
    from server.ingest.cards import find_cjk_font

    config = current_app.config
    media_root = Path(config["MEDIA_ROOT"])
    if remove:
        _say("cli.demo_removed", count=remove_demo(get_db(), media_root))
        station().keep_built(get_db(), current_lineup(), clock())
        return
    from server.demo import schedule_demo
    from server.ingest.hls_ladder import EncodeError

    try:
        font = find_cjk_font(config["CJK_FONT"])
        report = load_demo(get_db(), current_lineup(), media_root, config["FFMPEG"], font, log=click.echo)
        station().ensure_art(current_lineup(), font)
    except EncodeError as error:
        raise UserError("demo.encode_failed", detail=error.stderr_tail) from None
    except FileNotFoundError as error:
        raise UserError("demo.ffmpeg_missing", path=error.filename) from None
    _say("cli.demo_done", created=len(report.created), kept=len(report.kept), skipped=len(report.skipped))
    schedule_demo(get_db(), current_lineup(), clock(), config["TIMEZONE"], config["RULE_HORIZON_DAYS"])
    station().keep_built(get_db(), current_lineup(), clock())
    token_file = Path(current_app.instance_path) / DEMO_TOKEN_FILE
    if _ensure_demo_device(token_file):
        _say("cli.demo_device", path=token_file)
    from server.demo import demo_content
    from server.demo_records import load_demo_records

    box = get_db().execute("SELECT id FROM devices WHERE serial = 'DEMO-STB-0001' AND state = 'approved' "
                           "ORDER BY id DESC LIMIT 1").fetchone()
    load_demo_records(get_db(), demo_content(), box["id"] if box else None, clock(), config)
    sample = get_db().execute(
        "SELECT hls_path FROM items WHERE demo_key IS NOT NULL AND hls_path IS NOT NULL ORDER BY id LIMIT 1").fetchone()
    if sample:
        _say("cli.demo_sample", url=media_url(sample[0]))
    _say("cli.demo_channels", url=site_url("channels.m3u"))
    password_file = Path(current_app.instance_path) / DEMO_PASSWORD_FILE
    _ensure_demo_admin(password_file)
    _say("cli.demo_console", url=site_url("console/"), username=DEMO_ADMIN, path=password_file)


def _ensure_demo_admin(password_file: Path) -> None:
    """A console administrator for the demo, its random password in a file only the owner reads.

    Made once; an account of that name that already exists is left as it is.
    """
    import os
    import secrets

    from server.accounts.users import add_user

    db = get_db()
    if db.execute("SELECT 1 FROM users WHERE username = ?", [DEMO_ADMIN]).fetchone():
        return
    password = secrets.token_urlsafe(12)
    password_file.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(password + "\n")
    add_user(db, current_lineup(), DEMO_ADMIN, password, "admin", clock(),
             display_name=text("cli.demo_admin_name", lang=current_app.config["LANGUAGE"]))


def _ensure_demo_device(token_file: Path) -> bool:
    """A pre-approved demo box in the first community, its token in the instance folder.

    It goes through the real register/approve/claim functions. Returns
    whether a new token was written.
    """
    from server.accounts.devices import approve_device, authenticate, claim_token, register_device

    db = get_db()
    if token_file.exists():
        try:
            authenticate(db, token_file.read_text().strip(), clock(), 0)
            return False
        except UserError:
            pass
    org = db.execute("SELECT id FROM organisations WHERE kind = 'community' ORDER BY id LIMIT 1").fetchone()
    now = clock()
    registration = register_device(db, "DEMO-STB-0001", text("cli.demo_device_name"), "demo", now, 3600)
    approve_device(db, registration.pairing_code, org["id"] if org else None, now)
    token = claim_token(db, registration.device_code, now).token
    token_file.parent.mkdir(parents=True, exist_ok=True)
    token_file.write_text(token + "\n")
    os.chmod(token_file, 0o600)
    return True


@main.group(help="Organisations: 街道 -> 社区/村 -> 党支部.")
def org() -> None:
    """The `keting org` commands."""
    pass


@org.command("list", help="Show the organisation tree with ids.")
@with_app
def org_list() -> None:
    """Print the organisation tree, indented, with ids and kinds."""
    from server.accounts.organisations import list_organisations

    for depth, organisation in list_organisations(get_db()):
        click.echo(f"{'  ' * depth}{organisation.id:>4}  {organisation.name}  ({organisation.kind})")


@org.command("add", help="Add an organisation.")
@click.argument("name")
@click.option("--kind", required=True, type=click.Choice(["subdistrict", "community", "village", "branch"]))
@click.option("--parent", default=None, help="Parent organisation, by id or name.")
@with_app
def org_add(name: str, kind: str, parent: str | None) -> None:
    """Add an organisation of a kind under a parent given by id or name."""
    from server.accounts.organisations import add_organisation, find_organisation

    parent_id = find_organisation(get_db(), parent).id if parent else None
    created = add_organisation(get_db(), name, kind, parent_id, clock())
    _say("cli.org_added", name=created.name, id=created.id)


@main.group(help="Set-top boxes: list, approve pairing codes, revoke.")
def device() -> None:
    """The `keting device` commands."""
    pass


@device.command("list", help="All boxes, pending ones first.")
@with_app
def device_list() -> None:
    """Print every box with its state, pairing code, serial, name, organisation and last-seen time."""
    from server.accounts.devices import list_devices

    for row in list_devices(get_db()):
        code = row["pairing_code"] or "-"
        click.echo(f"{row['id']:>4}  {row['state']:<8}  {code:<6}  {row['serial']}  {row['name']}  "
                   f"{row['org_name'] or '-'}  {row['last_seen_at'] or '-'}")


@device.command("approve", help="Approve the box showing pairing CODE on its screen.")
@click.argument("code")
@click.option("--org", "org_ref", default=None, help="Organisation the box belongs to, by id or name.")
@with_app
def device_approve(code: str, org_ref: str | None) -> None:
    """Approve the box showing a pairing code, optionally into an organisation given by id or name."""
    from server.accounts.devices import approve_device
    from server.accounts.organisations import find_organisation

    org_id = find_organisation(get_db(), org_ref).id if org_ref else None
    approved = approve_device(get_db(), code, org_id, clock())
    _say("cli.device_approved", id=approved.id, serial=approved.serial)


@device.command("revoke", help="Revoke box ID: its token stops working at once.")
@click.argument("device_id", type=int)
@with_app
def device_revoke(device_id: int) -> None:
    """Revoke a box by id."""
    from server.accounts.devices import revoke_device

    revoked = revoke_device(get_db(), device_id, clock())
    _say("cli.device_revoked", id=revoked.id, serial=revoked.serial)


@main.group(help="Editor and administrator accounts.")
def user() -> None:
    """The `keting user` commands."""
    pass


def _read_password(from_stdin: bool) -> str:
    """A new password: one line from standard input for scripts, else asked twice, hidden."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt(text("cli.password_prompt"), hide_input=True,
                        confirmation_prompt=text("cli.password_again"))


def _role_options(command):
    command = click.option("--all-boards", is_flag=True,
                           help="An editor who may edit every board, including boards added later.")(command)
    command = click.option("--board", "boards", multiple=True,
                           help="A board id this editor may edit (repeatable).")(command)
    command = click.option("--admin", "role", flag_value="admin", help="Administrator.")(command)
    return click.option("--editor", "role", flag_value="editor", default=True, help="Editor (default).")(command)


@user.command("add", help="Create an account (the first administrator: keting user add NAME --admin).")
@click.argument("username")
@_role_options
@click.option("--name", "display_name", default="", help="Name shown in the console, e.g. 张老师.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_app
def user_add(username: str, role: str, boards: tuple[str, ...], all_boards: bool, display_name: str,
             password_stdin: bool) -> None:
    """Create an account with a role, board limits and a password that is asked for or read from stdin."""
    from server.accounts.users import add_user, check_boards_given

    check_boards_given(role, boards, all_boards)  # before asking for a password
    created = add_user(get_db(), current_lineup(), username, _read_password(password_stdin), role, clock(),
                       display_name, boards, all_boards)
    _say("cli.user_added", username=created.username, role=created.role)


@user.command("org", help="Limit an administrator to an organisation and what is under it (members, study "
                          "records): keting user org NAME 东风社区; --all lifts the limit.")
@click.argument("username")
@click.argument("org", required=False)
@click.option("--all", "whole_site", is_flag=True, help="The whole site (no limit).")
@with_app
def user_org(username: str, org: str | None, whole_site: bool) -> None:
    """Set or lift an account's organisation limit."""
    from server.accounts.organisations import find_organisation
    from server.accounts.users import set_organisation

    if (org is None) == (not whole_site):
        raise click.UsageError(text("cli.user_org_usage"))
    org_id = None if whole_site else find_organisation(get_db(), org).id
    changed = set_organisation(get_db(), username, org_id, clock())
    _say("cli.user_org_set", username=changed.username, org=org or text("cli.whole_site"))


@user.command("list", help="All accounts with role, board limits and state.")
@with_app
def user_list() -> None:
    """Print every account with its role, state, boards (* for all, - for none) and display name."""
    from server.accounts.users import list_users

    for account in list_users(get_db()):
        state = "disabled" if account.disabled else "active"
        boards = "*" if account.all_boards or account.role == "admin" else ",".join(account.boards) or "-"
        click.echo(f"{account.username:<20} {account.role:<7} {state:<9} {boards}  {account.display_name}")


@user.command("password", help="Set a new password for an account.")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_app
def user_password(username: str, password_stdin: bool) -> None:
    """Set an account's password, asked for or read from stdin."""
    from server.accounts.users import get_user, set_password

    get_user(get_db(), username)  # say "no such user" before asking for a password
    set_password(get_db(), username, _read_password(password_stdin), clock())
    _say("cli.user_password_set", username=username)


@user.command("role", help="Change an account's role and board limits.")
@click.argument("username")
@_role_options
@with_app
def user_role(username: str, role: str, boards: tuple[str, ...], all_boards: bool) -> None:
    """Change an account's role and board limits."""
    from server.accounts.users import set_role

    changed = set_role(get_db(), current_lineup(), username, role, boards, clock(), all_boards)
    _say("cli.user_role_set", username=changed.username, role=changed.role)


@user.command("token", help="Create an API token for an account's tools (uploads from scripts).")
@click.argument("username")
@click.option("--label", default="", help="What the token is for, e.g. 录播电脑.")
@click.option("--days", type=int, default=None, help="Days it stays valid (setting API_TOKEN_DAYS by default).")
@with_app
def user_token(username: str, label: str, days: int | None) -> None:
    """Print a new API token for an account."""
    from server.accounts.tokens import create_api_token

    click.echo(create_api_token(get_db(), username, label, clock(), days or current_app.config["API_TOKEN_DAYS"]))


@user.command("tokens", help="List an account's API tokens (never the tokens themselves).")
@click.argument("username")
@with_app
def user_tokens(username: str) -> None:
    """Print an account's tokens: id, label, made, expires, last used."""
    from server.accounts.tokens import list_tokens

    for token in list_tokens(get_db(), username):
        click.echo(f"{token.id:>4}  {token.label or '-':<16} {token.created_at}  {token.expires_at or '-'}  "
                   f"{token.last_used_at or '-'}")


@user.command("revoke-token", help="Revoke one of an account's API tokens by its id (see `keting user tokens`).")
@click.argument("username")
@click.argument("token_id", type=int)
@with_app
def user_revoke_token(username: str, token_id: int) -> None:
    """Revoke an API token: it stops working at once."""
    from server.accounts.tokens import revoke_token

    revoke_token(get_db(), username, token_id)
    _say("cli.token_revoked", id=token_id, username=username)


@user.command("disable", help="Disable an account (it can no longer log in).")
@click.argument("username")
@with_app
def user_disable(username: str) -> None:
    """Disable an account."""
    from server.accounts.users import set_disabled

    set_disabled(get_db(), username, True, clock())
    _say("cli.user_disabled", username=username)


@user.command("enable", help="Enable a disabled account again.")
@click.argument("username")
@with_app
def user_enable(username: str) -> None:
    """Enable a disabled account."""
    from server.accounts.users import set_disabled

    set_disabled(get_db(), username, False, clock())
    _say("cli.user_enabled", username=username)


@main.command("nginx-config", help="Print the nginx server block to put in front of this site (deploy.md).")
@click.option("--listen", default="80", help="nginx's listen directive, e.g. 80 or 443 ssl.")
@click.option("--server-name", default="_", help="The site's host name, e.g. tv.example.org.")
@click.option("--upstream", default=None, help="Where keting serve listens (default HOST:PORT).")
@click.option("--tls-cert", default=None,
              help="HTTPS: the certificate chain file (e.g. Let's Encrypt's fullchain.pem); port 80 then redirects.")
@click.option("--tls-key", default=None, help="HTTPS: the certificate's private key file.")
@with_app
def nginx_config(listen: str, server_name: str, upstream: str | None, tls_cert: str | None,
                 tls_key: str | None) -> None:
    """Print the server block: it holds the media signing key, so keep the file readable by root only."""
    from server.web.nginx_site import site_config

    if bool(tls_cert) != bool(tls_key):
        raise UserError("cli.tls_needs_both")

    config = current_app.config
    media_path = config["MEDIA_URL"] if config["MEDIA_URL"].startswith("/") else "/media/"
    click.echo(site_config(media_root=Path(config["MEDIA_ROOT"]), signing_key=config["MEDIA_SIGNING_KEY"],
                           listen=listen, server_name=server_name,
                           upstream=upstream or f"{config['HOST']}:{config['PORT']}", media_path=media_path,
                           guide_files=bool(config["PUBLIC_URL"]),
                           tls=(tls_cert, tls_key) if tls_cert and tls_key else None), nl=False)


@main.command("settings", help="List every setting with its current value and help.")
@with_app
def show_settings() -> None:
    """Print every setting as KETING_<NAME>=value, with its help below."""
    for setting in SETTINGS:
        click.echo(f"KETING_{setting.name}={current_app.config[setting.name]}")
        click.echo(f"    {setting.help}")


register_backup_commands(main)

if __name__ == "__main__":
    main()
