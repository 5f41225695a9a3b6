"""One account's long-lived IMAP session for syncing: SELECT, UID SEARCH/FETCH/STORE/MOVE, IDLE, NOOP.

Connecting and logging in go through ``transport.imap.ImapClient`` (TLS, STARTTLS, ID, a transcript that never
holds the secret); after login this class takes over the same streams with the fast ``ResponseReader``,
because FETCH responses carry megabytes of literals that the login client is not built to read.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from mailhub.sync.fetch_reader import FetchedMessage, ResponseReader, read_fetch
from mailhub.sync.tls_stream import open_tls_stream
from mailhub.transport.connect import open_socket
from mailhub.transport.errors import TransportFailure
from mailhub.transport.imap import ImapClient, quote
from mailhub.transport.probe import ProbeRecord
from mailhub.transport.transcript import Transcript

_CODE = re.compile(rb"\[(UIDVALIDITY|UIDNEXT|HIGHESTMODSEQ) (\d+)\]", re.IGNORECASE)
_EXISTS = re.compile(rb"\* (\d+) EXISTS", re.IGNORECASE)
_UNSOLICITED_CHANGE = re.compile(rb"\* \d+ (EXISTS|EXPUNGE|FETCH)", re.IGNORECASE)


class ImapCommandFailed(Exception):
    """A command was answered NO or BAD; ``reply`` holds the server's words."""

    def __init__(self, command: str, reply: str) -> None:
        self.command = command
        self.reply = reply
        super().__init__(f"{command}: {reply}")


@dataclass(slots=True)
class Completion:
    """A tagged completion and the untagged responses that came before it (raw, literals inline)."""

    status: str
    text: str
    untagged: list[bytes] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SelectedFolder:
    """What SELECT said about a folder: the cursors the engine compares with its own."""

    name: str
    exists: int
    uidvalidity: int
    uidnext: int | None
    highestmodseq: int | None


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


