"""STARTTLS, LOGIN and AUTHENTICATE (PLAIN, LOGIN; with SASL-IR): credentials go to the one gate."""

from __future__ import annotations

import base64
import binascii
import logging

from mailhub.sandbox.imap.parser import Command, as_text
from mailhub.sandbox.imap.session import Bad, Disconnect, No, Session, State
from mailhub.sandbox.security.decision import Protocol

log = logging.getLogger(__name__)


async def starttls(session: Session, command: Command) -> bytes | None:
    if session.tls:
        raise Bad("TLS is already active")
    if command.args:
        raise Bad("STARTTLS takes no arguments")
    if session.reader._buffer:  # type: ignore[attr-defined]  # bytes sent before the handshake: injection
        session.write(b"* BYE STARTTLS must be the last command in its packet\r\n")
        raise Disconnect
    session.write(command.tag.encode() + b" OK Begin TLS negotiation now\r\n")
    await session.flush()
    try:
        await session.writer.start_tls(session.sandbox.tls.server_context())
    except Exception as exc:  # a failed handshake ends this connection only
        log.info("STARTTLS handshake from %s failed: %s", session.peer_ip, type(exc).__name__)
        session.close_quietly()
        raise Disconnect from None
    session.tls = True
    session.id_sent = False  # RFC 3501: forget everything learnt before TLS
    return None  # the tagged OK went out before the handshake


async def login(session: Session, command: Command) -> bytes:
    if len(command.args) != 2:
        raise Bad("LOGIN needs a user name and a password")
    username, secret = as_text(command.args[0]), as_text(command.args[1])
    return await _authenticate(session, username, secret, b"LOGIN completed")


async def authenticate(session: Session, command: Command) -> bytes:
    if not command.args or len(command.args) > 2:
        raise Bad("AUTHENTICATE needs a mechanism")
    mechanism = as_text(command.args[0]).upper()
    initial = as_text(command.args[1]) if len(command.args) == 2 else None
    if mechanism == "PLAIN":
        response = await _sasl_step(session, b"", initial)
        parts = response.split(b"\0")
        if len(parts) != 3:
            raise Bad("malformed PLAIN response")
        username, secret = parts[1], parts[2]
    elif mechanism == "LOGIN":
        username = await _sasl_step(session, b"VXNlcm5hbWU6", initial)  # "Username:"
        secret = await _sasl_step(session, b"UGFzc3dvcmQ6", None)  # "Password:"
    else:
        raise No("unsupported authentication mechanism")
    return await _authenticate(
        session,
        username.decode("utf-8", "replace"),
        secret.decode("utf-8", "replace"),
        b"AUTHENTICATE completed",
    )


async def _sasl_step(session: Session, challenge: bytes, initial: str | None) -> bytes:
    if initial is None:
        session.write(b"+ " + challenge + b"\r\n")
        await session.flush()
        line = await session.read_continuation()
        if line is None:
            raise Disconnect
        text = line.decode("ascii", "replace").strip()
    else:
        text = initial
    if text == "*":
        raise Bad("AUTHENTICATE cancelled")
    if text == "=":
        return b""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise Bad("invalid base64 in SASL response") from None


async def _authenticate(session: Session, username: str, secret: str, done: bytes) -> bytes:
    if not session.tls:
        return session.sandbox.edition_for(username, None).imap_text("tls_required").encode()
    decision = await session.sandbox.security.authenticate_async(username, secret, Protocol.IMAP, session.peer_ip)
    if not decision.allowed or decision.denial is not None:
        edition = session.sandbox.edition_for(username, session.server_name)
        return edition.imap_auth_failure(decision.denial).encode()  # type: ignore[arg-type]
    session.address = (decision.address or username).lower()
    session.state = State.AUTHENTICATED
    session.store.ensure_user_mailboxes(session.address)
    session.session_token = session.sandbox.sessions.register(
        session.address, Protocol.IMAP, decision.client_password_id, session.revoke
    )
    return b"OK [CAPABILITY " + session.capabilities().encode() + b"] " + done
