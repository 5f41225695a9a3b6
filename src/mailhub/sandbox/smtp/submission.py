"""What submission means in the sandbox: AUTH through the one gate, sender = login, local delivery, capture.

This is aiosmtpd's *handler*: the engine calls these hooks and sends back what they return. Every refusal is
a line from the edition's profile; no reply text is written here.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session, TLSSetupException

from mailhub.sandbox.mailstore import NoSuchMailbox
from mailhub.sandbox.security.decision import Protocol
from mailhub.sandbox.smtp.trace import received_header, return_path_header

if TYPE_CHECKING:
    from mailhub.sandbox.sandbox import Sandbox
    from mailhub.sandbox.smtp.protocol import SubmissionSMTP

log = logging.getLogger(__name__)

ACCEPTED = "250 OK"
LOCAL_ERROR = "451 4.3.0 Local error in processing, try again later"


class Submission:
    """The sandbox's policy for one submission connection, as aiosmtpd hooks."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def authenticate(
        self,
        server: SubmissionSMTP,
        session: Session,
        envelope: Envelope,
        mechanism: str,
        auth_data: LoginPassword,
    ) -> AuthResult:
        """AUTH PLAIN and LOGIN: ask the gate; on refusal answer with the edition's exact status line."""
        username = auth_data.login.decode("utf-8", "replace")
        secret = auth_data.password.decode("utf-8", "replace")
        peer_ip = session.peer[0] if isinstance(session.peer, tuple) else ""
        decision = self.sandbox.security.authenticate(username, secret, Protocol.SMTP, peer_ip)
        edition = self.sandbox.edition_for(decision.address or username, server.server_name)
        if not decision.allowed or decision.address is None:
            log.info("smtp auth refused user=%s ip=%s denial=%s", username, peer_ip, decision.denial)
            assert decision.denial is not None
            # handled=False + message: aiosmtpd sends our line instead of its own 535.
            return AuthResult(success=False, handled=False, message=edition.smtp_auth_failure(decision.denial))
        server.logged_in(decision.address, decision.client_password_id, edition)
        log.info("smtp auth ok user=%s ip=%s mechanism=%s", decision.address, peer_ip, mechanism)
        return AuthResult(success=True, auth_data=decision.address)

    async def handle_EHLO(
        self, server: SubmissionSMTP, session: Session, envelope: Envelope, hostname: str, responses: list[str]
    ) -> list[str]:
        # aiosmtpd reads commands one by one from a buffered stream, so pipelining already works; say so.
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    async def handle_MAIL(
        self, server: SubmissionSMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        """The envelope sender must be the logged-in user (as Alibaba's 440 rule)."""
        login = server.login
        if login is None or address.lower() != login.address.lower():
            return server.edition.smtp_reply("mail_from_mismatch")
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return ACCEPTED

    async def handle_RCPT(
        self, server: SubmissionSMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        """A recipient in a sandbox domain must exist; any other domain is accepted for capture."""
        if self._is_local_domain(address) and self.sandbox.directory.get_user(address.lower()) is None:
            return server.edition.smtp_reply("unknown_local_user")
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return ACCEPTED

    async def handle_DATA(self, server: SubmissionSMTP, session: Session, envelope: Envelope) -> str:
        """Deliver to each local INBOX, capture the rest, and file the sender's Sent copy where the edition
        does (Tencent), all before answering 250."""
        assert envelope.mail_from is not None and isinstance(envelope.original_content, bytes)
        recipients = list(dict.fromkeys(envelope.rcpt_tos))  # a repeated RCPT gets one copy
        local = [r for r in recipients if self._is_local_domain(r)]
        foreign = [r for r in recipients if r not in local]
        received = received_header(
            helo=session.host_name,
            peer_ip=session.peer[0] if isinstance(session.peer, tuple) else "unknown",
            by_host=server.hostname,
            recipients=recipients,
            smtputf8=envelope.smtp_utf8,
        )
        content = envelope.original_content
        if local:
            delivered = return_path_header(envelope.mail_from) + received + content
            for address in local:
                self._deliver(address.lower(), delivered)
        if foreign:
            self.sandbox.outbound.capture(envelope.mail_from, foreign, received + content)
        if server.edition.files_sent_copy and server.login is not None:
            self._deliver(server.login.address.lower(), content, mailbox="Sent", flags=("\\Seen",))
        return ACCEPTED

    async def handle_exception(self, error: Exception) -> str:
        # aiosmtpd's default would echo the exception text to the client.
        if isinstance(error, TLSSetupException):  # the client's TLS, not our fault; aiosmtpd hangs up
            log.info("smtp STARTTLS handshake failed: %r", error.__cause__)
        else:
            log.error("smtp session failed: %s", type(error).__name__, exc_info=error)
        return LOCAL_ERROR

    def _deliver(self, address: str, raw: bytes, mailbox: str = "INBOX", flags: tuple[str, ...] = ()) -> None:
        try:
            self.sandbox.mail.deliver(address, raw, mailbox, flags)
        except NoSuchMailbox:
            # a user added straight through the directory has no mailboxes yet; a real MTA creates them
            self.sandbox.mail.ensure_user_mailboxes(address)
            self.sandbox.mail.deliver(address, raw, mailbox, flags)

    def _is_local_domain(self, address: str) -> bool:
        domain = address.rpartition("@")[2].lower()
        return bool(domain) and self.sandbox.directory.get_domain(domain) is not None
