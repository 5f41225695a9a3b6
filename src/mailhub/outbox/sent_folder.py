"""The account's Sent folder over IMAP: put a copy of what we sent there, and find a message by Message-ID.

Some providers file what goes out through SMTP in Sent themselves; appending there too would show every
message twice. After a crash, Sent is where the hub looks before it would ever send a message again.
"""

from __future__ import annotations

import re

from mailhub.catalog.catalog import load_catalog
from mailhub.catalog.model import ServerSettings
from mailhub.transport.errors import TransportFailure
from mailhub.transport.imap import ImapClient, quote
from mailhub.transport.probe import ProbeRecord

SENT_NAMES = ("Sent", "Sent Messages", "Sent Items", "Sent Mail", "[Gmail]/Sent Mail", "INBOX.Sent")
_LIST_LINE = re.compile(r'^LIST \(([^)]*)\) (?:"[^"]*"|NIL) (.+)$', re.IGNORECASE)


def files_sent_itself(provider_id: str | None) -> bool:
    """True when the provider keeps its own copy of mail sent through SMTP (the catalog's
    ``files_sent_copy``)."""
    provider = load_catalog().get(provider_id) if provider_id else None
    return provider is not None and provider.files_sent_copy


def _name(token: str) -> str:
    token = token.strip()
    if token.startswith('"') and token.endswith('"'):
        return token[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return token


def sent_folder_name(list_lines: list[str]) -> str | None:
    """The folder marked ``\\Sent`` (RFC 6154), else the first one with a usual name."""
    folders: list[tuple[str, set[str]]] = []
    for line in list_lines:
        match = _LIST_LINE.match(line)
        if match:
            folders.append((_name(match.group(2)), {a.lower() for a in match.group(1).split()}))
    for name, attributes in folders:
        if "\\sent" in attributes:
            return name
    names = {name.lower(): name for name, _ in folders}
    for wanted in SENT_NAMES:
        if wanted.lower() in names:
            return names[wanted.lower()]
    return None


class SentFolder:
    """A logged-in IMAP session with the Sent folder selected."""

    def __init__(self, client: ImapClient, name: str) -> None:
        self._client = client
        self.name = name

    def __repr__(self) -> str:
        return f"SentFolder({self.name!r})"

    @classmethod
    async def open(cls, server: ServerSettings, username: str, password: str, *, timeout: float) -> SentFolder:
        record = ProbeRecord()
        record.transcript.add_secret(password)
        client = await ImapClient.connect(
            server.host, server.port, server.tls, record, connect_timeout=timeout, greeting_wait=min(timeout, 2.0)
        )
        try:
            await client.login(username, password)
            if "ID" in client.capabilities:
                await client.identify()  # some providers refuse SELECT until the client has said who it is
            name = sent_folder_name(await client.list_all())
            if name is None:
                raise TransportFailure("select", "select", detail="no Sent folder on the server")
            await client.select(name)
        except BaseException:
            await client.close()
            raise
        return cls(client, name)

    async def contains(self, message_id: str) -> bool:
        """Whether a message with this Message-ID is in Sent now."""
        await self._client.command("NOOP")  # let the server tell us about mail filed since we selected
        return bool(await self._client.uid_search(f"HEADER Message-ID {quote(message_id)}"))

    async def append(self, raw: bytes) -> None:
        """Keep a copy of a sent message, marked read."""
        await self._client.append(self.name, raw, ("\\Seen",))

    async def append_many(self, raws: list[bytes]) -> None:
        """Keep copies of several sent messages, in one round trip where the server allows it."""
        await self._client.append_many(self.name, raws, ("\\Seen",))

    async def close(self) -> None:
        await self._client.logout()
