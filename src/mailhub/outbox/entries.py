"""The outbox as callers see it: states, a message's record, the error type, and the event callable."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from mailhub.store.outbox_models import OutboxAttemptRow, OutboxMessageRow

Publish = Callable[[str, "int | None", dict[str, Any]], None]


def no_publish(_kind: str, _account_id: int | None, _data: dict[str, Any]) -> None:
    """The default when no supervisor listens: events go nowhere."""


class OutboxState(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    HELD = "held"  # the account is paused (已暂停): kept, not lost
    CANCELLED = "cancelled"

    def label(self, lang: str) -> str:
        return _LABELS[self][0 if lang == "zh" else 1]


_LABELS = {
    OutboxState.QUEUED: ("排队中", "queued"),
    OutboxState.SENDING: ("发送中", "sending"),
    OutboxState.SENT: ("已发送", "sent"),
    OutboxState.FAILED: ("发送失败", "failed"),
    OutboxState.HELD: ("已暂停（保留）", "held (account paused)"),
    OutboxState.CANCELLED: ("已取消", "cancelled"),
}


class OutboxError(Exception):
    """A request the outbox refuses, with a stable code and both languages."""

    def __init__(self, code: str, en: str, zh: str) -> None:
        super().__init__(en)
        self.code = code
        self.messages = {"en": en, "zh": zh}

    def message(self, lang: str) -> str:
        return self.messages.get(lang, self.messages["en"])


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything the outbox stores is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Attempt:
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    phase: str | None
    reply: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "outcome": self.outcome,
            "phase": self.phase,
            "reply": self.reply,
        }


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One message in the outbox and what became of it."""

    id: int
    account_id: int | None
    from_address: str
    message_id: str
    recipients: tuple[str, ...]
    subject: str
    size: int
    state: OutboxState
    not_before: datetime | None
    attempts: int
    sent_at: datetime | None
    sent_copy: str | None
    last_reply: str | None
    diagnosis_code: str | None
    diagnosis: dict[str, Any] | None
    batch_id: str | None
    created_at: datetime
    history: tuple[Attempt, ...] = field(default=())

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        diagnosis = (self.diagnosis or {}).get(lang) if self.diagnosis else None
        return {
            "id": self.id,
            "account_id": self.account_id,
            "from": self.from_address,
            "message_id": self.message_id,
            "recipients": list(self.recipients),
            "subject": self.subject,
            "size": self.size,
            "state": self.state.value,
            "state_label": self.state.label(lang),
            "not_before": self.not_before.isoformat() if self.not_before else None,
            "attempts": self.attempts,
            "sent_at": self.sent_at.isoformat() if self.sent_at else None,
            "sent_copy": self.sent_copy,
            "last_reply": self.last_reply,
            "diagnosis_code": self.diagnosis_code,
            "diagnosis": diagnosis,
            "batch_id": self.batch_id,
            "created_at": self.created_at.isoformat(),
            "history": [attempt.to_dict() for attempt in self.history],
        }


def entry_of(row: OutboxMessageRow, *, with_history: bool = False) -> OutboxEntry:
    history: tuple[Attempt, ...] = ()
    if with_history:
        history = tuple(_attempt_of(a) for a in row.attempt_rows)
    return OutboxEntry(
        id=row.id,
        account_id=row.account_id,
        from_address=row.from_address,
        message_id=row.message_id,
        recipients=tuple(row.recipients),
        subject=row.subject,
        size=row.size,
        state=OutboxState(row.state),
        not_before=as_utc(row.not_before),
        attempts=row.attempts,
        sent_at=as_utc(row.sent_at),
        sent_copy=row.sent_copy,
        last_reply=row.last_reply,
        diagnosis_code=row.diagnosis_code,
        diagnosis=row.diagnosis,
        batch_id=row.batch_id,
        created_at=as_utc(row.created_at) or row.created_at,
        history=history,
    )


def _attempt_of(row: OutboxAttemptRow) -> Attempt:
    return Attempt(as_utc(row.started_at) or row.started_at, as_utc(row.finished_at), row.outcome, row.phase, row.reply)
