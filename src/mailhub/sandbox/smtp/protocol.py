"""aiosmtpd's SMTP engine, speaking with an edition's voice and known to the sandbox's live-session registry.

The engine decides nothing: the handler (``submission.Submission``) asks the gate and the directory; this
class only picks the edition (from the TLS SNI name, then from the logged-in user's domain), renders the
engine's own fixed replies in that edition's words, and ends the connection when its client password is
revoked.
"""

from __future__ import annotations

import asyncio
import logging
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
        super().connection_lost(error)

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
        if isinstance(status, str) and (key := _EDITION_REPLACES.get(status)) is not None:
            status = self.edition.smtp_reply(key)
        await super().push(status)
