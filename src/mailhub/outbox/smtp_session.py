"""One reused SMTP submission session for an account, opened through mailhub.transport (``open_socket``
applies MAILHUB_RESOLVE; TLS checks the configured host name with ``client_ssl_context``).

A small client of our own on asyncio streams rather than aiosmtplib, for two things the outbox needs and
aiosmtplib cannot do: PIPELINING (RFC 2920: MAIL, RCPT and DATA in one round trip; aiosmtplib drops replies
that arrive together), and a hook right before the final ``.`` of DATA (``before_end``), the only moment
after which the server may hold the message. The worker commits that moment, so after a crash it knows
which messages might have reached the server (and looks those up) and which cannot have (and queues them).

The message itself goes out and leaves our buffers before the hook; the hook commits its mark and sends
the five bytes of the final "." right after the commit, with no await between them. A crash can still fall
between those two system calls (the one moment where the outbox believes the server may have a message it
never got), but that moment is a few microseconds long, not a loop turn or a whole message.
"""

from __future__ import annotations

import asyncio
import base64
import re
from collections.abc import Awaitable, Callable, Sequence

from mailhub.catalog.model import ServerSettings
from mailhub.transport.connect import open_socket, open_stream, start_tls
from mailhub.transport.errors import TransportFailure
from mailhub.transport.smtp import LOCAL_NAME

Envelope = tuple[str, tuple[str, ...]]  # (MAIL FROM, RCPT TOs)

_NETWORK_ERRORS = (ConnectionError, OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError)
_LONE_LINE_END = re.compile(rb"\r\n|\r|\n")


class SendWithdrawn(Exception):
    """``before_end`` withdrew the message: the connection was dropped before the final "." (nothing sent)."""


class SendRefused(Exception):
    """The server answered with a refusal: ``code`` (4xx temporary, 5xx permanent), its words, and where."""

    def __init__(self, code: int, reply: str, phase: str) -> None:
        super().__init__(f"{phase}: {reply}")
        self.code = code
        self.reply = reply
        self.phase = phase

    @property
    def temporary(self) -> bool:
        return 400 <= self.code < 500


def _unsent(transport: asyncio.BaseTransport) -> int:
    """Bytes written but still in this process: in the TLS layer and in the socket transport under it
    (asyncio keeps the latter private; where it is not found, the TLS layer's count is all we have)."""
    size = transport.get_write_buffer_size()  # type: ignore[attr-defined]
    inner = getattr(getattr(transport, "_ssl_protocol", None), "_transport", None)
    return size + (inner.get_write_buffer_size() if inner is not None else 0)


def dot_stuffed(raw: bytes) -> bytes:
    """The message as DATA carries it: CRLF line ends, leading dots doubled, ending in CRLF."""
    data = _LONE_LINE_END.sub(b"\r\n", raw)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    data = data.replace(b"\r\n.", b"\r\n..")
    return b"." + data if data.startswith(b".") else data


