"""The mail store's tables in the sandbox's one SQLite file.

Bodies live in ``mail_blob`` apart from the per-mailbox rows so COPY shares one body, and the message rows
(``WITHOUT ROWID``, keyed by mailbox and UID) stay small: listing 20,000 UIDs and flags reads few pages, and a
UID range with bodies is one index walk plus one lookup per body.
"""

DDL = """
CREATE TABLE IF NOT EXISTS mail_mailbox (
    id INTEGER PRIMARY KEY,
    address TEXT NOT NULL,
    name TEXT NOT NULL,
    special_use TEXT,
    uidvalidity INTEGER NOT NULL,
    uidnext INTEGER NOT NULL DEFAULT 1,
    highest_modseq INTEGER NOT NULL DEFAULT 1,
    subscribed INTEGER NOT NULL DEFAULT 1,
    UNIQUE (address, name)
);
CREATE TABLE IF NOT EXISTS mail_blob (
    id INTEGER PRIMARY KEY,
    raw BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS mail_message (
    mailbox_id INTEGER NOT NULL REFERENCES mail_mailbox(id) ON DELETE CASCADE,
    uid INTEGER NOT NULL,
    blob_id INTEGER NOT NULL REFERENCES mail_blob(id),
    flags TEXT NOT NULL DEFAULT '',
    internal_date REAL NOT NULL,
    size INTEGER NOT NULL,
    header_size INTEGER NOT NULL,
    modseq INTEGER NOT NULL,
    PRIMARY KEY (mailbox_id, uid)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS mail_message_modseq ON mail_message (mailbox_id, modseq);
CREATE INDEX IF NOT EXISTS mail_message_blob ON mail_message (blob_id);
"""
