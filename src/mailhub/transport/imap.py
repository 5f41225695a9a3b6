"""A small asyncio IMAP client with just what binding a mailbox needs: greeting, CAPABILITY, STARTTLS,
LOGIN / AUTHENTICATE PLAIN, RFC 2971 ID, LIST, SELECT, LOGOUT.

Our own rather than aioimaplib: verification sends a handful of short commands on hundreds of connections at
once, so what matters is a tiny per-connection footprint and exact control over the transcript (the secret
never enters it). Literals in responses are read, so LIST with odd folder names works.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import re
from dataclasses import dataclass, field

from mailhub.transport.connect import expect_plaintext_greeting, open_socket, open_stream, start_tls
from mailhub.transport.errors import TransportFailure
from mailhub.transport.probe import ProbeRecord

MAX_RESPONSE = 1024 * 1024  # one response line with its literals; more means this is not a verification reply
CLIENT_ID = ("name", "mailhub", "version", "0.1", "vendor", "mailhub")
_LITERAL = re.compile(rb"\{(\d+)\+?\}\r\n$")
_CAPABILITY_CODE = re.compile(r"\[CAPABILITY ([^\]]*)\]", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ImapResponse:
    """A tagged completion: ``status`` OK/NO/BAD, ``text`` after the status, the untagged lines before it."""

    status: str
    text: str
    untagged: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "OK"

    @property
    def line(self) -> str:
        return f"{self.status} {self.text}".strip()


def quote(value: str) -> str:
    """An IMAP quoted string."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:  # Exmail answers a malformed LOGIN with a GBK line
        return raw.decode("gb18030", errors="replace")