class ImapSession:
    """A logged-in IMAP connection. Not safe for concurrent commands: the engine runs one at a time."""

    def __init__(
        self,
        client: ImapClient,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        read_timeout: float = 120.0,
    ) -> None:
        self._client = client
        self.read_timeout = read_timeout  # a server silent this long mid-command is a dead (or stalled) link
        self._responses = ResponseReader(reader)
        self._writer = writer
        self._tags = 0
        self.selected: SelectedFolder | None = None
        self.pending_changes: set[str] = set()  # EXISTS / EXPUNGE / FETCH seen unasked: the folder changed

    def __repr__(self) -> str:
        return f"ImapSession({self._client!r})"

    @property
    def capabilities(self) -> frozenset[str]:
        return self._client.capabilities

    @classmethod
    async def open(
        cls,
        host: str,
        port: int,
        tls: str,
        username: str,
        password: str,
        *,
        timeout: float = 15.0,
        read_timeout: float = 120.0,
    ) -> ImapSession:
        """Connect, log in (one attempt: providers lock accounts after a few), say ID when offered.

        Implicit TLS goes through ``open_tls_stream`` (a 17 KiB TLS read buffer instead of asyncio's 256 KiB);
        STARTTLS through the login client's own connect."""
        record = ProbeRecord()
        record.transcript.add_secret(password)
        async with asyncio.timeout(timeout):
            if tls == "ssl":
                reader, writer = await _implicit_tls(host, port, timeout)
                client = ImapClient(reader, writer, host, record)
            else:
                client = await ImapClient.connect(host, port, tls, record, connect_timeout=timeout, greeting_wait=2.0)
                # The login client owns these streams; after login only this session reads them.
                reader, writer = client._reader, client._writer
        try:
            async with asyncio.timeout(timeout):
                await client.login(username, password)
                if "ID" in client.capabilities:
                    await client.identify()
        except BaseException:
            await client.close()
            raise
        record.transcript = Transcript()  # the login transcript is not needed for the session's days
        return cls(client, reader, writer, read_timeout=read_timeout)

    # -- the wire --------------------------------------------------------------------------------------
    async def _send(self, text: str) -> str:
        self._tags += 1
        tag = f"s{self._tags}"
        self._writer.write(f"{tag} {text}\r\n".encode())
        try:
            await self._writer.drain()
        except OSError as exc:
            raise TransportFailure("closed", "sync", detail=str(exc)) from None
        return tag

    async def _read(self) -> bytes:
        try:
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel that races a completed read
            async with asyncio.timeout(self.read_timeout):
                return await self._responses.read_response()
        except TimeoutError:
            raise TransportFailure("timeout", "sync", detail=f"no answer within {self.read_timeout:g} s") from None
        except asyncio.IncompleteReadError:
            raise TransportFailure("closed", "sync", detail="the server closed the connection") from None
        except OSError as exc:
            raise TransportFailure("closed", "sync", detail=str(exc)) from None

    async def _complete(self, tag: str, on_untagged: Callable[[bytes], None] | None) -> Completion:
        untagged: list[bytes] = []
        prefix = tag.encode() + b" "
        while True:
            response = await self._read()
            if response.startswith(prefix):
                status, _, text = _decode(response[len(prefix) :]).partition(" ")
                return Completion(status.upper(), text, untagged)
            if response.startswith(b"* BYE"):
                raise TransportFailure("closed", "sync", reply=_decode(response))
            if on_untagged is not None and response.startswith(b"* "):
                on_untagged(response)
            else:
                untagged.append(response)

    async def command(self, text: str, *, on_untagged: Callable[[bytes], None] | None = None) -> Completion:
        """Run one command; NO/BAD raise ``ImapCommandFailed``."""
        tag = await self._send(text)
        done = await self._complete(tag, on_untagged)
        if done.status != "OK":
            raise ImapCommandFailed(text.split(" ", 1)[0], f"{done.status} {done.text}")
        for line in done.untagged:
            self._note_change(line)
        return done

    def _note_change(self, line: bytes) -> bool:
        match = _UNSOLICITED_CHANGE.match(line)
        if match is not None:
            self.pending_changes.add(match.group(1).upper().decode())
        return match is not None

    # -- commands --------------------------------------------------------------------------------------
    async def enable_condstore(self) -> bool:
        """CONDSTORE on when offered (flags changes then come by MODSEQ instead of a full flag scan)."""
        if "CONDSTORE" not in self.capabilities:
            return False
        if "ENABLE" in self.capabilities:
            await self.command("ENABLE CONDSTORE")
        return True

    async def select(self, name: str, *, condstore: bool = False) -> SelectedFolder:
        done = await self.command(f"SELECT {quote(name)}" + (" (CONDSTORE)" if condstore else ""))
        codes: dict[str, int] = {}
        exists = 0
        for line in [*done.untagged, done.text.encode()]:
            for key, value in _CODE.findall(line):
                codes[key.decode().upper()] = int(value)
            if (match := _EXISTS.match(line)) is not None:
                exists = int(match.group(1))
        self.pending_changes.clear()
        self.selected = SelectedFolder(
            name, exists, codes.get("UIDVALIDITY", 0), codes.get("UIDNEXT"), codes.get("HIGHESTMODSEQ")
        )
        return self.selected

    async def uid_search(self, criteria: str) -> list[int]:
        done = await self.command(f"UID SEARCH {criteria}")
        uids: list[int] = []
        for line in done.untagged:
            if line[:9].upper() == b"* SEARCH ":
                uids.extend(int(word) for word in line[9:].split() if word.isdigit())
        return uids

    async def uid_fetch(
        self, uids: str, items: str, *, modifiers: str = "", on_message: Callable[[FetchedMessage], None]
    ) -> list[bytes]:
        """UID FETCH; each readable FETCH response goes to ``on_message``; unreadable ones are returned raw."""
        unreadable: list[bytes] = []

        def take(response: bytes) -> None:
            try:
                message = read_fetch(response)
            except ValueError:
                unreadable.append(response)
                return
            if message is not None:
                on_message(message)
            else:
                self._note_change(response)

        await self.command(f"UID FETCH {uids} {items}" + (f" ({modifiers})" if modifiers else ""), on_untagged=take)
        return unreadable

    async def uid_store(self, uids: str, change: str) -> None:
        await self.command(f"UID STORE {uids} {change}")

    async def uid_move(self, uids: str, folder: str) -> None:
        """MOVE when offered, else COPY + \\Deleted + (UID) EXPUNGE."""
        if "MOVE" in self.capabilities:
            await self.command(f"UID MOVE {uids} {quote(folder)}")
            return
        await self.command(f"UID COPY {uids} {quote(folder)}")
        await self.delete(uids)

    async def delete(self, uids: str) -> None:
        await self.uid_store(uids, "+FLAGS.SILENT (\\Deleted)")
        if "UIDPLUS" in self.capabilities:
            await self.command(f"UID EXPUNGE {uids}")
        else:
            await self.command("EXPUNGE")

    async def list_folders(self) -> list[bytes]:
        done = await self.command('LIST "" "*"')
        return [line for line in done.untagged if line[:7].upper() == b"* LIST "]

    async def noop(self) -> set[str]:
        """NOOP; the kinds of change (EXISTS, EXPUNGE, FETCH) the selected folder reported meanwhile."""
        await self.command("NOOP")
        return self._take_changes()

    def _take_changes(self) -> set[str]:
        changes, self.pending_changes = self.pending_changes, set()
        return changes

    async def idle(self, seconds: float) -> set[str]:
        """IDLE up to ``seconds``; returns at the first change with its kinds (EXISTS, EXPUNGE, FETCH), or an
        empty set when the time ran out."""
        if self.pending_changes:
            return self._take_changes()
        tag = await self._send("IDLE")
        while True:
            response = await self._read()
            if response.startswith(b"+"):
                break
            if response.startswith(tag.encode() + b" "):
                raise ImapCommandFailed("IDLE", _decode(response))
        try:
            # One deadline for the whole IDLE: keep-alive lines ("* OK Still here") must not extend it.
            async with asyncio.timeout(seconds):
                while not self.pending_changes:
                    line = await self._responses.read_line()  # cancelling readuntil loses nothing
                    if line.startswith(b"* BYE"):
                        raise TransportFailure("closed", "idle", reply=_decode(line.strip()))
                    self._note_change(line)
        except TimeoutError:
            pass
        except asyncio.IncompleteReadError:
            raise TransportFailure("closed", "idle", detail="the server closed the connection") from None
        self._writer.write(b"DONE\r\n")
        done = await self._complete(tag, None)
        if done.status != "OK":
            raise ImapCommandFailed("IDLE", f"{done.status} {done.text}")
        for line in done.untagged:
            self._note_change(line)
        return self._take_changes()

    async def logout(self) -> None:
        await self._client.logout()

    async def close(self) -> None:
        await self._client.close()


