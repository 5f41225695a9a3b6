"""Binding mailboxes: add (验证并保存), list, show, verify, pause, resume, edit, delete, import.

One service for every edge (CLI, REST API, web UI), so they all show the same statuses and words.
The flow of ``add`` is the seed's: detect → password hints → verify IMAP + SMTP → diagnose → save as
正常, or refuse (keep as 异常 with ``save_unverified``). Every status change is stored with its reason.
Database calls are short synchronous units of work between the awaits of detection and verification.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mailhub.accounts import importer
from mailhub.accounts import models as records
from mailhub.accounts.diagnosis import diagnose, password_hints
from mailhub.accounts.models import Account, AccountDetail, AccountError, BindResult, ServerOverrides
from mailhub.accounts.status import AccountStatus
from mailhub.accounts.vault import SealedSecret, Secret, Vault, load_vault, secret_forms
from mailhub.accounts.verify import verify_mailbox
from mailhub.catalog import detect, load_catalog
from mailhub.catalog.model import MailSettings, ServerSettings
from mailhub.store import AccountRow, SecretRow, StatusChangeRow, Store, VerificationRow, open_store
from mailhub.store.models import utcnow

log = logging.getLogger("mailhub.accounts")

# Providers throttle logins per source address; 4 parallel checks per provider stays under every
# published limit we know of (see shared/reference/providers.md).
CONNECTIONS_PER_PROVIDER = 4
IMPORT_CONCURRENCY = 8


class AccountService:
    """The account lifecycle over one store and one vault."""

    def __init__(
        self,
        store: Store,
        vault: Vault,
        *,
        connections_per_provider: int = CONNECTIONS_PER_PROVIDER,
        import_concurrency: int = IMPORT_CONCURRENCY,
        reload_vault: Callable[[], Vault] | None = None,
    ) -> None:
        self.store = store
        self.vault = vault
        # A long-lived service (API, web) re-reads the key once when `vault rotate` ran in another process.
        self._reload_vault = reload_vault
        self.connections_per_provider = connections_per_provider
        self.import_concurrency = import_concurrency
        self._gates: dict[str, asyncio.Semaphore] = {}
        self._in_flight: dict[str, int] = {}
        self.peak_in_flight: dict[str, int] = {}  # the most checks seen at once, per provider

    @classmethod
    def open(cls, settings: Any = None) -> AccountService:
        """The service over the configured database and vault (``MAILHUB_*``)."""
        from mailhub.settings import load_settings

        settings = settings or load_settings()
        env_key = settings.master_key.get_secret_value() if settings.master_key else None
        data_dir = settings.data_dir()

        def reload() -> Vault:
            return load_vault(data_dir, env_key)

        return cls(open_store(settings.db_url()), reload(), reload_vault=reload)

    def close(self) -> None:
        self.store.close()

    def __repr__(self) -> str:
        return f"AccountService({self.store!r}, {self.vault!r})"

    # -- reading ---------------------------------------------------------------------------------------

    def list(self) -> list[Account]:
        """Every bound mailbox, oldest first."""
        with self.store.session() as session:
            rows = session.scalars(select(AccountRow).order_by(AccountRow.id))
            return [records.account_of(row) for row in rows]

    def get(self, ref: int | str) -> Account:
        """One account by id or email (``AccountError`` ``account_not_found`` otherwise)."""
        with self.store.session() as session:
            return records.account_of(self._row(session, ref))

    def show(self, ref: int | str) -> AccountDetail:
        """The account with its status history and latest verification."""
        with self.store.session() as session:
            return records.detail_of(self._row(session, ref))

    # -- binding ---------------------------------------------------------------------------------------

    async def add(
        self,
        email: str,
        password: str | Secret,
        name: str | None = None,
        overrides: ServerOverrides | None = None,
        save_unverified: bool = False,
        sync_days: int | None = None,
    ) -> BindResult:
        """验证并保存: saved as 正常 when IMAP and SMTP both log in; else refused (or kept as 异常)."""
        email = records.normalize_email(email)
        with self.store.session() as session:
            if session.scalar(select(AccountRow.id).where(AccountRow.email == email)) is not None:
                raise _exists(email)
        provider_id, settings = await self._settings_for(email, overrides or ServerOverrides())
        secret, hints = _cleaned(provider_id, password)
        try:
            with self.store.session() as session:
                row = records.new_row(email, name, provider_id, settings, sync_days)
                session.add(row)
                session.flush()
                self._transition(session, row, AccountStatus.VERIFYING, "added", first=True)
                self._seal(session, row.id, secret)
                account_id = row.id
        except IntegrityError:  # the same address added at the same moment elsewhere
            raise _exists(email) from None
        log.info("account %s (%s, provider %s): verifying", account_id, email, provider_id)
        try:
            verification, diagnosis = await self._check(settings, secret, provider_id)
        except BaseException:
            self._abandon(account_id, keep=save_unverified)
            raise
        with self.store.session() as session:
            row = session.get_one(AccountRow, account_id)
            self._record(session, row, verification, diagnosis, secret)
            if verification.ok or save_unverified:
                self._settle(session, row, verification.ok, diagnosis, "verified", secret)
                account = records.account_of(row)
                saved = True
            else:
                session.execute(delete(AccountRow).where(AccountRow.id == account_id))
                account, saved = None, False
        log.info("account %s (%s): ok=%s saved=%s", account_id, email, verification.ok, saved)
        return BindResult(email, account, saved, verification.ok, diagnosis, hints, verification)

    async def verify(self, ref: int | str) -> BindResult:
        """Log in again with the stored settings and password; a paused account stays paused."""
        with self.store.session() as session:
            row = self._row(session, ref)
            paused = row.status == AccountStatus.PAUSED
            if row.status in (AccountStatus.NORMAL, AccountStatus.ERROR):
                self._transition(session, row, AccountStatus.VERIFYING, "reverify")
            account_id, email, provider_id = row.id, row.email, row.provider_id
            settings, secret = records.settings_of(row), self._open_secret(row)
        try:
            verification, diagnosis = await self._check(settings, secret, provider_id)
        except BaseException:
            if not paused:
                self._abandon(account_id, keep=True)
            raise
        with self.store.session() as session:
            row = session.get_one(AccountRow, account_id)
            self._record(session, row, verification, diagnosis, secret)
            if not paused:
                self._settle(session, row, verification.ok, diagnosis, "verified", secret)
            account = records.account_of(row)
        return BindResult(email, account, True, verification.ok, diagnosis, (), verification)

    def pause(self, ref: int | str) -> Account:
        """已暂停: the hub stops using the mailbox until ``resume``."""
        with self.store.session() as session:
            row = self._row(session, ref)
            if row.status != AccountStatus.PAUSED:
                self._transition(session, row, AccountStatus.PAUSED, "paused")
            return records.account_of(row)

    async def resume(self, ref: int | str) -> BindResult:
        """Un-pause: verify again and land on 正常 or 异常."""
        with self.store.session() as session:
            row = self._row(session, ref)
            if row.status == AccountStatus.PAUSED:
                self._transition(session, row, AccountStatus.VERIFYING, "resumed")
            account_id = row.id
        return await self.verify(account_id)

    async def edit(
        self,
        ref: int | str,
        *,
        name: str | None = None,
        password: str | Secret | None = None,
        overrides: ServerOverrides | None = None,
        sync_days: int | None = None,
    ) -> BindResult:
        """Change an account; new servers or a new password are verified first and saved only if they work."""
        overrides = overrides or ServerOverrides()
        reconnect = password is not None or not overrides.is_empty()
        with self.store.session() as session:
            row = self._row(session, ref)
            account_id, email = row.id, row.email
            if not reconnect:  # a name or sync range needs no login
                _rename(row, name, sync_days)
                account = records.account_of(row)
                return BindResult(email, account, True, account.status != AccountStatus.ERROR)
            provider_id = overrides.provider_id or row.provider_id
            settings = overrides.apply(records.settings_of(row))
            current_secret = self._open_secret(row)
        secret, hints = _cleaned(provider_id, password) if password is not None else (current_secret, ())
        verification, diagnosis = await self._check(settings, secret, provider_id)
        with self.store.session() as session:
            row = session.get_one(AccountRow, account_id)
            self._record(session, row, verification, diagnosis, secret)
            if verification.ok:  # nothing changes unless the new settings log in
                _rename(row, name, sync_days)
                records.apply_settings(row, provider_id, settings)
                if password is not None:
                    self._seal(session, account_id, secret)
                if row.status != AccountStatus.PAUSED:
                    self._settle(session, row, True, None, "edited", secret)
            account = records.account_of(row)
        return BindResult(email, account, verification.ok, verification.ok, diagnosis, hints, verification)

    def delete(self, ref: int | str) -> Account:
        """Remove the account with its secret, history and verification records."""
        with self.store.session() as session:
            row = self._row(session, ref)
            account = records.account_of(row)
            for table in (SecretRow, StatusChangeRow, VerificationRow):
                session.execute(delete(table).where(table.account_id == row.id))
            session.execute(delete(AccountRow).where(AccountRow.id == row.id))
        log.info("account %s (%s): deleted", account.id, account.email)
        return account

    async def import_csv(
        self,
        path: Path,
        *,
        save_unverified: bool = False,
        on_result: Callable[[importer.ImportOutcome], None] | None = None,
    ) -> importer.ImportSummary:
        """Bind every ``email,password[,name]`` row, a few at a time; one bad row never stops the rest."""

        async def add(row: importer.ImportRow) -> BindResult:
            return await self.add(row.email, row.password, name=row.name, save_unverified=save_unverified)

        return await importer.bind_all(path, add, concurrency=self.import_concurrency, on_result=on_result)

    # -- the steps -------------------------------------------------------------------------------------

    async def _settings_for(self, email: str, overrides: ServerOverrides) -> tuple[str | None, MailSettings]:
        """Provider and settings: a named provider or typed servers win; detection fills the rest."""
        catalog = load_catalog()
        if overrides.provider_id:
            provider = catalog.get(overrides.provider_id)
            if provider is None:
                raise AccountError(
                    "provider_unknown",
                    f"Unknown provider id {overrides.provider_id!r}.",
                    f"未知的服务商 {overrides.provider_id!r}。",
                )
            return provider.id, overrides.apply(provider.settings_for(email))
        if overrides.servers_complete():
            provider = catalog.by_host(overrides.imap_host or "") or catalog.by_domain(email.split("@")[1])
            blank = ServerSettings(host="", port=0, tls="ssl")
            settings = overrides.apply(MailSettings(imap=blank, smtp=blank, username=email))
            return (provider.id if provider else None), settings
        detection = await detect(email)
        if detection.settings is None:
            raise AccountError(
                "settings_unknown",
                f"Could not find the mail servers for {email}; give them with --imap-host/--imap-port/"
                "--smtp-host/--smtp-port.",
                f"无法找到 {email} 的收发信服务器；请用 --imap-host/--imap-port/--smtp-host/--smtp-port 指定。",
            )
        provider_id = detection.provider.id if detection.provider else None
        return provider_id, overrides.apply(detection.settings)

    async def _check(self, settings: MailSettings, secret: Secret, provider_id: str | None) -> tuple[Any, Any]:
        """Verify IMAP + SMTP (at most ``connections_per_provider`` at once per provider) and diagnose."""
        key = provider_id or settings.imap.host
        gate = self._gates.setdefault(key, asyncio.Semaphore(self.connections_per_provider))
        async with gate:
            self._in_flight[key] = self._in_flight.get(key, 0) + 1
            self.peak_in_flight[key] = max(self.peak_in_flight.get(key, 0), self._in_flight[key])
            try:
                verification = await verify_mailbox(settings, secret.reveal(), provider_id=provider_id)
            finally:
                self._in_flight[key] -= 1
        diagnosis = diagnose(verification, provider_id=provider_id, password=secret.reveal())
        return verification, diagnosis

    def _row(self, session: Session, ref: int | str) -> AccountRow:
        text = str(ref).strip()
        if text.isdigit():
            row = session.get(AccountRow, int(text))
        else:
            row = session.scalar(select(AccountRow).where(AccountRow.email == text.lower()))
        if row is None:
            raise AccountError("account_not_found", f"No account {text!r}.", f"没有账户 {text!r}。")
        return row

    def _transition(
        self,
        session: Session,
        row: AccountRow,
        to: AccountStatus,
        reason: str,
        code: str | None = None,
        *,
        first: bool = False,
    ) -> None:
        """Set the status and keep the change (from, to, reason, diagnosis code, time) in the history."""
        session.add(
            StatusChangeRow(
                account_id=row.id,
                from_status=None if first else row.status,
                to_status=to.value,
                reason=reason,
                diagnosis_code=code,
                at=utcnow(),
            )
        )
        row.status, row.status_reason = to.value, reason

    def _settle(self, session: Session, row: AccountRow, ok: bool, diagnosis: Any, reason: str, secret: Secret) -> None:
        """正常 with the diagnosis cleared, or 异常 with the diagnosis stored in both languages."""
        if ok:
            row.diagnosis, row.diagnosis_code, row.verified_at = None, None, utcnow()
            self._transition(session, row, AccountStatus.NORMAL, reason)
        else:
            code = diagnosis.code if diagnosis is not None else "unknown"
            row.diagnosis_code = code
            row.diagnosis = records.diagnosis_json(diagnosis, secret_forms(secret, row.username))
            self._transition(session, row, AccountStatus.ERROR, "verify_failed", code)

    def _record(self, session: Session, row: AccountRow, verification: Any, diagnosis: Any, secret: Secret):
        forms = secret_forms(secret, row.username)
        session.add(records.verification_row(row.id, verification, diagnosis, forms))

    def _seal(self, session: Session, account_id: int, secret: Secret) -> None:
        sealed = self.vault.seal(account_id, secret)
        row = session.get(SecretRow, account_id)
        if row is None:
            row = SecretRow(account_id=account_id, ciphertext=b"", nonce=b"", key_id="")
            session.add(row)
        row.ciphertext, row.nonce, row.key_id = sealed.ciphertext, sealed.nonce, sealed.key_id

    def _open_secret(self, row: AccountRow) -> Secret:
        stored = row.secret
        if stored is None:
            raise AccountError(
                "secret_missing",
                f"Account {row.email} has no stored password; set one with `accounts edit --password-stdin`.",
                f"账户 {row.email} 没有保存的密码；请用 `accounts edit --password-stdin` 设置。",
            )
        sealed = SealedSecret(stored.ciphertext, stored.nonce, stored.key_id)
        if sealed.key_id not in self.vault.key_ids and self._reload_vault is not None:
            self.vault = self._reload_vault()
        return self.vault.open(row.id, sealed)

    def _abandon(self, account_id: int, *, keep: bool) -> None:
        """A check that did not finish: keep the account as 异常 or take it back out."""
        with self.store.session() as session:
            row = session.get(AccountRow, account_id)
            if row is None:
                return
            if keep:
                self._transition(session, row, AccountStatus.ERROR, "interrupted", "interrupted")
            else:
                session.execute(delete(AccountRow).where(AccountRow.id == account_id))


def _exists(email: str) -> AccountError:
    return AccountError(
        "account_exists",
        f"{email} is already bound; use `accounts edit` to change it.",
        f"{email} 已绑定；如需修改请使用 `accounts edit`。",
    )


def _rename(row: AccountRow, name: str | None, sync_days: int | None) -> None:
    if name is not None:
        row.name = name
    if sync_days is not None:
        row.sync_days = sync_days


def _cleaned(provider_id: str | None, password: str | Secret) -> tuple[Secret, tuple[Any, ...]]:
    """The password as the provider wants it (pasted spaces removed) and the hints about its shape."""
    plain = password.reveal() if isinstance(password, Secret) else password
    check = password_hints(provider_id, plain)
    return Secret(check.cleaned), tuple(check.hints)