class ImapClient:
    """One IMAP connection. ``capabilities`` is the server's latest list (upper-case)."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, record: ProbeRecord
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._host = host
        self._record = record
        self._tags = 0
        self.capabilities: frozenset[str] = frozenset()

    def __repr__(self) -> str:
        return f"ImapClient(host={self._host!r}, phase={self._record.phase!r})"

    @classmethod
    async def connect(
        cls, host: str, port: int, tls: str, record: ProbeRecord, *, connect_timeout: float, greeting_wait: float
    ) -> ImapClient:
        """Connect (TLS per ``tls``: "ssl" implicit or "starttls"), read the greeting, upgrade if STARTTLS."""
        record.enter("connect")
        sock = await open_socket(host, port, timeout=connect_timeout)
        if tls == "ssl":
            record.enter("tls")
            reader, writer = await open_stream(sock, tls_host=host, timeout=connect_timeout)
        else:
            record.enter("greeting")
            await expect_plaintext_greeting(
                sock, wait=greeting_wait, timeout=connect_timeout, nudge=b"a0 CAPABILITY\r\n"
            )
            reader, writer = await open_stream(sock, tls_host=None, timeout=connect_timeout)
        client = cls(reader, writer, host, record)
        await client._read_greeting()
        if tls == "starttls":
            await client.starttls(timeout=connect_timeout)
        return client

    # -- reading ----------------------------------------------------------------------------------------------
    async def _read_line(self) -> str:
        """One response line with any literals inlined; ``closed`` if the server hangs up."""
        try:
            raw = await self._reader.readuntil(b"\r\n")
            while (match := _LITERAL.search(raw)) is not None:
                size = int(match.group(1))
                if len(raw) + size > MAX_RESPONSE:
                    raise TransportFailure("protocol", self._record.phase, detail="response too large")
                raw += await self._reader.readexactly(size)
                raw += await self._reader.readuntil(b"\r\n")
        except asyncio.IncompleteReadError as exc:
            partial = _decode(exc.partial).strip()
            raise TransportFailure("closed", self._record.phase, reply=partial or None) from None
        except asyncio.LimitOverrunError:
            raise TransportFailure("protocol", self._record.phase, detail="line too long") from None
        except OSError as exc:
            raise TransportFailure("closed", self._record.phase, detail=str(exc)) from None
        line = _decode(raw[:-2])
        self._record.transcript.server(line)
        return line

    async def _read_greeting(self) -> None:
        self._record.enter("greeting")
        line = await self._read_line()
        upper = line.upper()
        if upper.startswith("* BYE"):
            raise TransportFailure("closed", "greeting", reply=line)
        if not (upper.startswith("* OK") or upper.startswith("* PREAUTH")):
            # "220 ..." (SMTP), "+OK" (POP3), or noise: this port speaks another protocol
            raise TransportFailure("wrong_port", "greeting", reply=line)
        self._note_capabilities(line)

    def _note_capabilities(self, text: str) -> None:
        match = _CAPABILITY_CODE.search(text)
        if match:
            self._set_capabilities(match.group(1))

    def _set_capabilities(self, listing: str) -> None:
        self.capabilities = frozenset(word.upper() for word in listing.split())
        self._record.capabilities = tuple(sorted(self.capabilities))

    # -- commands ---------------------------------------------------------------------------------------------
    def _next_tag(self) -> str:
        self._tags += 1
        return f"a{self._tags}"

    async def _send(self, text: str, shown: str | None = None) -> None:
        self._record.transcript.client(shown if shown is not None else text)
        self._writer.write(text.encode("utf-8") + b"\r\n")
        try:
            await self._writer.drain()
        except OSError as exc:
            raise TransportFailure("closed", self._record.phase, detail=str(exc)) from None

    async def _complete(self, tag: str) -> ImapResponse:
        """Read until the tagged completion for ``tag``; other tags (a nudge) are skipped."""
        untagged: list[str] = []
        while True:
            line = await self._read_line()
            if line.startswith("* "):
                untagged.append(line[2:])
                if line[2:].upper().startswith("CAPABILITY "):
                    self._set_capabilities(line[len("* CAPABILITY ") :])
                continue
            if line.startswith("+"):
                raise TransportFailure("protocol", self._record.phase, reply=line)
            got, _, rest = line.partition(" ")
            if got != tag:
                continue
            status, _, text = rest.partition(" ")
            self._note_capabilities(text)
            return ImapResponse(status.upper(), text, untagged)

    async def command(self, text: str, *, shown: str | None = None) -> ImapResponse:
        """Send ``text`` with a fresh tag and return its completion (``shown`` replaces it in the transcript)."""
        tag = self._next_tag()
        await self._send(f"{tag} {text}", None if shown is None else f"{tag} {shown}")
        return await self._complete(tag)

    async def capability(self) -> frozenset[str]:
        self._record.enter("capability")
        response = await self.command("CAPABILITY")
        if not response.ok:
            raise TransportFailure("protocol", "capability", reply=response.line)
        return self.capabilities

    async def starttls(self, *, timeout: float) -> None:
        if not self.capabilities:
            await self.capability()
        self._record.enter("starttls")
        if "STARTTLS" not in self.capabilities:
            raise TransportFailure("starttls_missing", "starttls", detail="the server does not offer STARTTLS")
        response = await self.command("STARTTLS")
        if not response.ok:
            raise TransportFailure("starttls_missing", "starttls", reply=response.line)
        await start_tls(self._writer, self._host, timeout=timeout)
        self.capabilities = frozenset()  # RFC 3501: forget what was said before TLS
        await self.capability()

    async def login(self, username: str, password: str) -> ImapResponse:
        """Log in with AUTHENTICATE PLAIN when offered (UTF-8 safe), else LOGIN; one attempt only, because
        providers lock accounts after a few failures."""
        if not self.capabilities:
            await self.capability()
        self._record.enter("login")
        if "AUTH=PLAIN" in self.capabilities:
            response = await self._authenticate_plain(username, password)
        elif "LOGINDISABLED" in self.capabilities:
            raise TransportFailure("auth", "login", reply="LOGINDISABLED (no password login offered)")
        else:
            user = quote(username)
            response = await self.command(f"LOGIN {user} {quote(password)}", shown=f"LOGIN {user} ***")
        if not response.ok:
            kind = "tls_required" if "PRIVACYREQUIRED" in response.text.upper() else "auth"
            raise TransportFailure(kind, "login", reply=response.line)
        if "[CAPABILITY" not in response.text.upper():
            await self.capability()  # the list usually grows after login (ID, NAMESPACE, ...)
        self._record.enter("login")
        return response

    async def _authenticate_plain(self, username: str, password: str) -> ImapResponse:
        token = base64.b64encode(f"\0{username}\0{password}".encode()).decode("ascii")
        self._record.transcript.add_secret(token)
        tag = self._next_tag()
        if "SASL-IR" in self.capabilities:
            await self._send(f"{tag} AUTHENTICATE PLAIN {token}", f"{tag} AUTHENTICATE PLAIN ***")
            return await self._complete(tag)
        await self._send(f"{tag} AUTHENTICATE PLAIN")
        line = await self._read_line()
        if not line.startswith("+"):
            _got, _, rest = line.partition(" ")
            status, _, text = rest.partition(" ")
            return ImapResponse(status.upper(), text)
        await self._send(token, "***")
        return await self._complete(tag)

    async def identify(self, fields: tuple[str, ...] = CLIENT_ID) -> ImapResponse:
        """RFC 2971 ID. Written ``("name" ...)`` with no space after the parenthesis: NetEase rejects the other."""
        self._record.enter("id")
        return await self.command("ID (" + " ".join(quote(value) for value in fields) + ")")

    async def list_folders(self) -> list[str]:
        self._record.enter("list")
        response = await self.command('LIST "" "%"')
        if not response.ok:
            raise TransportFailure("protocol", "list", reply=response.line)
        return [line for line in response.untagged if line.upper().startswith("LIST ")]

    async def select(self, mailbox: str = "INBOX") -> ImapResponse:
        self._record.enter("select")
        response = await self.command(f"SELECT {quote(mailbox)}")
        if not response.ok:
            raise TransportFailure("select", "select", reply=response.line)
        return response

    async def list_all(self) -> list[str]:
        """Every folder's LIST line (``LIST "" "*"``), attributes included (``\\Sent`` and the like)."""
        self._record.enter("list")
        response = await self.command('LIST "" "*"')
        if not response.ok:
            raise TransportFailure("protocol", "list", reply=response.line)
        return [line for line in response.untagged if line.upper().startswith("LIST ")]

    async def uid_search(self, criteria: str) -> list[int]:
        """``UID SEARCH criteria`` in the selected folder: the matching UIDs."""
        self._record.enter("search")
        response = await self.command(f"UID SEARCH {criteria}")
        if not response.ok:
            raise TransportFailure("protocol", "search", reply=response.line)
        uids: list[int] = []
        for line in response.untagged:
            if line.upper().startswith("SEARCH"):
                uids += [int(word) for word in line.split()[1:] if word.isdigit()]
        return uids

    async def append(self, mailbox: str, message: bytes, flags: tuple[str, ...] = ("\\Seen",)) -> ImapResponse:
        """APPEND ``message`` to ``mailbox`` (LITERAL+ when offered, else waiting for the server's ``+``)."""
        self._record.enter("append")
        tag = self._next_tag()
        plus = "+" if "LITERAL+" in self.capabilities else ""
        await self._send(f"{tag} APPEND {quote(mailbox)} ({' '.join(flags)}) {{{len(message)}{plus}}}")
        if not plus:
            line = await self._read_line()
            if not line.startswith("+"):
                _got, _, rest = line.partition(" ")
                status, _, text = rest.partition(" ")
                raise TransportFailure("protocol", "append", reply=f"{status} {text}".strip())
        self._writer.write(message + b"\r\n")
        try:
            await self._writer.drain()
        except OSError as exc:
            raise TransportFailure("closed", "append", detail=str(exc)) from None
        response = await self._complete(tag)
        if not response.ok:
            raise TransportFailure("protocol", "append", reply=response.line)
        return response

    async def append_many(
        self, mailbox: str, messages: list[bytes], flags: tuple[str, ...] = ("\\Seen",)
    ) -> list[ImapResponse]:
        """APPEND several messages; with LITERAL+ all are sent before reading the first answer (one round
        trip for the lot), otherwise one after another. Raises at the first refusal."""
        if "LITERAL+" not in self.capabilities:
            return [await self.append(mailbox, message, flags) for message in messages]
        self._record.enter("append")
        tags = []
        for message in messages:
            tag = self._next_tag()
            tags.append(tag)
            line = f"{tag} APPEND {quote(mailbox)} ({' '.join(flags)}) {{{len(message)}+}}"
            self._record.transcript.client(line)
            self._writer.write(line.encode("utf-8") + b"\r\n" + message + b"\r\n")
        try:
            await self._writer.drain()
        except OSError as exc:
            raise TransportFailure("closed", "append", detail=str(exc)) from None
        responses = [await self._complete(tag) for tag in tags]
        for response in responses:
            if not response.ok:
                raise TransportFailure("protocol", "append", reply=response.line)
        return responses

    async def logout(self, *, timeout: float = 2.0) -> None:
        """Say goodbye politely but never wait long for it."""
        with contextlib.suppress(TransportFailure, TimeoutError, OSError):
            await asyncio.wait_for(self.command("LOGOUT"), timeout)
        await self.close()

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(OSError, TimeoutError):
            await asyncio.wait_for(self._writer.wait_closed(), 1.0)


async def check_imap(
    record: ProbeRecord,
    *,
    host: str,
    port: int,
    tls: str,
    username: str,
    password: str,
    connect_timeout: float = 5.0,
    greeting_wait: float = 2.0,
) -> None:
    """The IMAP half of verification: connect, log in, ID when offered, LIST, SELECT INBOX, LOGOUT.
    Raises ``TransportFailure`` at the first step that fails."""
    client = await ImapClient.connect(
        host, port, tls, record, connect_timeout=connect_timeout, greeting_wait=greeting_wait
    )
    try:
        await client.login(username, password)
        if "ID" in client.capabilities:
            await client.identify()  # a refusal is kept in the transcript; SELECT tells whether it mattered
        await client.list_folders()
        await client.select("INBOX")
        record.enter("done")
        await client.logout()
    finally:
        await client.close()
