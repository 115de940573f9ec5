"""The database schema, only as named migrations applied in order.

Each migration runs in one transaction together with the row that records it,
so a failed migration leaves nothing half-applied. They run at server start
and from `keting migrate`; never edit one that has shipped, add a new one.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlite_utils import Database

from server.core.timestamps import format_utc, utc_now

Migration = Callable[[Database], None]
MIGRATIONS: list[tuple[str, Migration]] = []


def migration(func: Migration) -> Migration:
    """Register `func` as the next migration, named after the function."""
    MIGRATIONS.append((func.__name__, func))
    return func


def _run(db: Database, *statements: str) -> None:
    for statement in statements:
        db.execute(statement)


@migration
def m001_organisations(db: Database) -> None:
    """Create the organisations table: the tree of subdistrict, communities, villages and party branches."""
    _run(db, """
        CREATE TABLE organisations (
            id INTEGER PRIMARY KEY,
            parent_id INTEGER REFERENCES organisations(id) ON DELETE RESTRICT,
            name TEXT NOT NULL CHECK (length(trim(name)) > 0),
            kind TEXT NOT NULL CHECK (kind IN ('subdistrict', 'community', 'village', 'branch')),
            created_at TEXT NOT NULL,
            UNIQUE (parent_id, name)
        )""")


@migration
def m002_items(db: Database) -> None:
    """Create items, item_targets (the organisations an item targets) and item_subtitles.

    Times are UTC text 'YYYY-MM-DDTHH:MM:SSZ', so they sort and compare as text.
    Media paths are relative to MEDIA_ROOT so the folder can move.
    """
    _run(db, """
        CREATE TABLE items (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('video', 'article')),
            board_id TEXT NOT NULL,
            title TEXT NOT NULL CHECK (length(trim(title)) > 0),
            speaker TEXT NOT NULL DEFAULT '',
            description TEXT NOT NULL DEFAULT '',
            state TEXT NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'published', 'archived')),
            publish_at TEXT,
            expire_at TEXT,
            pinned INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),
            sort_order INTEGER NOT NULL DEFAULT 0,
            duration_s REAL CHECK (duration_s IS NULL OR duration_s > 0),
            thumbnail_path TEXT,
            hls_path TEXT,
            body_markdown TEXT,
            body_html TEXT,
            body_text TEXT,
            body_images TEXT,
            demo_key TEXT UNIQUE,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            CHECK (expire_at IS NULL OR publish_at IS NULL OR expire_at > publish_at),
            CHECK (state != 'published' OR kind != 'video' OR hls_path IS NOT NULL),
            CHECK (state != 'published' OR kind != 'article' OR body_html IS NOT NULL)
        )""",
        "CREATE INDEX items_board_listing ON items (board_id, state, pinned, sort_order)",
        "CREATE INDEX items_publish_at ON items (publish_at)",
        "CREATE INDEX items_expire_at ON items (expire_at)",
        """
        CREATE TABLE item_targets (
            item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
            -- RESTRICT: deleting an organisation must not turn a community's
            -- notice into one that every box sees.
            org_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE RESTRICT,
            PRIMARY KEY (item_id, org_id)
        ) WITHOUT ROWID""",
        "CREATE INDEX item_targets_org ON item_targets (org_id)",
        """
        CREATE TABLE item_subtitles (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
            lang TEXT NOT NULL,
            label TEXT NOT NULL,
            path TEXT NOT NULL,
            UNIQUE (item_id, lang)
        )""")


@migration
def m003_catalogue_version(db: Database) -> None:
    """A counter that every catalogue write moves, so the set-top API can answer
    a conditional GET without building the response (see server/catalogue/visibility.py).
    """
    _run(db, """
        CREATE TABLE catalogue_version (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            version INTEGER NOT NULL
        )""", "INSERT INTO catalogue_version (id, version) VALUES (1, 0)")
    for table in ("organisations", "items", "item_targets", "item_subtitles"):
        for event in ("INSERT", "UPDATE", "DELETE"):
            db.execute(f"""
                CREATE TRIGGER {table}_{event.lower()}_bumps_catalogue AFTER {event} ON {table}
                BEGIN UPDATE catalogue_version SET version = version + 1 WHERE id = 1; END""")


@migration
def m004_devices(db: Database) -> None:
    """One row per registration: a box that registers again (a factory reset)
    gets a new pending row and its old token keeps working until an
    administrator approves the new one.
    """
    _run(db, """
        CREATE TABLE devices (
            id INTEGER PRIMARY KEY,
            serial TEXT NOT NULL,
            name TEXT NOT NULL DEFAULT '',
            state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'revoked')),
            pairing_code TEXT,
            pairing_expires_at TEXT,
            device_code_hash TEXT UNIQUE,
            token_hash TEXT UNIQUE,
            org_id INTEGER REFERENCES organisations(id) ON DELETE SET NULL,
            client_version TEXT NOT NULL DEFAULT '',
            registered_at TEXT NOT NULL,
            approved_at TEXT,
            revoked_at TEXT,
            last_seen_at TEXT
        )""",
        "CREATE UNIQUE INDEX devices_pending_code ON devices (pairing_code) WHERE state = 'pending'",
        "CREATE INDEX devices_serial ON devices (serial)",
        """
        CREATE TABLE positions (
            device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
            item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
            position_s REAL NOT NULL CHECK (position_s >= 0),
            completed INTEGER NOT NULL DEFAULT 0 CHECK (completed IN (0, 1)),
            updated_at TEXT NOT NULL,
            PRIMARY KEY (device_id, item_id)
        ) WITHOUT ROWID""")


@migration
def m005_users(db: Database) -> None:
    """Editors and administrators. An editor with rows in user_boards may work
    only on those boards; with none, on every board.
    """
    _run(db, """
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL UNIQUE COLLATE NOCASE,
            display_name TEXT NOT NULL DEFAULT '',
            password_hash TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('admin', 'editor')),
            disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            last_login_at TEXT
        )""", """
        CREATE TABLE user_boards (
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            board_id TEXT NOT NULL,
            PRIMARY KEY (user_id, board_id)
        ) WITHOUT ROWID""")


@migration
def m006_transcode_jobs(db: Database) -> None:
    """One job per upload. The row is the truth; the scheduler's jobs are derived
    from it (job_runner.py). worker is "host:pid" of the process running it and
    heartbeat_at moves with progress, so a dead worker's job can be requeued.
    """
    _run(db, """
        CREATE TABLE transcode_jobs (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
            source_path TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
            progress REAL NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
            eta_s REAL,
            error_tail TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            worker TEXT,
            heartbeat_at TEXT,
            created_at TEXT NOT NULL,
            started_at TEXT,
            finished_at TEXT
        )""",
        "CREATE INDEX transcode_jobs_state ON transcode_jobs (state, id)",
        "CREATE INDEX transcode_jobs_item ON transcode_jobs (item_id)")


@migration
def m007_user_tokens(db: Database) -> None:
    """API tokens for editors' tools (uploads from scripts); only hashes are kept."""
    _run(db, """
        CREATE TABLE user_tokens (
            token_hash TEXT PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            label TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            last_used_at TEXT
        ) WITHOUT ROWID""")


