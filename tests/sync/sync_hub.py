"""Shared set-up for the sync tests: a hub (store + vault) with one account bound to a real server.

``DovecotHub`` binds a fresh Dovecot user through ``AccountService.add`` (real verification over TLS, the
certificate's host name pointed at loopback by MAILHUB_RESOLVE); ``server_state`` reads a folder back with
imaplib, so tests compare the store with what the server really holds.
"""

from __future__ import annotations

import asyncio
import imaplib
import itertools
import re
from datetime import UTC, datetime
from email.header import Header
from email.utils import format_datetime, make_msgid
from pathlib import Path

from sqlalchemy import select
from tests.peers.dovecot import HOSTNAME, DovecotServer

from mailhub.accounts.models import ServerOverrides
from mailhub.accounts.service import AccountService
from mailhub.accounts.vault import load_vault
from mailhub.store import Store, open_store
from mailhub.store.mail_models import FolderRow, MessageRow

_users = itertools.count(1)
PASSWORD = "Secret-pass-1"
POOL = 40  # users made before the tests: Dovecot may miss a users-file change within the same second


def add_users(dovecot: DovecotServer) -> None:
    """Make the pool of users the hubs take from (call once, when the server starts)."""
    for n in range(1, POOL + 1):
        dovecot.add_user(f"user{n}@dovecot.test", PASSWORD)


def make_message(subject: str, *, sender: str = "张三 <zhangsan@corp.cn>", body: str = "你好，这是正文。") -> bytes:
    """A small UTF-8 message with an encoded Chinese subject and sender name."""
    name, _, address = sender.partition(" <")
    return (
        f"From: {Header(name, 'utf-8').encode()} <{address}\r\n"
        f"To: reader@dovecot.test\r\nSubject: {Header(subject, 'utf-8').encode()}\r\n"
        f"Date: {format_datetime(datetime.now(UTC))}\r\nMessage-ID: {make_msgid(domain='corp.cn')}\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        f"{body}\r\n"
    ).encode()


class DovecotHub:
    """A hub home with its own store and vault, and one account bound to a fresh Dovecot user."""

    def __init__(self, dovecot: DovecotServer, home: Path) -> None:
        self.dovecot = dovecot
        self.home = home
        self.address = f"user{next(_users)}@dovecot.test"
        self.password = PASSWORD
        self.store: Store = open_store(f"sqlite:///{home / 'mailhub.db'}")
        self.vault = load_vault(home, None)
        self.service = AccountService(self.store, self.vault)
        self.account_id = 0

    async def bind(self, sync_days: int | None = None, imap_port: int | None = None) -> int:
        overrides = ServerOverrides(
            imap_host=HOSTNAME,
            imap_port=imap_port or self.dovecot.ports["imaps"],
            imap_tls="ssl",
            smtp_host=HOSTNAME,
            smtp_port=self.dovecot.ports["smtps"],
            smtp_tls="ssl",
        )
        result = await self.service.add(self.address, self.password, overrides=overrides, sync_days=sync_days)
        assert result.saved and result.ok, result.diagnosis
        assert result.account is not None
        self.account_id = result.account.id
        return self.account_id

    def imap(self) -> imaplib.IMAP4_SSL:
        client = imaplib.IMAP4_SSL(
            self.dovecot.host, self.dovecot.ports["imaps"], ssl_context=self.dovecot.client_context()
        )
        client.login(self.address, self.password)
        return client

    def deliver(self, raw: bytes, folder: str = "INBOX") -> None:
        self.dovecot.deliver(self.address, raw, folder)

    def server_state(self, folder: str = "INBOX") -> dict[int, frozenset[str]]:
        """UID → flags of every message the server holds in ``folder``."""
        with self.imap() as client:
            client.select(f'"{folder}"', readonly=True)
            _typ, data = client.uid("FETCH", "1:*", "(UID FLAGS)")
        state: dict[int, frozenset[str]] = {}
        for item in data:
            if not item:
                continue
            text = item.decode() if isinstance(item, bytes) else item[0].decode()
            match = re.search(r"UID (\d+)", text)
            flags = re.search(r"FLAGS \(([^)]*)\)", text)
            if match and flags:
                state[int(match.group(1))] = frozenset(flags.group(1).split())
        return state

    def stored_state(self, folder: str = "INBOX") -> dict[int, frozenset[str]]:
        """UID → flags of every message the store holds for ``folder`` (duplicates would fail the check)."""
        with self.store.session() as session:
            rows = session.execute(
                select(MessageRow.uid, MessageRow.flags)
                .join(FolderRow, FolderRow.id == MessageRow.folder_id)
                .where(FolderRow.account_id == self.account_id, FolderRow.name == folder)
            ).all()
        uids = [uid for uid, _ in rows]
        assert len(uids) == len(set(uids)), "duplicate UIDs in the store"
        return {uid: frozenset(flags.split()) for uid, flags in rows}

    def messages(self, folder: str = "INBOX") -> list[MessageRow]:
        with self.store.session() as session:
            return list(
                session.scalars(
                    select(MessageRow)
                    .join(FolderRow, FolderRow.id == MessageRow.folder_id)
                    .where(FolderRow.account_id == self.account_id, FolderRow.name == folder)
                    .order_by(MessageRow.uid)
                )
            )

    def close(self) -> None:
        self.store.close()


class SandboxHub:
    """A hub home bound to the sandbox's Alibaba standard edition with a client password (the seed's way)."""

    def __init__(self, running, home: Path, local: str = "sales") -> None:
        self.running = running
        self.home = home
        self.address = f"{local}@acme-trade.cn"
        running.bind_user(self.address, "Main-Passw0rd!")
        self.client_password = running.new_client_password(self.address, "mailhub")
        self.store: Store = open_store(f"sqlite:///{home / 'mailhub.db'}")
        self.vault = load_vault(home, None)
        self.service = AccountService(self.store, self.vault)
        self.account_id = 0

    async def bind(self) -> int:
        overrides = ServerOverrides(provider_id="aliyun-standard")
        result = await self.service.add(self.address, self.client_password, overrides=overrides)
        assert result.saved and result.ok, result.diagnosis
        assert result.account is not None
        self.account_id = result.account.id
        return self.account_id

    def deliver(self, raw: bytes) -> None:
        self.running.sandbox.mail.deliver(self.address, raw)

    def subjects(self) -> list[str]:
        with self.store.session() as session:
            rows = session.scalars(select(MessageRow.subject).where(MessageRow.account_id == self.account_id))
            return sorted(rows)

    def close(self) -> None:
        self.store.close()


async def wait_until(condition, *, timeout: float, interval: float = 0.02) -> float:
    """Poll ``condition`` until it holds; returns the seconds it took. ``timeout`` only guards against hangs."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    while not condition():
        if loop.time() - started > timeout:
            raise AssertionError(f"not reached within {timeout} s")
        await asyncio.sleep(interval)
    return loop.time() - started
