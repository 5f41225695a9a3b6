"""What a person does to a message in the hub, done on the server first, then in the store:
mark read/unread, move to another folder, delete.

The server is the truth: a change the server refused is not pretended in the store. Each action opens a
short session of its own (the sync worker keeps its IDLE), and the worker's next pass confirms it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select

from mailhub.accounts.vault import SealedSecret, Vault
from mailhub.store import SecretRow, Store
from mailhub.store.mail_models import FolderRow, MessageRow
from mailhub.sync.account_state import load_account
from mailhub.sync.folders import encode_mutf7
from mailhub.sync.imap_session import ImapSession


class MessageNotFound(LookupError):
    """No stored message has this id (it may have been deleted or moved meanwhile)."""

    def __init__(self, message_id: int) -> None:
        self.message_id = message_id
        super().__init__(f"No message {message_id}.")

    def message(self, lang: str) -> str:
        return f"没有编号为 {self.message_id} 的邮件。" if lang == "zh" else f"No message {self.message_id}."


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """Where a stored message lives on the server."""

    id: int
    account_id: int
    folder_id: int
    folder: str
    uid: int
    flags: str


def find_message(store: Store, message_id: int) -> StoredMessage:
    with store.session() as session:
        found = session.execute(
            select(MessageRow, FolderRow.name)
            .join(FolderRow, FolderRow.id == MessageRow.folder_id)
            .where(MessageRow.id == message_id)
        ).first()
        if found is None:
            raise MessageNotFound(message_id)
        row, folder = found
        return StoredMessage(row.id, row.account_id, row.folder_id, folder, row.uid, row.flags)


async def open_account_session(store: Store, vault: Vault, account_id: int, *, timeout: float = 15.0) -> ImapSession:
    """A logged-in session for one account, with the password from the vault."""
    account = load_account(store, account_id)
    if account is None:
        raise LookupError(f"no account {account_id}")
    with store.session() as session:
        row = session.get(SecretRow, account_id)
        if row is None:
            raise LookupError(f"account {account_id} has no stored password")
        sealed = SealedSecret(row.ciphertext, row.nonce, row.key_id)
    secret = vault.open(account_id, sealed)
    return await ImapSession.open(
        account.host, account.port, account.tls, account.username, secret.reveal(), timeout=timeout
    )


async def mark(store: Store, vault: Vault, message_id: int, *, read: bool) -> StoredMessage:
    """Set or clear \\Seen on the server, then in the store."""
    message = find_message(store, message_id)
    session = await open_account_session(store, vault, message.account_id)
    try:
        await session.select(message.folder)
        await session.uid_store(str(message.uid), ("+" if read else "-") + "FLAGS.SILENT (\\Seen)")
        await session.logout()
    finally:
        await session.close()
    flags = [flag for flag in message.flags.split() if flag.lower() != "\\seen"] + (["\\Seen"] if read else [])
    with store.session() as db:
        row = db.get_one(MessageRow, message_id)
        row.flags, row.seen = " ".join(flags), read
    return message


async def move(store: Store, vault: Vault, message_id: int, folder: str) -> StoredMessage:
    """Move to ``folder`` (as typed, e.g. 已发送 or Archive) on the server; the store drops it from the old
    folder, and the next sync finds it in the new one."""
    message = find_message(store, message_id)
    session = await open_account_session(store, vault, message.account_id)
    try:
        await session.select(message.folder)
        await session.uid_move(str(message.uid), encode_mutf7(folder))
        await session.logout()
    finally:
        await session.close()
    _forget(store, message_id)
    return message


async def delete_message(store: Store, vault: Vault, message_id: int) -> StoredMessage:
    """Delete on the server (\\Deleted, then expunged), then from the store."""
    message = find_message(store, message_id)
    session = await open_account_session(store, vault, message.account_id)
    try:
        await session.select(message.folder)
        await session.delete(str(message.uid))
        await session.logout()
    finally:
        await session.close()
    _forget(store, message_id)
    return message


def _forget(store: Store, message_id: int) -> None:
    with store.session() as db:
        db.execute(delete(MessageRow).where(MessageRow.id == message_id))
