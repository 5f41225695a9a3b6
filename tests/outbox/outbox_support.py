"""Fixtures for the outbox tests: the hub bound to the sandbox through the catalog's Alibaba settings.

``MAILHUB_RESOLVE`` points smtp/imap.qiye.aliyun.com at the sandbox and ``MAILHUB_CA_FILE`` trusts its CA, so
the worker runs the real path: TLS with name checks, AUTH with a client security password, APPEND to Sent.
"""

from __future__ import annotations

import email
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from tests.peers.postgres import fresh_schema

from mailhub.accounts import AccountService, ServerOverrides
from mailhub.outbox import Draft, OutboxWorker, WorkerOptions, compose, enqueue

DOMAIN = "acme-trade.cn"
MAIN = "Main-Passw0rd!"
FOREIGN = "buyer.example"  # not a sandbox domain: captured in sandbox.outbound
FAST = WorkerOptions(retry_base=0.05, retry_max=0.2, timeout=10)


class Events:
    """A ``publish`` callable that keeps what it is told."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, int | None, dict[str, Any]]] = []

    def __call__(self, kind: str, account_id: int | None, data: dict[str, Any]) -> None:
        self.seen.append((kind, account_id, data))

    def kinds(self) -> list[str]:
        return [kind for kind, _, _ in self.seen]


class OutboxHub:
    """The hub's account service over the sandbox, and helpers to read what the sandbox received."""

    def __init__(self, running, home: Path) -> None:
        self.running = running
        self.home = home
        self.service = AccountService.open()
        self.store = self.service.store
        self.vault = self.service.vault

    async def bind(self, local: str) -> tuple[int, str]:
        """An Alibaba mailbox set up as the seed guide says, bound through AccountService."""
        address = f"{local}@{DOMAIN}"
        self.running.bind_user(address, MAIN)
        client_password = self.running.new_client_password(address)
        result = await self.service.add(address, client_password, overrides=ServerOverrides("aliyun-standard"))
        assert result.ok, result.diagnosis and result.diagnosis.code
        return result.account.id, address

    def local_user(self, local: str) -> str:
        address = f"{local}@{DOMAIN}"
        self.running.bind_user(address, MAIN)
        return address

    def queue(self, account_id: int, sender: str, to: str, subject: str = "hello", **draft: Any):
        message = compose(Draft(sender, to=[to], subject=subject, text=draft.pop("text", "body"), **draft))
        return enqueue(self.store, account_id, message)

    def worker(self, account_id: int, options: WorkerOptions = FAST, publish=None) -> OutboxWorker:
        kwargs = {"publish": publish} if publish is not None else {}
        return OutboxWorker(self.store, self.vault, account_id, options=options, **kwargs)

    def mailbox(self, address: str, name: str) -> list[EmailMessage]:
        """Messages in a sandbox mailbox, parsed."""
        mail = self.running.sandbox.mail
        box = mail.get_mailbox(address, name)
        uids = mail.uids(box.id)
        if not uids:
            return []
        rows = mail.rows(box.id, [(uids[0], uids[-1])], with_raw=True)
        return [email.message_from_bytes(row.raw, policy=default) for row in rows]  # type: ignore[misc]

    def close(self) -> None:
        self.service.close()


def _postgres_schema() -> Iterator[str]:
    with fresh_schema("mailhub_outbox") as url:
        yield url


@pytest.fixture(name="postgres_url")
def postgres_url_fixture() -> Iterator[str]:
    yield from _postgres_schema()


@pytest.fixture
def hub(sandbox_service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request) -> Iterator[OutboxHub]:
    """The hub over SQLite in its home; over PostgreSQL when the test also asks for ``postgres_url``."""
    home = tmp_path / "home"
    monkeypatch.setenv("MAILHUB_HOME", str(home))
    for name in ("MAILHUB_DATABASE_URL", "MAILHUB_MASTER_KEY", "MAILHUB_LANG"):
        monkeypatch.delenv(name, raising=False)
    if "postgres_url" in request.fixturenames:
        monkeypatch.setenv("MAILHUB_DATABASE_URL", request.getfixturevalue("postgres_url"))
    monkeypatch.setenv("MAILHUB_RESOLVE", sandbox_service.resolve_env("aliyun-standard"))
    monkeypatch.setenv("MAILHUB_CA_FILE", str(sandbox_service.ca_file))
    outbox_hub = OutboxHub(sandbox_service, home)
    try:
        yield outbox_hub
    finally:
        outbox_hub.close()


class SmtpFaults:
    """Replies the sandbox's SMTP gives at the end of DATA instead of accepting, one per message, in order.

    Fault injection into the real server: the sandbox's own handler still runs for every other message.
    """

    def __init__(self, running) -> None:
        self._handler = running._service._smtp._handler  # the sandbox's aiosmtpd handler (tests only)
        self._original = self._handler.handle_DATA
        self.replies: list[str] = []
        self.refused = 0

    def __enter__(self) -> SmtpFaults:
        async def handle_data(server, session, envelope):
            if self.replies:
                self.refused += 1
                return self.replies.pop(0)
            return await self._original(server, session, envelope)

        self._handler.handle_DATA = handle_data
        return self

    def __exit__(self, *_exc: object) -> None:
        self._handler.handle_DATA = self._original


@pytest.fixture
def smtp_faults(hub) -> Iterator[SmtpFaults]:
    with SmtpFaults(hub.running) as faults:
        yield faults
