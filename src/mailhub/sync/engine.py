"""One account's sync worker: one IMAP session that pulls mail in, then follows INBOX with IDLE.

``AccountSync.sync_once()`` brings the account to the present and logs out (``mailhub sync --once``);
``AccountSync.run()`` keeps going: sync, IDLE on INBOX (re-issued before providers drop it), sync again on
every change, reconnect with backoff when the connection breaks. A refused login sets the account to 异常
with its diagnosis and slows retries to 5 min, 15 min, 1 h; an edited password is picked up at once.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from mailhub.accounts.status import AccountStatus
from mailhub.accounts.vault import SealedSecret, Secret, Vault, secret_forms
from mailhub.store import SecretRow, Store
from mailhub.sync.account_state import AccountView, Publish, load_account, mark_login_refused, mark_recovered
from mailhub.sync.backoff import AuthRetry, Backoff, Timing
from mailhub.sync.fetch_reader import ResponseTooLarge
from mailhub.sync.folder_sync import FolderChanges, Progress, Summarize, fetch_arrivals, sync_folder
from mailhub.sync.folders import Folder, folders_to_sync, parse_list
from mailhub.sync.imap_session import ImapCommandFailed, ImapSession
from mailhub.sync.mailbox_store import folder_row
from mailhub.sync.summarizing import summarize_inline
from mailhub.transport.errors import TransportFailure

log = logging.getLogger("mailhub.sync")

# RFC 2177: servers may drop an IDLE after 30 minutes; some providers much sooner.
IDLE_SECONDS = 25 * 60
IDLE_SECONDS_BY_PROVIDER = {"netease-163": 5 * 60, "netease-126": 5 * 60, "netease-yeah": 5 * 60, "qq": 10 * 60}
CONNECTION_TROUBLE = (
    TransportFailure,
    ImapCommandFailed,
    OSError,
    TimeoutError,
    ResponseTooLarge,
    asyncio.IncompleteReadError,
)


@dataclass(slots=True)
class SyncOptions:
    """What to sync and how often; the defaults suit a real provider."""

    extra_folders: tuple[str, ...] = ()
    batch_size: int = 500
    idle_seconds: float | None = None  # None: by provider, else IDLE_SECONDS
    poll_seconds: float = 60.0  # NOOP polling where IDLE is missing
    full_pass_seconds: float = 15 * 60  # Sent and other folders are looked at this often while idling
    recheck_seconds: float = 10.0  # while waiting after a refused login: has the password been edited?
    connect_timeout: float = 15.0
    read_timeout: float = 120.0  # mid-command silence that means the link is dead (a stalled proxy, NAT)
    summarize: Summarize | None = None  # None: in this process; a SummaryPool for big first syncs


@dataclass(slots=True)
class SyncReport:
    """What one pass over the account found, per folder."""

    folders: list[FolderChanges] = field(default_factory=list)

    @property
    def new(self) -> int:
        return sum(len(f.new_uids) for f in self.folders)


class LoginRefused(Exception):
    """The server refused the login; ``code`` is the diagnosis (the account is now 异常)."""

    def __init__(self, code: str, reply: str) -> None:
        self.code = code
        self.reply = reply
        super().__init__(f"login refused ({code}): {reply}")


class AccountSync:
    """The sync worker of one account (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        vault: Vault,
        account_id: int,
        *,
        publish: Publish | None = None,
        options: SyncOptions | None = None,
        timing: Timing | None = None,
        backoff: Backoff | None = None,
        auth_retry: AuthRetry | None = None,
    ) -> None:
        self.store = store
        self.vault = vault
        self.account_id = account_id
        self.publish = publish
        self.options = options or SyncOptions()
        self.timing = timing or Timing()
        self.backoff = backoff or Backoff()
        self.auth_retry = auth_retry or AuthRetry()
        self.login_attempts: list[float] = []  # clock times of every login tried (health pages, tests)
        self.last_error: str | None = None
        self._condstore = False

    def __repr__(self) -> str:
        return f"AccountSync(account_id={self.account_id})"

    # -- one pass --------------------------------------------------------------------------------------
    async def sync_once(self, progress: Progress | None = None) -> SyncReport:
        """Connect, bring every synced folder to the present, log out. Raises ``LoginRefused`` (account set
        to 异常) or a connection failure."""
        account = self._account()
        session = await self._login(account)
        try:
            report = await self._sync_all(session, account, progress)
            await session.logout()
            return report
        finally:
            await session.close()

    # -- the long run ----------------------------------------------------------------------------------
    async def run(self) -> None:
        """Sync and follow the account until cancelled, paused or deleted."""
        while True:
            account = load_account(self.store, self.account_id)
            if account is None or account.status == AccountStatus.PAUSED.value:
                return
            try:
                session = await self._login(account)
            except LoginRefused:
                await self._wait_for_fix(self.auth_retry.next_delay(), account.secret_stamp)
                continue
            except CONNECTION_TROUBLE as exc:
                self.last_error = str(exc)
                log.info("account %s: cannot connect (%s)", self.account_id, exc)
                await self.timing.sleep(self.backoff.next_delay())
                continue
            connected_at = self.timing.clock()
            try:
                await self._follow(session, account)
            except CONNECTION_TROUBLE as exc:
                self.last_error = str(exc)
                log.info("account %s: connection lost (%s)", self.account_id, exc)
            except Exception as exc:  # a bug or a store error must not end the worker: log, back off, retry
                self.last_error = repr(exc)
                log.exception("account %s: sync failed", self.account_id)
            finally:
                await session.close()
            self.backoff.connected_for(self.timing.clock() - connected_at)
            await self.timing.sleep(self.backoff.next_delay())

    async def _follow(self, session: ImapSession, account: AccountView) -> None:
        """First (or catch-up) sync, then IDLE on INBOX and sync whatever changes, forever."""
        await self._sync_all(session, account, None)
        inbox = Folder("INBOX", (), None)
        idle_seconds = self.options.idle_seconds or IDLE_SECONDS_BY_PROVIDER.get(
            account.provider_id or "", IDLE_SECONDS
        )
        last_full = self.timing.clock()
        await self._watch_inbox(session, account, inbox)
        while True:
            if "IDLE" in session.capabilities:
                changed = await session.idle(idle_seconds)
            else:
                await asyncio.sleep(self.options.poll_seconds)
                changed = await session.noop()
            if self.timing.clock() - last_full >= self.options.full_pass_seconds:
                await self._sync_all(session, account, None)
                last_full = self.timing.clock()
                await self._watch_inbox(session, account, inbox)
            elif changed == {"EXISTS"}:  # only new mail: fetch what arrived, nothing else
                self._announce(await self._arrivals(account, session, inbox))
            elif changed:
                self._announce(await self._sync_folder(session, account, inbox, None))

    async def _watch_inbox(self, session: ImapSession, account: AccountView, inbox: Folder) -> None:
        """SELECT INBOX for IDLE, first storing what arrived since INBOX was last synced: that SELECT's EXISTS
        already counts such mail, so IDLE never reports it and it would wait for the next full pass."""
        selected = await session.select("INBOX", condstore=self._condstore)
        stored = folder_row(self.store, account.id, inbox).uidnext
        if selected.uidnext is None or stored is None or selected.uidnext > stored:
            self._announce(await self._arrivals(account, session, inbox))

    # -- steps -----------------------------------------------------------------------------------------
    def _account(self) -> AccountView:
        account = load_account(self.store, self.account_id)
        if account is None:
            raise LookupError(f"no account {self.account_id}")
        return account

    def _password(self) -> Secret:
        with self.store.session() as session:
            row = session.scalar(select(SecretRow).where(SecretRow.account_id == self.account_id))
            if row is None:
                raise LookupError(f"account {self.account_id} has no stored password")
            sealed = SealedSecret(row.ciphertext, row.nonce, row.key_id)
        return self.vault.open(self.account_id, sealed)

    async def _login(self, account: AccountView) -> ImapSession:
        secret = self._password()
        self.login_attempts.append(self.timing.clock())
        try:
            session = await ImapSession.open(
                account.host,
                account.port,
                account.tls,
                account.username,
                secret.reveal(),
                timeout=self.options.connect_timeout,
                read_timeout=self.options.read_timeout,
            )
        except TransportFailure as exc:
            if exc.kind != "auth":
                raise
            reply = exc.reply or exc.detail or ""
            forms = secret_forms(secret, account.username)
            code = mark_login_refused(self.store, account, reply, publish=self.publish, secret_forms=forms)
            self.last_error = f"login refused ({code})"
            log.warning("account %s: login refused (%s)", account.id, code)
            raise LoginRefused(code, reply) from None
        self.auth_retry.reset()
        mark_recovered(self.store, account, publish=self.publish)
        self._condstore = await session.enable_condstore()
        return session

    async def _sync_all(self, session: ImapSession, account: AccountView, progress: Progress | None) -> SyncReport:
        listed = parse_list(await session.list_folders())
        report = SyncReport()
        for folder in folders_to_sync(listed, self.options.extra_folders):
            changes = await self._sync_folder(session, account, folder, progress)
            report.folders.append(changes)
            self._announce(changes)
        return report

    async def _sync_folder(
        self, session: ImapSession, account: AccountView, folder: Folder, progress: Progress | None
    ) -> FolderChanges:
        def report(name: str, done: int, total: int) -> None:
            if progress is not None:
                progress(name, done, total)
            if self.publish is not None:
                self.publish("sync.progress", self.account_id, {"folder": name, "done": done, "total": total})

        return await sync_folder(
            session,
            self.store,
            account.id,
            folder,
            since=_since(account.sync_days),
            batch_size=self.options.batch_size,
            condstore=self._condstore,
            progress=report,
            summarize=self.options.summarize or summarize_inline,
        )

    async def _arrivals(self, account: AccountView, session: ImapSession, folder: Folder) -> FolderChanges:
        return await fetch_arrivals(
            session,
            self.store,
            account.id,
            folder,
            condstore=self._condstore,
            summarize=self.options.summarize or summarize_inline,
        )

    def _announce(self, changes: FolderChanges) -> None:
        if self.publish is None:
            return
        events: list[tuple[str, dict[str, Any]]] = []
        if changes.new_uids:
            events.append(("mail.new", {"count": len(changes.new_uids), "uids": changes.new_uids[:1000]}))
        if changes.flag_changes:
            events.append(("mail.flags", {"count": len(changes.flag_changes), "uids": changes.flag_changes[:1000]}))
        if changes.expunged:
            events.append(("mail.expunged", {"count": len(changes.expunged), "uids": changes.expunged[:1000]}))
        for kind, data in events:
            self.publish(kind, self.account_id, {"folder": changes.folder, **data})

    async def _wait_for_fix(self, delay: float, stamp: str) -> None:
        """Wait ``delay`` after a refused login, but retry at once when the password is edited or the
        account was verified again elsewhere (no extra login attempts while nothing changed)."""
        waited = 0.0
        while waited < delay:
            step = min(self.options.recheck_seconds, delay - waited)
            await self.timing.sleep(step)
            waited += step
            account = load_account(self.store, self.account_id)
            if account is None or account.status == AccountStatus.PAUSED.value:
                return
            if account.secret_stamp != stamp:
                return


def _since(sync_days: int | None) -> date | None:
    if not sync_days:
        return None
    return (datetime.now(UTC) - timedelta(days=sync_days)).date()