async def _implicit_tls(host: str, port: int, timeout: float) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """TLS streams with the greeting read and checked (the login client then asks for CAPABILITY)."""
    sock = await open_socket(host, port, timeout=timeout)
    reader, writer = await open_tls_stream(sock, host, timeout=timeout)
    try:
        greeting = await ResponseReader(reader).read_line()
    except (asyncio.IncompleteReadError, OSError):
        writer.close()
        raise TransportFailure("closed", "greeting", detail="the server closed the connection") from None
    text = _decode(greeting).strip()
    if text.upper().startswith("* BYE"):
        writer.close()
        raise TransportFailure("closed", "greeting", reply=text)
    if not text.upper().startswith(("* OK", "* PREAUTH")):
        writer.close()
        raise TransportFailure("wrong_port", "greeting", reply=text)
    return reader, writer


def uid_set(uids: Iterable[int]) -> str:
    """A compact UID set: ``1:5,8,10:12``."""
    ordered = sorted(set(uids))
    if not ordered:
        raise ValueError("an empty UID set")
    ranges: list[str] = []
    start = prev = ordered[0]
    for uid in ordered[1:]:
        if uid == prev + 1:
            prev = uid
            continue
        ranges.append(f"{start}:{prev}" if prev != start else str(start))
        start = prev = uid
    ranges.append(f"{start}:{prev}" if prev != start else str(start))
    return ",".join(ranges)
