"""aiosmtpd's SMTP engine, speaking with an edition's voice and known to the sandbox's live-session registry.

The engine decides nothing: the handler (``submission.Submission``) asks the gate and the directory; this
class only picks the edition (from the TLS SNI name, then from the logged-in user's domain), renders the
engine's own fixed replies in that edition's words, and ends the connection when its client password is
revoked.

It also keeps a message whose final "." has arrived when the client vanishes right after it, as Postfix
does. aiosmtpd cancels the session's coroutine in ``eof_received`` / ``connection_lost``, even when the end
of the message already sits in the stream buffer waiting to be read: the client has sent everything, the
server drops it. Here, while in DATA, if the end-of-data line has been read or is buffered, the hang-up is
put off until the coroutine has read and delivered the message (its reply goes nowhere); otherwise — a
client gone mid-message — aiosmtpd's teardown runs as before and nothing is delivered.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, AnyStr

from aiosmtpd.smtp import SMTP, Session

from mailhub.sandbox.security.decision import Protocol
from mailhub.sandbox.tls import requested_server_name

if TYPE_CHECKING:
    import ssl

    from mailhub.sandbox.profiles import Edition
    from mailhub.sandbox.sandbox import Sandbox

log = logging.getLogger(__name__)

# aiosmtpd's fixed status lines that an edition words its own way (key for ``Edition.smtp_reply``).
_EDITION_REPLACES = {
    "530 5.7.0 Authentication required": "auth_required",
    "530 Must issue a STARTTLS command first": "tls_required",
    "552 Error: message size exceeds fixed maximum message size": "message_too_big",
    "552 Error: Too much mail data": "message_too_big",
}


@dataclass(frozen=True, slots=True)
class Login:
    """Who this connection is logged in as (never the secret)."""

    address: str
    client_password_id: int | None


class _Session(Session):
    # aiosmtpd 1.4 still writes the deprecated ``login_data`` on every AUTH and logs a warning each time;
    # a plain class attribute shadows the noisy property.
    login_data: Any = None


class _SessionReader(asyncio.StreamReader):
    """aiosmtpd's reader, its ``limit`` still the SMTP line limit that ``readuntil`` enforces, but pausing the
    connection only past ``pause_at`` unread bytes instead of at twice that limit (2,002 bytes).

    Paused that early, what a pipelining client sends next (a message's tail and its final ".") waits in
    asyncio's TLS layer still encrypted, and a reset of the connection drops it there (``SSLProtocol.
    connection_lost`` unwraps without decrypting what it holds): a message whose "." had arrived would be
    lost when its sender is killed. With room for a whole message of the advertised SIZE, what a client sent
    is in this reader when it vanishes, where ``_message_arrived`` looks. The memory bound is of the order
    aiosmtpd already holds while it reads a DATA of that size."""

    def __init__(self, *, limit: int, pause_at: int, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(limit=limit, loop=loop)
        self._pause_at = pause_at

    def feed_data(self, data: bytes) -> None:
        line_limit = self._limit
        self._limit = self._pause_at // 2  # the base class pauses past 2 × _limit
        try:
            super().feed_data(data)
        finally:
            self._limit = line_limit


class SubmissionSMTP(SMTP):
    """One client connection on the submission ports (465 implicit TLS or 587 STARTTLS)."""

    def __init__(
        self,
        sandbox: Sandbox,
        handler: Any,
        *,
        implicit_tls: bool,
        tls_context: ssl.SSLContext,
        max_message_size: int,
        connections: set[SubmissionSMTP],
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        super().__init__(
            handler,
            data_size_limit=max_message_size,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname="localhost",  # replaced by the edition's banner host once the connection is made
            ident="ESMTP",
            tls_context=None if implicit_tls else tls_context,
            require_starttls=not implicit_tls,
            auth_required=True,
            auth_require_tls=True,
            authenticator=handler.authenticate,
            loop=loop,
        )
        # StreamReaderProtocol keeps the reader aiosmtpd made; ours takes its place before any byte arrives.
        reader = _SessionReader(limit=self.line_length_limit, pause_at=max_message_size + 65536, loop=loop)
        self._stream_reader_wr = weakref.ref(reader)
        self._strong_reader = reader
        if implicit_tls:
            # aiosmtpd only knows TLS it started itself (STARTTLS); on 465 the socket is TLS from the first
            # byte, so AUTH may be offered at once.
            self._auth_require_tls = False
        self.sandbox = sandbox
        self.server_name: str | None = None  # the host name the client dialled (SNI)
        self.edition: Edition = sandbox.edition_for(None, None)
        self.login: Login | None = None
        self._connections = connections
        self._session_token: int | None = None
        self._in_data = False  # inside smtp_DATA, from the DATA command to its reply
        self._hangup_pending = False  # the client is gone; tear down once the message is delivered
        self._gone = False  # the client left after its final "."; nothing more is written to it

    def _create_session(self) -> Session:
        return _Session(self.loop)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # Called once at connect (after the handshake on 465) and once more after STARTTLS.
        server_name = requested_server_name(transport.get_extra_info("ssl_object"))
        if server_name:
            self.server_name = server_name
        self.speak_as(self.sandbox.edition_for(None, self.server_name))
        self._connections.add(self)
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        self._connections.discard(self)
        if self._session_token is not None:
            self.sandbox.sessions.unregister(self._session_token)
            self._session_token = None
        if not self._hangup_pending and not self._message_arrived():
            super().connection_lost(error)
            return
        # aiosmtpd's connection_lost without its last two steps (cancel the coroutine, forget the transport):
        # those wait for the delivery (``_finish_hangup``). The reader gets a plain EOF even after a reset:
        # the bytes up to the final "." did arrive; whatever the error cut off comes after the message.
        self._hangup_pending = self._gone = True
        log.info("%r connection lost (%r) after the end of DATA: delivering first", self.session.peer, error)
        assert self._timeout_handle is not None
        self._timeout_handle.cancel()
        if self._original_transport is not None:
            self._original_transport.close()
        asyncio.StreamReaderProtocol.connection_lost(self, None)

    def eof_received(self) -> bool | None:
        if not self._hangup_pending and not self._message_arrived():
            return super().eof_received()
        # aiosmtpd's eof_received without cancelling the coroutine: the reader gets its EOF after the
        # buffered lines, which still hold the end of the message.
        self._hangup_pending = self._gone = True
        log.info("%r EOF after the end of DATA: delivering first", self.session.peer)
        keep_open = asyncio.StreamReaderProtocol.eof_received(self)
        return False if self.session.ssl is not None else keep_open

    def _message_arrived(self) -> bool:
        """In DATA, and the end-of-data line has been read (the message is being delivered) or is waiting in
        the stream buffer."""
        if not self._in_data or self.envelope is None:
            return False
        if self.envelope.original_content is not None:  # set by smtp_DATA once the "." is read
            return True
        buffered = self._reader._buffer  # type: ignore[attr-defined]  # as aiosmtpd itself does on STARTTLS
        return buffered.startswith(b".\r\n") or b"\r\n.\r\n" in buffered

    async def smtp_DATA(self, arg: str) -> None:
        self._in_data = True
        try:
            await super().smtp_DATA(arg)
        finally:
            self._in_data = False
            if self._hangup_pending:
                self._finish_hangup()

    def _finish_hangup(self) -> None:
        """The message the vanished client sent is delivered: end the session as aiosmtpd would have."""
        self._hangup_pending = False
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()  # EOF seen, connection_lost still to come
        self.transport = None  # ends aiosmtpd's command loop without reading again
        assert self._handler_coroutine is not None
        self._handler_coroutine.cancel()

    def speak_as(self, edition: Edition) -> None:
        """Use this edition's banner, EHLO host name and replies from now on."""
        self.edition = edition
        host, _, ident = edition.smtp_banner.partition(" ")
        self.hostname = host
        self.__ident__ = ident

    def logged_in(self, address: str, client_password_id: int | None, edition: Edition) -> None:
        """Record a successful AUTH and make the connection revocable through its client password."""
        self.login = Login(address, client_password_id)
        self.speak_as(edition)
        self._session_token = self.sandbox.sessions.register(
            address, Protocol.SMTP, client_password_id, self.end_revoked
        )

    def end_revoked(self) -> None:
        """The client password behind this login was deleted: say so (421-style) and hang up, now."""
        self._session_token = None  # the registry already forgot us
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        self._writer.write(self.edition.smtp_reply("revoked").encode("utf-8") + b"\r\n")
        transport.close()

    def close(self) -> None:
        """Drop the connection (server shutdown)."""
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    async def push(self, status: AnyStr) -> None:
        if self._gone:  # the client left after its final "."; the reply has no one to read it
            log.info("%r gone, reply not sent: %r", self.session.peer, status)
            return
        if isinstance(status, str) and (key := _EDITION_REPLACES.get(status)) is not None:
            status = self.edition.smtp_reply(key)
        await super().push(status)