@migration
def m008_uploads(db: Database) -> None:
    """Resumable uploads in progress (tus). The row goes when the upload is
    accepted (it becomes an item and a job), refused, cancelled or expired.
    """
    _run(db, """
        CREATE TABLE uploads (
            id TEXT PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            board_id TEXT NOT NULL,
            title TEXT NOT NULL,
            speaker TEXT NOT NULL DEFAULT '',
            description TEXT NOT NULL DEFAULT '',
            filename TEXT NOT NULL DEFAULT '',
            length INTEGER NOT NULL CHECK (length > 0),
            offset INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL
        ) WITHOUT ROWID""")


@migration
def m009_schedule(db: Database) -> None:
    """Broadcast schedule (schedule.py) and its expansion into each channel's
    timeline (playout_store.py). A recurring rule's occurrences are rows of
    schedule_entries, so conflicts, edits and the guide treat them alike.
    """
    _run(db, """
        CREATE TABLE schedule_rules (
            id INTEGER PRIMARY KEY,
            channel INTEGER NOT NULL,
            item_id INTEGER REFERENCES items(id) ON DELETE CASCADE,
            title TEXT NOT NULL,
            cron TEXT NOT NULL,
            timezone TEXT NOT NULL,
            first_date TEXT NOT NULL,
            last_date TEXT,
            important INTEGER NOT NULL DEFAULT 0 CHECK (important IN (0, 1)),
            expanded_until TEXT NOT NULL,
            created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
            created_at TEXT NOT NULL
        )""", """
        CREATE TABLE schedule_entries (
            id INTEGER PRIMARY KEY,
            channel INTEGER NOT NULL,
            item_id INTEGER REFERENCES items(id) ON DELETE CASCADE,
            live_url TEXT,
            rule_id INTEGER REFERENCES schedule_rules(id) ON DELETE SET NULL,
            title TEXT NOT NULL,
            start_at TEXT NOT NULL,
            end_at TEXT NOT NULL,
            important INTEGER NOT NULL DEFAULT 0 CHECK (important IN (0, 1)),
            state TEXT NOT NULL DEFAULT 'scheduled' CHECK (state IN ('scheduled', 'preempted')),
            preempted_by INTEGER REFERENCES schedule_entries(id) ON DELETE SET NULL,
            live_state TEXT,
            live_error TEXT,
            created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            CHECK (end_at > start_at),
            CHECK (item_id IS NOT NULL OR live_url IS NOT NULL),
            UNIQUE (rule_id, start_at)
        )""",
        "CREATE INDEX schedule_entries_channel_start ON schedule_entries (channel, start_at)",
        # Times in ms since the Unix epoch: a timeline is a sum of segment
        # durations in ms, and integer sums never drift.
        """
        CREATE TABLE playout (
            channel INTEGER NOT NULL,
            start_ms INTEGER NOT NULL,
            end_ms INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            disc INTEGER NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('programme', 'filler', 'slate')),
            media_path TEXT NOT NULL,
            first_segment INTEGER NOT NULL DEFAULT 0,
            segment_count INTEGER NOT NULL CHECK (segment_count > 0),
            title TEXT NOT NULL DEFAULT '',
            item_id INTEGER,
            entry_id INTEGER,
            filler_board INTEGER,
            filler_item INTEGER,
            PRIMARY KEY (channel, start_ms),
            CHECK (end_ms > start_ms)
        ) WITHOUT ROWID""", """
        CREATE TABLE channel_builds (
            channel INTEGER PRIMARY KEY,
            inputs TEXT NOT NULL,
            built_until_ms INTEGER NOT NULL,
            version INTEGER NOT NULL DEFAULT 1
        )""", """
        CREATE TABLE schedule_version (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            version INTEGER NOT NULL
        )""", "INSERT INTO schedule_version (id, version) VALUES (1, 0)")
    for event in ("INSERT", "UPDATE", "DELETE"):
        db.execute(f"""
            CREATE TRIGGER schedule_entries_{event.lower()}_bumps_version AFTER {event} ON schedule_entries
            BEGIN UPDATE schedule_version SET version = version + 1 WHERE id = 1; END""")


@migration
def m010_notices(db: Database) -> None:
    """Urgent notices an administrator publishes to every box or to one
    organisation (and those under it). Reminders of important broadcasts are
    not stored: they are derived from schedule_entries (notices.py).
    """
    _run(db, """
        CREATE TABLE notices (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL CHECK (length(trim(title)) > 0),
            body TEXT NOT NULL DEFAULT '',
            org_id INTEGER REFERENCES organisations(id) ON DELETE RESTRICT,
            starts_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
            created_at TEXT NOT NULL,
            CHECK (expires_at > starts_at)
        )""", "CREATE INDEX notices_expires ON notices (expires_at)")


