"""A loopback SMTP sink (aiosmtpd) that keeps what it receives, so a test can see what a peer relayed.

It runs its own event loop in a thread: the peers are used from plain synchronous tests (imaplib, smtplib)
as well as from asyncio ones, and the sink must keep answering while a synchronous client blocks.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from dataclasses import dataclass

from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass(frozen=True)
class RelayedMessage:
    """One message as the sink received it."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes


class _KeepHandler:
    def __init__(self, sink: MailSink) -> None:
        self._sink = sink

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        self._sink._keep(RelayedMessage(envelope.mail_from or "", tuple(envelope.rcpt_tos), content))
        return "250 OK kept by the mailhub test sink"


class MailSink:
    """``start()`` binds 127.0.0.1 on a free port (``.port``); ``messages`` lists what arrived; ``stop()``."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self.messages: list[RelayedMessage] = []
        self._arrived = threading.Condition()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.AbstractServer | None = None

    def start(self) -> MailSink:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, 0))
        self.port = sock.getsockname()[1]
        self._loop = asyncio.new_event_loop()
        handler = _KeepHandler(self)
        self._server = self._loop.run_until_complete(
            self._loop.create_server(lambda: SMTP(handler, hostname="sink.test"), sock=sock)
        )
        self._thread = threading.Thread(target=self._loop.run_forever, name="mail-sink", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        loop, thread, server = self._loop, self._thread, self._server
        if loop is None or thread is None or server is None:
            return
        self._loop = self._thread = self._server = None
        if thread.is_alive():
            loop.call_soon_threadsafe(server.close)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=5)
        if not thread.is_alive() and not loop.is_running():
            loop.close()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[RelayedMessage]:
        """The first ``count`` messages, waiting up to ``timeout`` seconds (an upper bound against hangs)."""
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.messages) >= count, timeout=timeout)
            return list(self.messages)

    def _keep(self, message: RelayedMessage) -> None:
        with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()

    def __enter__(self) -> MailSink:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
