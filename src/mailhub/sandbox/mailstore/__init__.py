"""Mailboxes and messages of the sandbox: UIDVALIDITY, UIDs, flags, MODSEQ, SPECIAL-USE folders, delivery."""

from mailhub.sandbox.mailstore.model import (
    FlagChange,
    Mailbox,
    MailboxExists,
    MailboxStatus,
    MailStoreError,
    MessageRow,
    NoSuchMailbox,
)
from mailhub.sandbox.mailstore.notifier import MailboxWatch
from mailhub.sandbox.mailstore.store import MailStore, mailbox_name

__all__ = [
    "FlagChange",
    "MailStore",
    "MailStoreError",
    "Mailbox",
    "MailboxExists",
    "MailboxStatus",
    "MailboxWatch",
    "MessageRow",
    "NoSuchMailbox",
    "mailbox_name",
]