@migration
def m011_live_events(db: Database) -> None:
    """Live events: each relay run of an entry (live_relay.py), the capture
    origin that numbers the relay's segments, the recording made afterwards.
    The playout table is copied into one that also allows 'live' rows.
    """
    _run(db,
         "ALTER TABLE schedule_entries ADD COLUMN live_epoch_ms INTEGER",
         "ALTER TABLE schedule_entries ADD COLUMN recording_item_id INTEGER REFERENCES items(id) ON DELETE SET NULL",
         """
        CREATE TABLE live_runs (
            entry_id INTEGER NOT NULL REFERENCES schedule_entries(id) ON DELETE CASCADE,
            run INTEGER NOT NULL,
            start_number INTEGER NOT NULL,
            worker TEXT NOT NULL,
            started_at_ms INTEGER NOT NULL,
            first_segment_at_ms INTEGER,
            ended_at_ms INTEGER,
            error TEXT,
            PRIMARY KEY (entry_id, run)
        ) WITHOUT ROWID""", """
        CREATE TABLE playout_v2 (
            channel INTEGER NOT NULL,
            start_ms INTEGER NOT NULL,
            end_ms INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            disc INTEGER NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('programme', 'filler', 'slate', 'live')),
            media_path TEXT NOT NULL,
            first_segment INTEGER NOT NULL DEFAULT 0,
            segment_count INTEGER NOT NULL CHECK (segment_count > 0),
            title TEXT NOT NULL DEFAULT '',
            item_id INTEGER,
            entry_id INTEGER,
            filler_board INTEGER,
            filler_item INTEGER,
            PRIMARY KEY (channel, start_ms),
            CHECK (end_ms > start_ms)
        ) WITHOUT ROWID""",
         "INSERT INTO playout_v2 SELECT * FROM playout",
         "DROP TABLE playout",
         "ALTER TABLE playout_v2 RENAME TO playout")



@migration
def m012_console(db: Database) -> None:
    """Failed console logins, by account and by address, for rate limits and
    lock-outs (login_guard.py); what each box reports it is playing.
    """
    _run(db, """
        CREATE TABLE login_failures (
            scope TEXT NOT NULL CHECK (scope IN ('account', 'address')),
            key TEXT NOT NULL COLLATE NOCASE,
            at TEXT NOT NULL
        )""", "CREATE INDEX login_failures_key ON login_failures (scope, key, at)",
         "ALTER TABLE devices ADD COLUMN playing TEXT",
         "ALTER TABLE devices ADD COLUMN playing_at TEXT")


@migration
def m013_finished_uploads(db: Database) -> None:
    """A finished upload keeps its row (until it expires) with what it became, so a client
    that reloads at the last byte learns the item and job instead of uploading again.
    """
    _run(db, "ALTER TABLE uploads ADD COLUMN item_id INTEGER REFERENCES items(id) ON DELETE SET NULL",
         "ALTER TABLE uploads ADD COLUMN job_id INTEGER")


@migration
def m014_registration_address(db: Database) -> None:
    """Where each registration came from, so one address cannot flood the pending list
    (and the six-digit code space) with made-up boxes.
    """
    _run(db, "ALTER TABLE devices ADD COLUMN registered_from TEXT",
         "CREATE INDEX devices_registered_from ON devices (registered_from, registered_at)")

@migration
def m015_playing_columns(db: Database) -> None:
    """What a box plays as typed columns (a channel number, or an item that may be deleted)
    instead of "channel:1" / "item:12" text.
    """
    _run(db, "ALTER TABLE devices ADD COLUMN playing_channel INTEGER",
         "ALTER TABLE devices ADD COLUMN playing_item_id INTEGER REFERENCES items(id) ON DELETE SET NULL",
         """UPDATE devices SET playing_channel = CAST(substr(playing, 9) AS INTEGER)
            WHERE playing GLOB 'channel:[0-9]*'""",
         """UPDATE devices SET playing_item_id = CAST(substr(playing, 6) AS INTEGER)
            WHERE playing GLOB 'item:[0-9]*' AND CAST(substr(playing, 6) AS INTEGER) IN (SELECT id FROM items)""",
         "ALTER TABLE devices DROP COLUMN playing")


@migration
def m016_all_boards_flag(db: Database) -> None:
    """Editing every board becomes an explicit flag (users.all_boards); an editor with no boards listed edits
    none. Editors who had no boards listed (which meant all) keep editing all."""
    _run(db, "ALTER TABLE users ADD COLUMN all_boards INTEGER NOT NULL DEFAULT 0 CHECK (all_boards IN (0, 1))",
         """UPDATE users SET all_boards = 1
            WHERE role = 'editor' AND id NOT IN (SELECT user_id FROM user_boards)""")


@migration
def m017_login_failures_by_pair(db: Database) -> None:
    """Failed logins are also counted per account and address ('pair'), so a stranger cannot lock an account
    for its owner. The table only holds the last day's failures, so it is made anew rather than copied."""
    _run(db, "DROP TABLE login_failures", """
        CREATE TABLE login_failures (
            scope TEXT NOT NULL CHECK (scope IN ('pair', 'account', 'address')),
            key TEXT NOT NULL COLLATE NOCASE,
            at TEXT NOT NULL
        )""", "CREATE INDEX login_failures_key ON login_failures (scope, key, at)")


@migration
def m018_revocable_credentials(db: Database) -> None:
    """Credentials that can be taken back: a session generation per account (a logout ends every copy of its
    cookie) and API tokens with an id to revoke them by and an expiry (tokens made before expire a year
    after they were made)."""
    _run(db, "ALTER TABLE users ADD COLUMN session_generation INTEGER NOT NULL DEFAULT 0", """
        CREATE TABLE user_tokens_v2 (
            id INTEGER PRIMARY KEY,
            token_hash TEXT NOT NULL UNIQUE,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            label TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            expires_at TEXT,
            last_used_at TEXT
        )""", """
        INSERT INTO user_tokens_v2 (token_hash, user_id, label, created_at, expires_at, last_used_at)
        SELECT token_hash, user_id, label, created_at,
               strftime('%Y-%m-%dT%H:%M:%SZ', created_at, '+365 days'), last_used_at FROM user_tokens""",
         "DROP TABLE user_tokens", "ALTER TABLE user_tokens_v2 RENAME TO user_tokens",
         "CREATE INDEX user_tokens_user ON user_tokens (user_id)")



