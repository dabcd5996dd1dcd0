"""The conversation log: the only module that writes conversation data.

One SQLite file, `<data_dir>/signpost.db`, in WAL mode. What is stored per turn: time,
channel, a pseudonymous conversation reference, the message after `bot.redact.redact`,
how the bot answered (kind, confident intent, score, alternatives, safety intent, services
shown), the young person's feedback and the moderators' review status. Never names,
usernames, raw user ids, phone numbers or locations.

Failure model: a young person's reply must never wait on or break because of this file.
Every public `Store` method catches database and disk errors, logs a warning (never the
message text or a raw id) and returns None / False / [] / 0. A locked database gives up
after a short busy timeout; a broken connection (disk full, read-only, folder gone) is
closed and reopened on a later call, so writing resumes when the disk recovers.

    sqlite3.Error, OSError   caught inside every Store method, never raised to the channel
    StoreError               raised only by the moderators' helpers (connect_existing):
                             the database is missing or newer than this code

The review tools (bot.review) read with their own connection and write review marks and
audit entries through the plain functions in bot.store.sql; they never need the key
(bot.secretkey), only the database.

    bot.store.schema   migrations, timestamps, opening a connection
    bot.store.sql      the SQL as plain functions (turns, erase, purge, checkpoint, review)
    bot.store.log      Store: what a channel calls; never raises
    bot.store.aio      AsyncStore: a Store on its one writer thread, for asyncio code
    bot.store.queries  reading the log for the review and staff tools
    bot.store.console  the web console's accounts, sessions and safety reviews

Also kept here, because it is SQL: the inbox, where a channel keeps each accepted update
(sealed with bot.seal) until it has been answered, so a crash loses no message; and the
retried WAL checkpoint after an erase, so erased text does not linger in `signpost.db-wal`.
Delayed /forget requests are written down in bot.forget_journal.
"""

from bot.secretkey import SECRET_NAME, parse_secret
from bot.store.aio import AsyncStore
from bot.store.console import (
    add_user,
    count_users,
    create_session,
    disable_user,
    end_session,
    finish_setup,
    get_user,
    list_users,
    record_login,
    record_login_failure,
    reset_user,
    safety_reviews,
    save_safety_review,
    touch_session,
    unmatched_count,
    unreviewed_alerts,
    user_for_setup,
)
from bot.store.log import Store
from bot.store.queries import recent_texts, select_audit, select_turn, select_turns
from bot.store.schema import (
    BUSY_TIMEOUT,
    DB_NAME,
    FORGET_FAILED,
    MIGRATIONS,
    SCHEMA_VERSION,
    StoreError,
    migrate,
    parse_stamp,
    schema_version,
    stamp,
)
from bot.store.sql import (
    HIDE_WINDOW,
    add_audit,
    checkpoint,
    connect_existing,
    erase_conversation,
    insert_turn,
    mark_turns,
    purge_old,
    turn_row,
)

__all__ = [  # noqa: RUF022 (grouped: the log first, then the console)
    "BUSY_TIMEOUT", "DB_NAME", "FORGET_FAILED", "HIDE_WINDOW", "MIGRATIONS", "SCHEMA_VERSION",
    "SECRET_NAME", "AsyncStore", "Store", "StoreError", "add_audit", "checkpoint",
    "connect_existing", "erase_conversation", "insert_turn", "mark_turns", "migrate",
    "parse_secret", "parse_stamp", "purge_old", "recent_texts", "schema_version",
    "select_audit", "select_turn", "select_turns", "stamp", "turn_row",
    # the web console (bot.store.console)
    "add_user", "count_users", "create_session", "disable_user", "end_session",
    "finish_setup", "get_user", "list_users", "record_login", "record_login_failure",
    "reset_user", "safety_reviews", "save_safety_review", "touch_session", "unmatched_count",
    "unreviewed_alerts", "user_for_setup",
]
