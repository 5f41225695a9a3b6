"""Sending mail out durably: persist first (with its Message-ID), then send through the account's reused
SMTP session within its rate and quota, retry what is temporary, diagnose what is not, copy to Sent, and
after a crash look in Sent before ever sending again."""

from mailhub.outbox.compose import Attachment, ComposedMessage, ComposeError, Draft, compose
from mailhub.outbox.enqueue import enqueue, enqueue_many
from mailhub.outbox.entries import OutboxEntry, OutboxError, OutboxState, Publish
from mailhub.outbox.limits import SendingLimit, limit_for, reset_limits, set_limits
from mailhub.outbox.queue import (
    cancel,
    cancel_account,
    cancel_orphans,
    get_entry,
    hold_account,
    list_entries,
    release_account,
    retry,
)
from mailhub.outbox.runner import run_outbox
from mailhub.outbox.worker import OutboxWorker, WorkerOptions, WorkerReport

__all__ = [
    "Attachment",
    "ComposeError",
    "ComposedMessage",
    "Draft",
    "OutboxEntry",
    "OutboxError",
    "OutboxState",
    "OutboxWorker",
    "Publish",
    "SendingLimit",
    "WorkerOptions",
    "WorkerReport",
    "cancel",
    "cancel_account",
    "cancel_orphans",
    "compose",
    "enqueue",
    "enqueue_many",
    "get_entry",
    "hold_account",
    "limit_for",
    "list_entries",
    "release_account",
    "reset_limits",
    "retry",
    "run_outbox",
    "set_limits",
]