@migration
def m019_leases(db: Database) -> None:
    """Leases: the one process of a site that runs a singleton task (the channel writer and live relays) holds
    a row here and renews it; another takes over when the row expires or its holder's process is gone."""
    _run(db, """
        CREATE TABLE leases (
            name TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            acquired_at REAL NOT NULL,
            expires_at REAL NOT NULL
        )""")


@migration
def m020_change_counters(db: Database) -> None:
    """Counters that writes move, per topic, so each process can answer box polls from memory until one moves
    (server/web/poll_cache.py): a box's credentials ('devices': only the columns authentication reads, not
    last-seen or what it plays) and notices. The catalogue and schedule have had theirs since m003/m012."""
    _run(db, "CREATE TABLE change_counters (topic TEXT PRIMARY KEY, version INTEGER NOT NULL)",
         "INSERT INTO change_counters (topic, version) VALUES ('devices', 0), ('notices', 0)")
    bump = "BEGIN UPDATE change_counters SET version = version + 1 WHERE topic = '{topic}'; END"
    for event in ("INSERT", "DELETE", "UPDATE OF state, org_id, token_hash"):
        name = event.split()[0].lower()
        db.execute(f"CREATE TRIGGER devices_{name}_bumps_counter AFTER {event} ON devices "
                   + bump.format(topic="devices"))
    for event in ("INSERT", "UPDATE", "DELETE"):
        db.execute(f"CREATE TRIGGER notices_{event.lower()}_bumps_counter AFTER {event} ON notices "
                   + bump.format(topic="notices"))

