"""SMS verification codes for creating a client security password, and the outbox the sandbox "phone" reads.

A code is 6 random digits, valid 5 minutes, burned after 5 wrong tries; a new request replaces the
pending one. Only a salted digest of the pending code is kept for checking; the outbox row keeps the text
as delivered (that is the sandbox's phone: a test or a person reads the code there).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from mailhub.sandbox import db
from mailhub.sandbox.security.errors import CodeBurned, CodeError, CodeExpired, NoCodeRequested, WrongCode

CODE_TTL = 5 * 60  # seconds
CODE_TRIES = 5

DDL = """
CREATE TABLE IF NOT EXISTS security_sms_codes (
    user_id INTEGER PRIMARY KEY REFERENCES directory_users(id),
    salt BLOB NOT NULL,
    digest BLOB NOT NULL,
    expires_at REAL NOT NULL,
    wrong_tries INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS sms (
    id INTEGER PRIMARY KEY,
    address TEXT NOT NULL,
    phone TEXT NOT NULL,
    text TEXT NOT NULL,
    code TEXT NOT NULL,
    sent_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sms_address ON sms(address, id);
"""

# As the real service words it (zh-CN), followed by the same in English for non-Chinese readers.
TEXT_TEMPLATE = (
    "【阿里邮箱】验证码 {code}，您正在生成三方客户端安全密码，5分钟内有效。"
    "如非本人操作，请忽略本短信，切勿将验证码告诉他人。"
    " [Alibaba Mail] Code {code}: you are generating a third-party client security password;"
    " valid for 5 minutes. Never share this code."
)


class SmsSender(Protocol):
    """Delivers a text to a phone. The sandbox default only keeps the outbox; a test may plug its own."""

    def send(self, phone: str, text: str) -> None: ...


class OutboxSms:
    """The default sender: the outbox table (written for every code) *is* the sandbox phone, so there is
    nothing more to deliver. Read it with ``Security.sms_messages``."""

    def send(self, phone: str, text: str) -> None:
        return None


@dataclass(frozen=True, slots=True)
class SmsMessage:
    address: str
    phone: str
    text: str
    code: str
    sent_at: datetime


def mask_phone(phone: str) -> str:
    """``13800138000`` -> ``138****8000``, as the real console shows where the code went."""
    digits = phone.replace(" ", "").replace("-", "")
    if len(digits) <= 7:
        return digits[:1] + "*" * (len(digits) - 2) + digits[-1:]
    return digits[:-8] + "****" + digits[-4:] if len(digits) > 11 else digits[:3] + "****" + digits[-4:]


def _digest(salt: bytes, code: str) -> bytes:
    return hmac.new(salt, code.encode(), hashlib.sha256).digest()


class SmsCodes:
    """Issues and checks the one pending code per user."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        db.ensure_schema(conn, DDL)

    def issue(self, user_id: int, address: str, phone: str, now: float) -> tuple[str, str]:
        """Create a new code (replacing any pending one) and put its text in the outbox: ``(code, text)``."""
        code = f"{secrets.randbelow(10**6):06d}"
        salt = secrets.token_bytes(16)
        text = TEXT_TEMPLATE.format(code=code)
        with db.Transaction(self._conn) as conn:
            conn.execute(
                "INSERT OR REPLACE INTO security_sms_codes (user_id, salt, digest, expires_at, wrong_tries) "
                "VALUES (?, ?, ?, ?, 0)",
                (user_id, salt, _digest(salt, code), now + CODE_TTL),
            )
            conn.execute(
                "INSERT INTO sms (address, phone, text, code, sent_at) VALUES (?, ?, ?, ?, ?)",
                (address, phone, text, code, now),
            )
        return code, text

    def consume(self, user_id: int, code: str, now: float) -> None:
        """Accept the pending ``code`` once, or raise a ``CodeError``. The try is counted (and the code
        burned or expired) in the database before the error is raised, so a rollback cannot undo it."""
        with db.Transaction(self._conn) as conn:
            error = self._check(conn, user_id, code, now)
        if error is not None:
            raise error

    @staticmethod
    def _check(conn: sqlite3.Connection, user_id: int, code: str, now: float) -> CodeError | None:
        row = conn.execute(
            "SELECT salt, digest, expires_at, wrong_tries FROM security_sms_codes WHERE user_id = ?", (user_id,)
        ).fetchone()
        if row is None:
            return NoCodeRequested()
        if now > row["expires_at"]:
            conn.execute("DELETE FROM security_sms_codes WHERE user_id = ?", (user_id,))
            return CodeExpired()
        if hmac.compare_digest(_digest(row["salt"], code.strip()), row["digest"]):
            conn.execute("DELETE FROM security_sms_codes WHERE user_id = ?", (user_id,))
            return None
        tries = row["wrong_tries"] + 1
        if tries >= CODE_TRIES:
            conn.execute("DELETE FROM security_sms_codes WHERE user_id = ?", (user_id,))
            return CodeBurned()
        conn.execute("UPDATE security_sms_codes SET wrong_tries = ? WHERE user_id = ?", (tries, user_id))
        return WrongCode(CODE_TRIES - tries)

    def messages(self, address: str | None = None) -> list[SmsMessage]:
        """The outbox, oldest first; only ``address``'s messages when given."""
        if address is None:
            rows = self._conn.execute("SELECT * FROM sms ORDER BY id")
        else:
            rows = self._conn.execute("SELECT * FROM sms WHERE address = ? ORDER BY id", (address.lower(),))
        return [
            SmsMessage(r["address"], r["phone"], r["text"], r["code"], datetime.fromtimestamp(r["sent_at"], UTC))
            for r in rows
        ]
