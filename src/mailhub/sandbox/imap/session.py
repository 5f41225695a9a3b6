"""One IMAP connection: read commands (with literal limits), dispatch by state, write the answers.

The protocol engine decides no policy: logins go to the security gate, reply texts come from the edition.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Awaitable, Callable
from enum import Enum
from typing import TYPE_CHECKING

from mailhub.sandbox.imap.parser import Command, ParseError, literal_at_end, parse_command, read_tag
from mailhub.sandbox.imap.selected import SelectedMailbox
from mailhub.sandbox.mailstore import MailStoreError
from mailhub.sandbox.profiles import Edition
from mailhub.sandbox.tls import requested_server_name

if TYPE_CHECKING:
    from mailhub.sandbox.imap.server import ImapServer

log = logging.getLogger(__name__)

BASE_CAPABILITIES = (
    "IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UIDPLUS MOVE SPECIAL-USE UNSELECT CHILDREN CONDSTORE"
)


REVOKE_GRACE = 5.0  # seconds a revoked session may take to finish the answer it is writing


class State(Enum):
    NOT_AUTHENTICATED = "not authenticated"
    AUTHENTICATED = "authenticated"
    SELECTED = "selected"


class Bad(Exception):
    """``tag BAD <text>``: the command is malformed or not valid now."""


class No(Exception):
    """``tag NO <text>``: the command was understood but cannot be done."""


class Disconnect(Exception):
    """Stop serving this connection (after LOGOUT, a refused non-synchronising literal, a revocation)."""


Handler = Callable[["Session", Command], Awaitable[bytes | None]]  # None: already answered


class Session:
    def __init__(self, server: ImapServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, tls: bool):
        self.server = server
        self.sandbox = server.sandbox
        self.store = server.sandbox.mail
        self.reader = reader
        self.writer = writer
        self.tls = tls
        self.state = State.NOT_AUTHENTICATED
        self.address: str | None = None
        self.selected: SelectedMailbox | None = None
        self.id_sent = False
        self.condstore = False  # RFC 7162: once on, every FETCH answer with FLAGS also carries MODSEQ
        self.session_token: int | None = None
        self.closed = False
        self._out: list[bytes] = []
        self.busy = False  # inside a command that writes (a BYE now could land inside a literal)
        self.revoked = False
        peer = writer.get_extra_info("peername")
        self.peer_ip: str = peer[0] if peer else "unknown"

    # -- who we sound like ---------------------------------------------------------------------------
    @property
    def server_name(self) -> str | None:
        return requested_server_name(self.writer.get_extra_info("ssl_object")) if self.tls else None

    @property
    def edition(self) -> Edition:
        return self.sandbox.edition_for(self.address, self.server_name)

    def capabilities(self) -> str:
        if self.state is not State.NOT_AUTHENTICATED:
            return BASE_CAPABILITIES
        if self.tls:
            return BASE_CAPABILITIES + " AUTH=PLAIN AUTH=LOGIN"
        return BASE_CAPABILITIES + " STARTTLS LOGINDISABLED"

    # -- the connection --------------------------------------------------------------------------------
    async def run(self) -> None:
        from mailhub.sandbox.imap.commands import COMMANDS

        try:
            self.write(b"* OK " + self.edition.imap_greeting.encode() + b"\r\n")
            await self.flush()
            while not self.closed:
                segments = await self._read_command()
                if segments is None:
                    break
                if not segments:  # a refused literal: already answered
                    await self.flush()
                    continue
                await self._execute(segments, COMMANDS)
                await self.flush()
        except Disconnect:
            pass
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
            pass
        except Exception:  # one broken session must never take the server down
            log.exception("imap session from %s failed", self.peer_ip)
        finally:
            self.close_quietly()

    async def _execute(self, segments: list[bytes], commands: dict[str, tuple[Handler, tuple[State, ...]]]) -> None:
        try:
            command = parse_command(segments)
        except ParseError as exc:
            self.write(f"{read_tag(segments[0])} BAD {exc}\r\n".encode())
            return
        entry = commands.get(command.name)
        if entry is None:
            self.write(f"{command.tag} BAD unknown command\r\n".encode())
            return
        handler, states = entry
        if self.state not in states:
            self.write(f"{command.tag} BAD {command.name} is not valid in the {self.state.value} state\r\n".encode())
            return
        self.busy = True
        try:
            tail = await handler(self, command)
        except Bad as exc:
            tail = b"BAD " + str(exc).encode()
        except ParseError as exc:
            tail = b"BAD " + str(exc).encode()
        except No as exc:
            tail = b"NO " + str(exc).encode()
        except MailStoreError as exc:
            tail = b"NO " + (str(exc) or type(exc).__name__).encode()
        except (Disconnect, ConnectionError, asyncio.IncompleteReadError):
            raise
        except Exception:  # a bug in one command: say so, keep the session
            log.exception("imap %s from %s failed", command.name, self.peer_ip)
            tail = b"NO [SERVERBUG] internal error"
        finally:
            self.busy = False
        if self.revoked:
            self._say_revoked()
            raise Disconnect
        if tail is not None:
            # Sequence numbers must not shift under FETCH, STORE and SEARCH (RFC 3501 §7.4.1).
            self.send_updates(allow_expunge=command.name not in ("FETCH", "STORE", "SEARCH"))
            self.write(command.tag.encode() + b" " + tail + b"\r\n")

    async def _read_command(self) -> list[bytes] | None:
        """The segments of one command; ``None`` at end of stream. Oversized literals are refused unread."""
        line = await self._read_line()
        if line is None:
            return None
        segments = [line]
        total = len(line)
        while (announced := literal_at_end(line)) is not None:
            limit = self.server.literal_limit(segments[0])
            total += announced.size
            if total > limit:
                if not announced.synchronizing:
                    self.write(b"* BYE [TOOBIG] literal too large\r\n")
                    raise Disconnect
                self.write(read_tag(segments[0]).encode() + b" NO [TOOBIG] literal too large\r\n")
                return []
            if announced.synchronizing:
                self.write(b"+ Ready for literal data\r\n")
                await self.flush()
                self._ack_quickly()
            segments.append(await self._timed(self.reader.readexactly(announced.size)))
            line = await self._read_line()
            if line is None:
                return None
            segments.append(line)
            total += len(line)
        return segments

    def _ack_quickly(self) -> None:
        """Acknowledge the literal at once: clients such as imaplib send the literal and its CRLF in two
        writes, and with Nagle on their side the CRLF would wait for our delayed ACK (~40 ms per APPEND)."""
        sock = self.writer.get_extra_info("socket")
        quickack = getattr(socket, "TCP_QUICKACK", None)
        if sock is not None and quickack is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, quickack, 1)

    async def read_continuation(self) -> bytes | None:
        """One client line during AUTHENTICATE (no literals there)."""
        return await self._read_line()

    async def _read_line(self) -> bytes | None:
        try:
            line = await self._timed(self.reader.readuntil(b"\n"))
        except asyncio.IncompleteReadError:
            return None
        except asyncio.LimitOverrunError:
            self.write(b"* BYE line too long\r\n")
            raise Disconnect from None
        return line.rstrip(b"\r\n")

    async def _timed(self, awaitable: Awaitable[bytes]) -> bytes:
        try:
            async with asyncio.timeout(self.server.idle_timeout):  # cheaper than wait_for: no extra task
                return await awaitable
        except TimeoutError:
            self.write(b"* BYE autologout; idle for too long\r\n")
            raise Disconnect from None

    # -- writing ---------------------------------------------------------------------------------------
    def write(self, data: bytes) -> None:
        """Queue bytes for the client; ``flush`` sends them (one TLS write per answer, not one per piece)."""
        if not self.closed:
            self._out.append(data)

    def write_lines(self, chunks: list[bytes]) -> None:
        if not self.closed:
            self._out += chunks

    async def flush(self) -> None:
        """Send what is queued and wait until the socket has taken it (a client that stops reading is
        dropped after the idle timeout, so it cannot hold a session open forever)."""
        self._send_queued()
        try:
            async with asyncio.timeout(self.server.idle_timeout):
                await self.writer.drain()
        except TimeoutError:
            raise Disconnect from None

    def _send_queued(self) -> None:
        if self._out and not self.closed:
            self.writer.write(b"".join(self._out))
        self._out.clear()

    def send_updates(self, allow_expunge: bool = True) -> None:
        """Tell the client what other sessions changed in the selected mailbox."""
        if self.selected is not None:
            self.write_lines(self.selected.updates(allow_expunge, with_modseq=self.condstore))

    # -- the selected mailbox --------------------------------------------------------------------------------
    def select(self, selected: SelectedMailbox) -> None:
        self.unselect()
        self.selected = selected
        self.state = State.SELECTED

    def unselect(self) -> None:
        if self.selected is not None:
            self.selected.close()
            self.selected = None
        if self.state is State.SELECTED:
            self.state = State.AUTHENTICATED

    # -- ending -----------------------------------------------------------------------------------------
    def revoke(self) -> None:
        """The client password that opened this session was deleted: say why and hang up (even in IDLE).

        In the middle of a command's answer the BYE waits for the answer's end (long FETCHes stop early), so it
        never lands inside a literal; a client that stops reading is cut off after ``REVOKE_GRACE`` seconds.
        """
        self.session_token = None  # the registry already dropped us
        self.revoked = True
        if self.busy:
            asyncio.get_running_loop().call_later(REVOKE_GRACE, self.close_quietly)
            return
        self._say_revoked()
        self.close_quietly()

    def _say_revoked(self) -> None:
        self.write(b"* BYE " + self.edition.imap_text("revoked_bye").encode() + b"\r\n")

    def close_quietly(self) -> None:
        if self.session_token is not None:
            self.sandbox.sessions.unregister(self.session_token)
            self.session_token = None
        self.unselect()
        if not self.closed:
            with contextlib.suppress(Exception):
                self._send_queued()  # a BYE still queued goes out before the close
            self.closed = True
            with contextlib.suppress(Exception):
                self.writer.close()
        self.server.forget(self)