class SmtpSession:
    """A logged-in submission connection; ``send`` may be called many times."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, timeout: float) -> None:
        self._reader = reader
        self._writer = writer
        self.host = host
        self.timeout = timeout
        self.extensions: frozenset[str] = frozenset()
        self._auth_methods: frozenset[str] = frozenset()
        self._open = True
        self._prepared: Envelope | None = None  # sent ahead, its replies not read yet (the server is in DATA)

    def __repr__(self) -> str:
        return f"SmtpSession(host={self.host!r}, open={self._open})"

    @classmethod
    async def open(cls, server: ServerSettings, username: str, password: str, *, timeout: float) -> SmtpSession:
        """Connect, EHLO, STARTTLS when the account says so, AUTH (PLAIN, else LOGIN). Refusals raise
        ``SendRefused`` (phase ``auth`` for the login); network trouble ``TransportFailure``. The secret
        never appears in either."""
        sock = await open_socket(server.host, server.port, timeout=timeout)
        reader, writer = await open_stream(sock, tls_host=server.host if server.tls == "ssl" else None, timeout=timeout)
        session = cls(reader, writer, server.host, timeout)
        try:
            await session._expect((220,), "greeting")
            await session._ehlo()
            if server.tls == "starttls":
                if "STARTTLS" not in session.extensions:
                    raise TransportFailure("starttls_missing", "starttls", detail="the server does not offer STARTTLS")
                await session._command("STARTTLS", (220,), "starttls")
                await start_tls(writer, server.host, timeout=timeout)
                await session._ehlo()
            await session._login(username, password)
        except BaseException:
            await session.close(polite=False)
            raise
        return session

    @property
    def connected(self) -> bool:
        return self._open and not self._writer.is_closing()

    @property
    def sent_ahead(self) -> bool:
        """The next message's commands went out ahead: only ``send`` of that very envelope may follow."""
        return self._prepared is not None

    # -- the wire ---------------------------------------------------------------------------------------------
    async def _reply(self, phase: str) -> tuple[int, str]:
        """One (possibly multi-line) reply: its code and its text lines joined."""
        lines: list[str] = []
        try:
            async with asyncio.timeout(self.timeout):
                while True:
                    raw = await self._reader.readuntil(b"\n")
                    line = raw.decode("utf-8", "replace").rstrip("\r\n")
                    if len(line) < 3 or not line[:3].isdigit():
                        raise TransportFailure("protocol", phase, reply=line[:200])
                    lines.append(line[4:])
                    if line[3:4] != "-":
                        return int(line[:3]), " ".join(" ".join(lines).split())
        except TimeoutError:
            self._open = False
            raise TransportFailure("timeout", phase, detail=f"no reply within {self.timeout:g} s") from None
        except _NETWORK_ERRORS as exc:
            self._open = False
            raise TransportFailure("closed", phase, detail=type(exc).__name__) from None

    def _write(self, data: bytes, phase: str) -> None:
        if not self.connected:
            raise TransportFailure("closed", phase, detail="connection closed")
        self._writer.write(data)

    async def _drain(self, phase: str) -> None:
        try:
            await self._writer.drain()
        except _NETWORK_ERRORS as exc:
            self._open = False
            raise TransportFailure("closed", phase, detail=type(exc).__name__) from None

    async def _expect(self, codes: tuple[int, ...], phase: str) -> str:
        code, text = await self._reply(phase)
        if code not in codes:
            raise SendRefused(code, f"{code} {text}".strip(), phase)
        return text

    async def _command(self, line: str, codes: tuple[int, ...], phase: str) -> str:
        self._write(line.encode("utf-8") + b"\r\n", phase)
        return await self._expect(codes, phase)

    async def _ehlo(self) -> None:
        self._write(f"EHLO {LOCAL_NAME}\r\n".encode(), "ehlo")
        code, text = await self._reply("ehlo")
        if code != 250:
            raise SendRefused(code, f"{code} {text}", "ehlo")
        # the reply lines were joined: re-read the keywords from the words after the greeting line
        words = text.upper().split()
        self.extensions = frozenset(words)
        if "AUTH" in words:
            self._auth_methods = frozenset(words[words.index("AUTH") + 1 :])

    async def _login(self, username: str, password: str) -> None:
        if "PLAIN" in self._auth_methods or "LOGIN" not in self._auth_methods:
            token = base64.b64encode(f"\0{username}\0{password}".encode()).decode("ascii")
            await self._command(f"AUTH PLAIN {token}", (235,), "auth")
            return
        await self._command("AUTH LOGIN", (334,), "auth")
        await self._command(base64.b64encode(username.encode()).decode("ascii"), (334,), "auth")
        await self._command(base64.b64encode(password.encode()).decode("ascii"), (235,), "auth")

    # -- sending ----------------------------------------------------------------------------------------------
    def _envelope(self, envelope: Envelope) -> list[tuple[str, tuple[int, ...], str]]:
        """MAIL, one RCPT per recipient, DATA: each line with the codes that accept it and its phase."""
        sender, recipients = envelope
        utf8 = " SMTPUTF8" if "SMTPUTF8" in self.extensions and not (sender + "".join(recipients)).isascii() else ""
        steps = [(f"MAIL FROM:<{sender}>{utf8}", (250,), "mail")]
        steps += [(f"RCPT TO:<{r}>", (250, 251), "rcpt") for r in recipients]
        steps.append(("DATA", (354,), "data"))
        return steps

    async def send(
        self,
        envelope_from: str,
        recipients: Sequence[str],
        raw: bytes,
        before_end: Callable[[Callable[[], None]], Awaitable[bool]],
        *,
        then: Envelope | None = None,
    ) -> str:
        """MAIL, RCPT for each recipient, DATA (pipelined when offered); returns the final ``250`` reply.
        ``before_end(end_data)`` must call ``end_data`` (which writes the final ".") and return ``True``, or
        return ``False`` to withdraw the message: the connection is dropped before the final "." (the server
        discards the unfinished message) and ``SendWithdrawn`` raised.

        ``then``: the envelope of the message this session sends next. With PIPELINING its MAIL, RCPT and DATA
        go in the same write as this message's final "." (RFC 2920 allows commands after the end of data),
        which saves a round trip and a system call per message; its ``send`` then only reads their replies."""
        envelope = (envelope_from, tuple(recipients))
        steps = self._envelope(envelope)
        if self._prepared is not None and self._prepared != envelope:
            # The server waits for another message's text: anything written now would become part of it.
            await self.close(polite=False)
            raise TransportFailure("closed", "mail", detail="commands were sent ahead for another message")
        if self._prepared == envelope:  # its commands went out with the previous message's final "."
            self._prepared = None
            replies = [await self._reply(phase) for _, _, phase in steps]
        elif "PIPELINING" in self.extensions:
            self._write("".join(f"{line}\r\n" for line, _, _ in steps).encode("utf-8"), "mail")
            replies = [await self._reply(phase) for _, _, phase in steps]
        else:
            replies = []
            for line, codes, phase in steps:
                self._write(line.encode("utf-8") + b"\r\n", phase)
                replies.append(await self._reply(phase))
                if replies[-1][0] not in codes:
                    break
        for (_line, codes, phase), (code, text) in zip(steps, replies, strict=False):
            if code not in codes:
                await self._abandon(data_started=replies[-1][0] == 354)
                raise SendRefused(code, f"{code} {text}".strip(), phase)
        # Until its final "." the server cannot hold the message: everything before it goes now and out of
        # our buffers; the hook commits its mark and calls ``end_data`` right after (``GroupCommit``'s then).
        self._write(dot_stuffed(raw), "data")
        await self._flush("data")
        following = then if then is not None and "PIPELINING" in self.extensions else None
        if not await before_end(lambda: self._end_data(following)):
            await self.close(polite=False)
            raise SendWithdrawn
        code, text = await self._reply("data")
        if code != 250:
            raise SendRefused(code, f"{code} {text}".strip(), "data")
        return f"{code} {text}".strip()

    def _end_data(self, following: Envelope | None) -> None:
        """The final "." of DATA, handed to the kernel now (the rest of the message already is), with the
        next message's commands when there is one."""
        commands = "".join(f"{line}\r\n" for line, _, _ in self._envelope(following)) if following else ""
        self._write(b".\r\n" + commands.encode("utf-8"), "data")
        self._prepared = following

    async def _flush(self, phase: str) -> None:
        """Return once nothing we wrote is left in this process's buffers: the kernel has all of it."""
        await self._drain(phase)
        while _unsent(self._writer.transport):
            if not self.connected:
                raise TransportFailure("closed", phase, detail="connection closed")
            await asyncio.sleep(0.001)

    async def _abandon(self, *, data_started: bool) -> None:
        """End a refused transaction: RSET, or hang up if the server already waits for the message (a
        pipelined DATA accepted after a refused RCPT) — sending "." would deliver an empty message."""
        if data_started:
            await self.close(polite=False)
            return
        try:
            await self._command("RSET", (250,), "rset")
        except (TransportFailure, SendRefused):
            await self.close(polite=False)

    async def close(self, *, polite: bool = True) -> None:
        """QUIT (briefly) and hang up. Not politely with commands sent ahead: the server waits for a message,
        and a QUIT would only be read as its text (it is discarded: no final "." follows)."""
        if polite and self.connected and self._prepared is None:
            try:
                self._write(b"QUIT\r\n", "quit")
                async with asyncio.timeout(2.0):
                    await self._reader.readuntil(b"\n")
            except (TransportFailure, TimeoutError, *_NETWORK_ERRORS):
                pass
        self._open = False
        self._writer.close()
        try:
            async with asyncio.timeout(1.0):
                await self._writer.wait_closed()
        except Exception:  # closing: nothing left to report
            pass
