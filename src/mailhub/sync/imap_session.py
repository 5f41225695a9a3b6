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
from mailhub.transport.errors import TransportFailure
from mailhub.transport.imap import ImapClient, quote
from mailhub.transport.probe import ProbeRecord

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
        self.pending_changes = False  # an EXISTS/EXPUNGE/FETCH arrived unasked: the folder changed

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
        """Connect, log in (one attempt: providers lock accounts after a few), say ID when offered."""
        record = ProbeRecord()
        record.transcript.add_secret(password)
        client = await asyncio.wait_for(
            ImapClient.connect(host, port, tls, record, connect_timeout=timeout, greeting_wait=2.0), timeout
        )
        try:
            await asyncio.wait_for(client.login(username, password), timeout)
            if "ID" in client.capabilities:
                await asyncio.wait_for(client.identify(), timeout)
        except BaseException:
            await client.close()
            raise
        # The login client owns the streams; from here on only this session reads them.
        return cls(client, client._reader, client._writer, read_timeout=read_timeout)

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
        if any(_UNSOLICITED_CHANGE.match(line) for line in done.untagged):
            self.pending_changes = True
        return done

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
        self.pending_changes = False
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
            elif _UNSOLICITED_CHANGE.match(response):
                self.pending_changes = True

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

    async def noop(self) -> bool:
        """NOOP; True when the selected folder reported a change."""
        await self.command("NOOP")
        changed, self.pending_changes = self.pending_changes, False
        return changed

    async def idle(self, seconds: float) -> bool:
        """IDLE up to ``seconds``; True as soon as the folder changes (then DONE), False when time ran out."""
        if self.pending_changes:
            self.pending_changes = False
            return True
        tag = await self._send("IDLE")
        changed = False
        while True:
            response = await self._read()
            if response.startswith(b"+"):
                break
            if response.startswith(tag.encode() + b" "):
                raise ImapCommandFailed("IDLE", _decode(response))
        try:
            # One deadline for the whole IDLE: keep-alive lines ("* OK Still here") must not extend it.
            async with asyncio.timeout(seconds):
                while not changed:
                    line = await self._responses.read_line()  # cancelling readuntil loses nothing
                    if line.startswith(b"* BYE"):
                        raise TransportFailure("closed", "idle", reply=_decode(line.strip()))
                    changed = _UNSOLICITED_CHANGE.match(line) is not None
        except TimeoutError:
            pass
        except asyncio.IncompleteReadError:
            raise TransportFailure("closed", "idle", detail="the server closed the connection") from None
        self._writer.write(b"DONE\r\n")
        done = await self._complete(tag, None)
        if done.status != "OK":
            raise ImapCommandFailed("IDLE", f"{done.status} {done.text}")
        return changed or any(_UNSOLICITED_CHANGE.match(line) for line in done.untagged)

    async def logout(self) -> None:
        await self._client.logout()

    async def close(self) -> None:
        await self._client.close()


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