@migration
def m021_study_records(db: Database) -> None:
    """Study records (学习档案): party members in branches, households (a box and its members), the watch
    intervals boxes report, the pieces of them each member is credited for, and the credit per member, video or
    programme and local day that the reports are read from. Administrators may be limited to an organisation;
    schedule rules and entries can be study programmes (学习), which credit like a video."""
    # RESTRICT: deleting an administrator's organisation must not lift the limit (fail closed).
    _run(db, "ALTER TABLE users ADD COLUMN org_id INTEGER REFERENCES organisations(id) ON DELETE RESTRICT", """
        CREATE TABLE households (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL
        )""",
        "ALTER TABLE devices ADD COLUMN household_id INTEGER REFERENCES households(id) ON DELETE SET NULL",
        "CREATE INDEX devices_household ON devices (household_id)", """
        CREATE TABLE members (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
            branch_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE RESTRICT,
            phone TEXT NOT NULL DEFAULT '',
            member_no TEXT,
            active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
            household_id INTEGER REFERENCES households(id) ON DELETE SET NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        "CREATE UNIQUE INDEX members_number ON members (member_no) WHERE member_no IS NOT NULL",
        "CREATE INDEX members_branch ON members (branch_id, name)",
        "CREATE INDEX members_household ON members (household_id)", """
        CREATE TABLE watch_intervals (
            id INTEGER PRIMARY KEY,
            device_id INTEGER REFERENCES devices(id) ON DELETE SET NULL,
            key TEXT NOT NULL,
            item_id INTEGER,
            channel INTEGER,
            media_from REAL NOT NULL DEFAULT 0,
            media_to REAL NOT NULL DEFAULT 0,
            started_at REAL NOT NULL,
            ended_at REAL NOT NULL,
            members TEXT NOT NULL DEFAULT '',
            received_at TEXT NOT NULL,
            CHECK ((item_id IS NULL) != (channel IS NULL)),
            CHECK (ended_at >= started_at),
            UNIQUE (device_id, key)
        )""", """
        CREATE TABLE watch_pieces (
            member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
            subject TEXT NOT NULL,
            interval_id INTEGER NOT NULL REFERENCES watch_intervals(id) ON DELETE CASCADE,
            media_from REAL NOT NULL,
            media_to REAL NOT NULL,
            started_at REAL NOT NULL,
            ended_at REAL NOT NULL,
            PRIMARY KEY (member_id, subject, interval_id)
        ) WITHOUT ROWID""",
        "CREATE INDEX watch_pieces_interval ON watch_pieces (interval_id)",
        # A member's pieces by time: the daily flood check and a year's lessons read a range, not a history.
        "CREATE INDEX watch_pieces_member_time ON watch_pieces (member_id, started_at)", """
        CREATE TABLE study_subjects (
            subject TEXT PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('video', 'programme')),
            ref_id INTEGER NOT NULL,
            title TEXT NOT NULL,
            duration_s REAL NOT NULL CHECK (duration_s > 0)
        ) WITHOUT ROWID""", """
        CREATE TABLE study_credit (
            member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
            day TEXT NOT NULL,
            subject TEXT NOT NULL REFERENCES study_subjects(subject),
            seconds REAL NOT NULL CHECK (seconds >= 0),
            PRIMARY KEY (member_id, day, subject)
        ) WITHOUT ROWID""",
        "ALTER TABLE schedule_rules ADD COLUMN study INTEGER NOT NULL DEFAULT 0 CHECK (study IN (0, 1))",
        "ALTER TABLE schedule_entries ADD COLUMN study INTEGER NOT NULL DEFAULT 0 CHECK (study IN (0, 1))",
        "INSERT INTO change_counters (topic, version) VALUES ('households', 0)")
    bump = "BEGIN UPDATE change_counters SET version = version + 1 WHERE topic = 'households'; END"
    for event in ("INSERT", "DELETE", "UPDATE OF name, active, household_id"):
        db.execute(f"CREATE TRIGGER members_{event.split()[0].lower()}_bumps_households AFTER {event} ON members "
                   + bump)
    db.execute("CREATE TRIGGER devices_household_bumps_households AFTER UPDATE OF household_id ON devices " + bump)


@migration
def m022_report_exports(db: Database) -> None:
    """Every export of the participation report: who (the account's name, kept if it is renamed or disabled),
    which organisation (its name as it was; org_id NULL: the whole site, or an organisation since deleted, which
    only whole-site administrators then see) and period, which format, and when."""
    _run(db, """
        CREATE TABLE report_exports (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL,
            org_id INTEGER REFERENCES organisations(id) ON DELETE SET NULL,
            org_name TEXT NOT NULL,
            period_kind TEXT NOT NULL CHECK (period_kind IN ('month', 'quarter', 'year', 'custom')),
            period_value TEXT NOT NULL,
            format TEXT NOT NULL CHECK (format IN ('xlsx', 'csv')),
            table_name TEXT,
            created_at TEXT NOT NULL
        )""", "CREATE INDEX report_exports_org ON report_exports (org_id, id)")


@migration
def m023_checkin(db: Database) -> None:
    """Check-in (签到) at broadcasts: a rule or entry with `checkin_minutes` takes check-ins from its start until
    that many minutes after; `attendance` holds who attended each entry, from a box (OK on the remote, the
    members watching) or marked by an administrator for those who came in person (who marked it)."""
    limit = "CHECK (checkin_minutes IS NULL OR checkin_minutes BETWEEN 1 AND 240)"
    _run(db, f"ALTER TABLE schedule_rules ADD COLUMN checkin_minutes INTEGER {limit}",
         f"ALTER TABLE schedule_entries ADD COLUMN checkin_minutes INTEGER {limit}", """
        CREATE TABLE attendance (
            entry_id INTEGER NOT NULL REFERENCES schedule_entries(id) ON DELETE CASCADE,
            member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
            how TEXT NOT NULL CHECK (how IN ('tv', 'manual')),
            at TEXT NOT NULL,
            device_id INTEGER REFERENCES devices(id) ON DELETE SET NULL,
            marked_by TEXT,
            PRIMARY KEY (entry_id, member_id),
            CHECK ((how = 'manual') = (marked_by IS NOT NULL))
        ) WITHOUT ROWID""", "CREATE INDEX attendance_member ON attendance (member_id, entry_id)",
         # Who watched a programme: the intervals on its channel around its time, not the whole history; the
         # index holds their ends and members too, so the read (thousands of rows a week) stays in it.
         "CREATE INDEX watch_intervals_channel ON watch_intervals (channel, started_at, ended_at, members)"
         " WHERE channel IS NOT NULL")

@migration
def m024_study_summaries(db: Database) -> None:
    """Summaries of `study_credit` kept on write, so a year's report reads about 100,000 rows instead of four passes
    over the credit. `study_months`: a member's month (seconds, and those of each calendar week the month holds,
    cut to the month, for the weekly chart). `study_lessons`: a member's subject (first and last day credited,
    seconds, and the day the credit so far first reached 90 % of its length, study.FINISHED_SHARE). Both carry the
    member's branch and whether they are active (today's, as the report counts them) in front of the key, so a
    report seeks its branches' active members instead of testing every member (a lesson's first day too: those
    begun in a period need no other test). Triggers on `study_credit` work out the touched rows again from the
    credit itself in the writer's transaction (never by adding differences: a float sum added to and taken from
    drifts, and a month left with 1e-13 s would count as studied); a member's new branch or state moves their
    rows; a subject's new length works out its finished days again; a deleted member's rows go with them. Filled
    from the credit already there."""
    _run(db, """
        CREATE TABLE study_months (
            month TEXT NOT NULL,
            branch_id INTEGER NOT NULL,
            active INTEGER NOT NULL,
            member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
            seconds REAL NOT NULL,
            week1 REAL NOT NULL, week2 REAL NOT NULL, week3 REAL NOT NULL,
            week4 REAL NOT NULL, week5 REAL NOT NULL, week6 REAL NOT NULL,
            PRIMARY KEY (month, branch_id, active, member_id)
        ) WITHOUT ROWID""", "CREATE INDEX study_months_member ON study_months (member_id, month, seconds)", """
        CREATE TABLE study_lessons (
            subject TEXT NOT NULL,
            branch_id INTEGER NOT NULL,
            active INTEGER NOT NULL,
            first_day TEXT NOT NULL,
            member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
            last_day TEXT NOT NULL,
            finished_day TEXT,
            seconds REAL NOT NULL,
            PRIMARY KEY (subject, branch_id, active, first_day, member_id)
        ) WITHOUT ROWID""", "CREATE INDEX study_lessons_member ON study_lessons (member_id, subject)")
    # A day's week within its month (0-5): its day of the month and the weekday (Monday 0) of the month's first.
    week = ("(CAST(substr(day, 9, 2) AS INTEGER) + (CAST(strftime('%w', substr(day, 1, 8) || '01') AS INTEGER) + 6)"
            " % 7 - 1) / 7")
    weeks = ", ".join(f"sum(CASE WHEN week = {n} THEN seconds ELSE 0 END)" for n in range(6))
    month_columns = "month, branch_id, active, member_id, seconds, week1, week2, week3, week4, week5, week6"
    lesson_columns = "subject, branch_id, active, first_day, member_id, last_day, finished_day, seconds"
    finished = "min(CASE WHEN running >= 0.9 * {length} THEN day END)"  # 0.9: study.FINISHED_SHARE

    def month(row: str) -> str:
        member, name = f"{row}.member_id", f"substr({row}.day, 1, 7)"
        of_member = f"FROM members WHERE id = {member}"
        # The month's first weekday once per statement (a constant subquery), not once per row.
        week_of = (f"(CAST(substr(day, 9, 2) AS INTEGER) + (SELECT (CAST(strftime('%w', {name} || '-01') AS INTEGER)"
                   " + 6) % 7 - 1)) / 7")
        sums = ", ".join(f"sum(CASE WHEN {week_of} = {n} THEN seconds ELSE 0 END)" for n in range(6))
        return f"""DELETE FROM study_months WHERE member_id = {member} AND month = {name};
            INSERT INTO study_months ({month_columns})
            SELECT {name}, (SELECT branch_id {of_member}), (SELECT active {of_member}), {member}, sum(seconds), {sums}
            FROM study_credit WHERE member_id = {member} AND day BETWEEN {name} || '-01' AND {name} || '-31'
            HAVING count(*) > 0;"""

    def lesson(row: str) -> str:
        member, subject = f"{row}.member_id", f"{row}.subject"
        of_member = f"FROM members WHERE id = {member}"
        length = f"(SELECT duration_s FROM study_subjects WHERE subject = {subject})"
        return f"""DELETE FROM study_lessons WHERE member_id = {member} AND subject = {subject};
            INSERT INTO study_lessons ({lesson_columns})
            SELECT {subject}, (SELECT branch_id {of_member}), (SELECT active {of_member}), min(day), {member}, max(day),
                   {finished.format(length=length)}, sum(seconds)
            FROM (SELECT day, seconds, sum(seconds) OVER (ORDER BY day) AS running FROM study_credit
                  WHERE member_id = {member} AND subject = {subject})
            HAVING count(*) > 0;"""

    moved_month = "NEW.member_id != OLD.member_id OR substr(NEW.day, 1, 7) != substr(OLD.day, 1, 7)"
    moved_lesson = "NEW.member_id != OLD.member_id OR NEW.subject != OLD.subject"
    # A deleted member's summaries go with them (ON DELETE CASCADE): nothing to work out again.
    alive = "EXISTS (SELECT 1 FROM members WHERE id = OLD.member_id)"
    _run(db, f"CREATE TRIGGER study_credit_insert_summaries AFTER INSERT ON study_credit BEGIN {month('NEW')}"
             f" {lesson('NEW')} END",
         f"CREATE TRIGGER study_credit_delete_summaries AFTER DELETE ON study_credit WHEN {alive} BEGIN"
         f" {month('OLD')} {lesson('OLD')} END",
         f"CREATE TRIGGER study_credit_update_summaries AFTER UPDATE ON study_credit BEGIN {month('OLD')}"
         f" {lesson('OLD')} END",
         f"CREATE TRIGGER study_credit_moved_month AFTER UPDATE ON study_credit WHEN {moved_month} BEGIN"
         f" {month('NEW')} END",
         f"CREATE TRIGGER study_credit_moved_lesson AFTER UPDATE ON study_credit WHEN {moved_lesson} BEGIN"
         f" {lesson('NEW')} END", """
        CREATE TRIGGER members_moved_summaries AFTER UPDATE OF branch_id, active ON members
        WHEN NEW.branch_id != OLD.branch_id OR NEW.active != OLD.active BEGIN
            UPDATE study_months SET branch_id = NEW.branch_id, active = NEW.active WHERE member_id = NEW.id;
            UPDATE study_lessons SET branch_id = NEW.branch_id, active = NEW.active WHERE member_id = NEW.id;
        END""", f"""
        CREATE TRIGGER study_subjects_length_finishes_lessons AFTER UPDATE OF duration_s ON study_subjects
        WHEN NEW.duration_s IS NOT OLD.duration_s BEGIN
            UPDATE study_lessons SET finished_day = (
                SELECT {finished.format(length='NEW.duration_s')} FROM (
                    SELECT day, sum(seconds) OVER (ORDER BY day) AS running FROM study_credit c
                    WHERE c.member_id = study_lessons.member_id AND c.subject = NEW.subject))
            WHERE subject = NEW.subject;
        END""", f"""
        INSERT INTO study_months ({month_columns})
        SELECT substr(day, 1, 7), m.branch_id, m.active, m.id, sum(seconds), {weeks}
        FROM (SELECT member_id, day, seconds, {week} AS week FROM study_credit) JOIN members m ON m.id = member_id
        GROUP BY m.id, substr(day, 1, 7)""", f"""
        INSERT INTO study_lessons ({lesson_columns})
        SELECT subject, m.branch_id, m.active, min(day), m.id, max(day), {finished.format(length='s.duration_s')},
               sum(seconds)
        FROM (SELECT member_id, subject, day, seconds,
                     sum(seconds) OVER (PARTITION BY member_id, subject ORDER BY day) AS running FROM study_credit)
        JOIN study_subjects s USING (subject) JOIN members m ON m.id = member_id GROUP BY m.id, subject""")


@migration
def m025_quizzes(db: Database) -> None:
    """Quizzes (随堂测验) on videos: single-choice questions (2 to 4 options, one correct, an optional explanation),
    and each member's attempts with their answers. A question replaced or taken away by an editor is kept with
    `removed_at` (its answers stay readable); `revision` goes up when its text, options or correct answer change,
    so an answer given to an older revision is known as such."""
    _run(db, """
        CREATE TABLE quiz_questions (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
            position INTEGER NOT NULL CHECK (position BETWEEN 1 AND 20),
            text TEXT NOT NULL CHECK (length(text) BETWEEN 1 AND 200),
            options TEXT NOT NULL CHECK (json_valid(options) AND json_array_length(options) BETWEEN 2 AND 4),
            correct INTEGER NOT NULL CHECK (correct >= 0 AND correct < json_array_length(options)),
            explanation TEXT NOT NULL DEFAULT '' CHECK (length(explanation) <= 500),
            revision INTEGER NOT NULL DEFAULT 1 CHECK (revision >= 1),
            updated_at TEXT NOT NULL,
            removed_at TEXT
        )""",
        "CREATE UNIQUE INDEX quiz_questions_current ON quiz_questions (item_id, position) WHERE removed_at IS NULL",
        "CREATE INDEX quiz_questions_item ON quiz_questions (item_id)", """
        CREATE TABLE quiz_attempts (
            id INTEGER PRIMARY KEY,
            member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
            item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
            device_id INTEGER REFERENCES devices(id) ON DELETE SET NULL,
            score INTEGER NOT NULL,
            total INTEGER NOT NULL CHECK (total BETWEEN 1 AND 20),
            at TEXT NOT NULL,
            CHECK (score BETWEEN 0 AND total)
        )""",
        "CREATE INDEX quiz_attempts_member_item ON quiz_attempts (member_id, item_id)",
        "CREATE INDEX quiz_attempts_member_at ON quiz_attempts (member_id, at)", """
        CREATE TABLE quiz_answers (
            attempt_id INTEGER NOT NULL REFERENCES quiz_attempts(id) ON DELETE CASCADE,
            question_id INTEGER NOT NULL REFERENCES quiz_questions(id) ON DELETE CASCADE,
            choice INTEGER NOT NULL CHECK (choice BETWEEN 0 AND 3),
            correct INTEGER NOT NULL CHECK (correct IN (0, 1)),
            PRIMARY KEY (attempt_id, question_id)
        ) WITHOUT ROWID""", "CREATE INDEX quiz_answers_question ON quiz_answers (question_id)")


@migration
def m026_checkin_watch(db: Database) -> None:
    """What members watched of ended check-in programmes, kept so a report counts it in SQL (checkin_watch.py).
    `checkin_settled`: a programme worked out, with its channel and times as they were and its check-ins counted
    (all, and those marked); `checkin_watch`: the seconds of each member who watched it and had not checked in.
    Triggers take a programme's rows back when what they came from changes: an interval on its channel
    overlapping it written, changed or deleted, a check-in made or taken back, the programme itself changed or
    deleted."""
    _run(db, """
        CREATE TABLE checkin_settled (
            entry_id INTEGER PRIMARY KEY REFERENCES schedule_entries(id) ON DELETE CASCADE,
            channel INTEGER NOT NULL,
            start_s REAL NOT NULL,
            end_s REAL NOT NULL,
            duration_s REAL NOT NULL,
            checked_in INTEGER NOT NULL,
            manual INTEGER NOT NULL,
            settled_at TEXT NOT NULL
        )""", "CREATE INDEX checkin_settled_channel ON checkin_settled (channel, start_s)", """
        CREATE TABLE checkin_watch (
            entry_id INTEGER NOT NULL REFERENCES checkin_settled(entry_id) ON DELETE CASCADE,
            member_id INTEGER NOT NULL,
            seconds REAL NOT NULL,
            PRIMARY KEY (entry_id, member_id)
        ) WITHOUT ROWID""")
    unsettle = ("DELETE FROM checkin_settled WHERE channel = {row}.channel AND start_s < {row}.ended_at"
                " AND end_s > {row}.started_at;")
    db.execute("CREATE TRIGGER watch_interval_insert_unsettles AFTER INSERT ON watch_intervals"
               f" WHEN NEW.channel IS NOT NULL BEGIN {unsettle.format(row='NEW')} END")
    # A box left on the channel after the programme keeps growing its interval: only a change to what falls
    # inside the programme (its part of the interval, its members, its channel) takes the programme back.
    overlaps = "(channel = {row}.channel AND start_s < {row}.ended_at AND end_s > {row}.started_at)"
    db.execute("CREATE TRIGGER watch_interval_update_unsettles AFTER UPDATE OF channel, started_at, ended_at, members"
               " ON watch_intervals WHEN OLD.channel IS NOT NULL OR NEW.channel IS NOT NULL BEGIN"
               f" DELETE FROM checkin_settled WHERE ({overlaps.format(row='OLD')} OR {overlaps.format(row='NEW')})"
               " AND NOT (OLD.channel IS NEW.channel AND OLD.members IS NEW.members"
               # checkin_watch.LONGEST_SITTING: an interval begun a day before is not looked at
               " AND (OLD.started_at > start_s - 86400) IS (NEW.started_at > start_s - 86400)"
               " AND max(OLD.started_at, start_s) = max(NEW.started_at, start_s)"
               " AND min(OLD.ended_at, end_s) = min(NEW.ended_at, end_s)); END")
    db.execute("CREATE TRIGGER watch_interval_delete_unsettles AFTER DELETE ON watch_intervals"
               f" WHEN OLD.channel IS NOT NULL BEGIN {unsettle.format(row='OLD')} END")
    for event, row in (("INSERT", "NEW"), ("DELETE", "OLD")):
        db.execute(f"CREATE TRIGGER attendance_{event.lower()}_unsettles AFTER {event} ON attendance"
                   f" BEGIN DELETE FROM checkin_settled WHERE entry_id = {row}.entry_id; END")
    db.execute("CREATE TRIGGER attendance_update_unsettles AFTER UPDATE ON attendance BEGIN"
               " DELETE FROM checkin_settled WHERE entry_id IN (OLD.entry_id, NEW.entry_id); END")
    db.execute("CREATE TRIGGER schedule_entry_update_unsettles AFTER UPDATE OF channel, start_at, end_at, state,"
               " checkin_minutes ON schedule_entries BEGIN DELETE FROM checkin_settled WHERE entry_id = OLD.id; END")


@migration
def m027_study_rollups(db: Database) -> None:
    """Two rollups of `study_months`, so a year's report of a whole organisation reads hundreds of rows where it
    read a hundred thousand: `study_branch_months`, a branch's active (or inactive) members in a month (how many
    studied, their seconds, and those of each week, as in study_months), for the chart of the months and weeks;
    `study_years`, a member's seconds in a year, for a calendar year's report. Triggers on `study_months` keep
    them in the writer's transaction. A member's year is worked out again from their months (never by adding
    differences, as m024: "studied" is seconds > 0). A branch's month is added to and taken from, a row of
    study_months at a time: it is a sum of up to hundreds of members, and working it out again on every write
    would cost each box's report that many rows; its count of members is exact (an integer: the row goes when
    it reaches 0), its seconds carry at most rounding (1e-12 of them) for the chart, and a sum left below a
    millisecond by taking members away is 0. A deleted member's year
    goes with them. Filled from the months already there."""
    weeks = [f"week{n}" for n in range(1, 7)]
    _run(db, f"""
        CREATE TABLE study_branch_months (
            month TEXT NOT NULL,
            branch_id INTEGER NOT NULL,
            active INTEGER NOT NULL,
            members INTEGER NOT NULL CHECK (members > 0),
            seconds REAL NOT NULL,
            {", ".join(f"{week} REAL NOT NULL" for week in weeks)},
            PRIMARY KEY (month, branch_id, active)
        ) WITHOUT ROWID""", """
        CREATE TABLE study_years (
            member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
            year TEXT NOT NULL,
            seconds REAL NOT NULL,
            PRIMARY KEY (member_id, year)
        ) WITHOUT ROWID""")
    sums = ["seconds", *weeks]

    def add(row: str) -> str:
        return f"""INSERT INTO study_branch_months (month, branch_id, active, members, {", ".join(sums)})
            VALUES ({row}.month, {row}.branch_id, {row}.active, 1, {", ".join(f"{row}.{c}" for c in sums)})
            ON CONFLICT (month, branch_id, active) DO UPDATE SET members = members + 1,
                {", ".join(f"{c} = {c} + excluded.{c}" for c in sums)};"""

    def take(row: str) -> str:
        key = f"month = {row}.month AND branch_id = {row}.branch_id AND active = {row}.active"
        # What is left after taking a member away is 0 when it should be: rounding below a millisecond is dropped.
        left = "CASE WHEN abs({c} - {row}.{c}) < 0.001 THEN 0.0 ELSE {c} - {row}.{c} END"
        return f"""DELETE FROM study_branch_months WHERE {key} AND members = 1;
            UPDATE study_branch_months SET members = members - 1,
                {", ".join(f"{c} = {left.format(c=c, row=row)}" for c in sums)} WHERE {key};"""

    def year(row: str) -> str:
        key = f"member_id = {row}.member_id AND year = substr({row}.month, 1, 4)"
        return f"""DELETE FROM study_years WHERE {key};
            INSERT INTO study_years (member_id, year, seconds)
            SELECT {row}.member_id, substr({row}.month, 1, 4), sum(seconds) FROM study_months
            WHERE member_id = {row}.member_id AND month BETWEEN substr({row}.month, 1, 4) || '-01'
                                                  AND substr({row}.month, 1, 4) || '-12'
            HAVING count(*) > 0;"""

    # A deleted member's year goes with them (ON DELETE CASCADE): not worked out again.
    alive = "EXISTS (SELECT 1 FROM members WHERE id = OLD.member_id)"
    _run(db, f"CREATE TRIGGER study_months_insert_rollups AFTER INSERT ON study_months BEGIN {add('NEW')}"
             f" {year('NEW')} END",
         f"CREATE TRIGGER study_months_delete_rollups AFTER DELETE ON study_months BEGIN {take('OLD')} END",
         f"CREATE TRIGGER study_months_delete_year AFTER DELETE ON study_months WHEN {alive} BEGIN {year('OLD')} END",
         f"CREATE TRIGGER study_months_update_rollups AFTER UPDATE ON study_months BEGIN {take('OLD')} {add('NEW')}"
         f" {year('OLD')} {year('NEW')} END", f"""
        INSERT INTO study_branch_months (month, branch_id, active, members, {", ".join(sums)})
        SELECT month, branch_id, active, count(*), {", ".join(f"sum({c})" for c in sums)} FROM study_months
        GROUP BY month, branch_id, active""", """
        INSERT INTO study_years (member_id, year, seconds)
        SELECT member_id, substr(month, 1, 4), sum(seconds) FROM study_months
        GROUP BY member_id, substr(month, 1, 4)""")


@migration
def m028_favourites(db: Database) -> None:
    """Favourites (收藏) on the TV's Home: items a member keeps to find again, or a box's own when nobody of a
    household is known. Exactly one owner per row; an item, member or box deleted takes its rows along."""
    _run(db, """
        CREATE TABLE favourites (
            id INTEGER PRIMARY KEY,
            member_id INTEGER REFERENCES members(id) ON DELETE CASCADE,
            device_id INTEGER REFERENCES devices(id) ON DELETE CASCADE,
            item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
            added_at TEXT NOT NULL,
            CHECK ((member_id IS NULL) != (device_id IS NULL))
        )""",
        "CREATE UNIQUE INDEX favourites_member ON favourites (member_id, item_id) WHERE member_id IS NOT NULL",
        "CREATE UNIQUE INDEX favourites_device ON favourites (device_id, item_id) WHERE device_id IS NOT NULL",
        "CREATE INDEX favourites_item ON favourites (item_id)")


@migration
def m029_readings(db: Database) -> None:
    """Articles read aloud (朗读): the synthetic reading made when an article is published, kept with the
    hash of the text it reads (a changed text is read again; a reading of another text is never handed
    out), the sentence marks the TV turns pages by, and who is making it now (one maker per site); an
    editor's recorded reading (a ladder, like a lecture's), which boxes get instead."""
    _run(db, """
        CREATE TABLE readings (
            item_id INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
            text_hash TEXT,
            path TEXT,
            duration_s REAL,
            marks TEXT,
            made_at TEXT,
            making_hash TEXT,
            worker TEXT,
            claimed_at TEXT,
            failed_hash TEXT,
            error TEXT,
            recorded_path TEXT,
            recorded_duration_s REAL,
            recorded_at TEXT,
            recorded_job INTEGER,
            CHECK ((path IS NULL) = (text_hash IS NULL)),
            CHECK ((recorded_path IS NULL) = (recorded_duration_s IS NULL))
        )""",
        # An editor's recorded reading comes through the upload pipeline: the upload names its article, and
        # its transcode job writes the reading's ladder (audio with a card) instead of the item's.
        "ALTER TABLE uploads ADD COLUMN reading_for INTEGER REFERENCES items(id) ON DELETE CASCADE",
        "ALTER TABLE transcode_jobs ADD COLUMN reading INTEGER NOT NULL DEFAULT 0 CHECK (reading IN (0, 1))")


def applied_migrations(db: Database) -> list[str]:
    """Names of the migrations already applied, in the order they ran."""
    if not db["_migrations"].exists():
        return []
    return [row[0] for row in db.execute("SELECT name FROM _migrations ORDER BY rowid")]


def migrate(db: Database) -> list[str]:
    """Apply every pending migration in order; return the names applied now.

    BEGIN IMMEDIATE takes the write lock before reading the bookkeeping, so two
    processes starting together apply each migration exactly once.
    """
    db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    applied_now: list[str] = []
    for name, func in MIGRATIONS:
        db.execute("BEGIN IMMEDIATE")
        try:
            if db.execute("SELECT 1 FROM _migrations WHERE name = ?", [name]).fetchone():
                db.execute("ROLLBACK")
                continue
            func(db)
            db.execute("INSERT INTO _migrations (name, applied_at) VALUES (?, ?)", [name, format_utc(utc_now())])
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        applied_now.append(name)
    return applied_now
