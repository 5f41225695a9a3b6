"""One mailbox on a running server, the way a third-party client sees it: host, ports, CA, login.

Every interoperability test runs twice: against Dovecot (the reference: if a client fails there, the test
or the client setup is wrong) and against the sandbox (the server under test). What differs between the
two, putting mail in and seeing mail that left, sits behind ``deliver`` and ``sent_to``.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from tests.peers.dovecot import DovecotServer

REMOTE_RECIPIENT = "partner@remote.example"  # a domain neither server hosts: mail to it leaves the server


@dataclass
class MailAccount:
    """A mailbox a client logs into; ``password`` is what the client uses (for the sandbox: a client
    security password generated the way the seed guide describes)."""

    server: str
    host: str
    hostname: str  # a name the server certificate covers, for clients that check names
    ports: dict[str, int]
    ca_file: Path
    address: str
    password: str = field(repr=False)
    _deliver: Callable[[bytes], None] = field(repr=False)
    _sent_to: Callable[[str], list[bytes]] = field(repr=False)

    def deliver(self, raw: bytes) -> None:
        """Put a message into this account's INBOX (as incoming mail would arrive)."""
        self._deliver(raw)

    def sent_to(self, recipient: str) -> list[bytes]:
        """Messages this server passed on to ``recipient`` in another domain, oldest first."""
        return self._sent_to(recipient)

    def client_context(self) -> ssl.SSLContext:
        """A verifying TLS context that trusts only this server's CA."""
        return ssl.create_default_context(cafile=str(self.ca_file))


def _dovecot_account() -> Iterator[MailAccount]:
    with DovecotServer() as dovecot:
        address, password = "zhang.wei@dovecot.test", "Dovecot-Pass-2024"
        dovecot.add_user(address, password)

        def sent_to(recipient: str) -> list[bytes]:
            return [m.content for m in dovecot.sink.messages if recipient in m.rcpt_tos]

        yield MailAccount(
            server="dovecot",
            host=dovecot.host,
            hostname="localhost",
            ports=dovecot.ports,
            ca_file=dovecot.ca_file,
            address=address,
            password=password,
            _deliver=lambda raw: dovecot.deliver(address, raw),
            _sent_to=sent_to,
        )


def _sandbox_account(request: pytest.FixtureRequest) -> Iterator[MailAccount]:
    running = request.getfixturevalue("sandbox_service")
    address = "zhang.wei@interop-demo.cn"
    running.bind_user(address, "Web-Main-Pass-2024")
    password = running.new_client_password(address, "interop tests")
    sandbox = running.sandbox

    def sent_to(recipient: str) -> list[bytes]:
        found = [sandbox.outbound.get(m.id) for m in sandbox.outbound.for_recipient(recipient)]
        return [m.raw for m in sorted((m for m in found if m is not None), key=lambda m: m.id)]

    yield MailAccount(
        server="sandbox",
        host=running.host,
        hostname="localhost",
        ports=running.ports,
        ca_file=Path(running.ca_file),
        address=address,
        password=password,
        _deliver=lambda raw: sandbox.mail.deliver(address, raw),
        _sent_to=sent_to,
    )


@pytest.fixture(params=["dovecot", "sandbox"])
def account(request: pytest.FixtureRequest) -> Iterator[MailAccount]:
    """A fresh mailbox with no mail, on Dovecot and then on the sandbox."""
    if request.param == "dovecot":
        yield from _dovecot_account()
    else:
        yield from _sandbox_account(request)
