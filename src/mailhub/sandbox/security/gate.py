"""``Security``: the sandbox's one gate (``authenticate``) and the settings it reads.

Every IMAP LOGIN/AUTHENTICATE and SMTP AUTH ends here. The check order is the one a user meets on
Alibaba: empty → lockout → full address → known user → credentials → third-party policy → the user's
IMAP/SMTP switch → client password required. Nothing is cached: policy, passwords and switches are read
per call because a CLI command in another process may change them while the server runs.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from mailhub.sandbox import db
from mailhub.sandbox.directory import Directory, User
from mailhub.sandbox.security import audit
from mailhub.sandbox.security.audit import AuditEntry, AuditLog
from mailhub.sandbox.security.client_passwords import ClientPassword, ClientPasswordStore
from mailhub.sandbox.security.decision import Decision, Denial, Protocol
from mailhub.sandbox.security.errors import ClientPasswordsDisabled, InvalidRemark, UnknownClientPassword
from mailhub.sandbox.security.lockout import Lockout
from mailhub.sandbox.security.policy import DomainPolicy, PolicyStore
from mailhub.sandbox.security.sms import OutboxSms, SmsCodes, SmsMessage, SmsSender, mask_phone

# Denials that mean "the secret was not proven": only these count toward the lockout (see lockout.py).
CREDENTIAL_FAILURES = frozenset({Denial.USERNAME_NOT_FULL_ADDRESS, Denial.UNKNOWN_USER, Denial.BAD_PASSWORD})
MAX_REMARK = 64


class Security:
    """The policy, the client security passwords, the lockout and the audit log of one sandbox database.

    ``clock`` returns epoch seconds; tests pass their own to move time (code expiry, lockout window)."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        directory: Directory,
        sms_sender: SmsSender | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._conn = conn
        self._directory = directory
        self._sms_sender: SmsSender = sms_sender or OutboxSms()
        self._clock = clock
        self._policies = PolicyStore(conn, directory)
        self._passwords = ClientPasswordStore(conn)
        self._codes = SmsCodes(conn)
        self._lockout = Lockout(conn)
        self._audit = AuditLog(conn)

    # -- policy (安全管理 › 账户安全策略) --------------------------------------------------------------
    def get_policy(self, domain: str) -> DomainPolicy:
        return self._policies.get(domain)

    def set_policy(
        self,
        domain: str,
        *,
        third_party: str | None = None,
        allow: Iterable[str] | None = None,
        exceptions: Iterable[str] | None = None,
        company_ip_ranges: Iterable[str] | None = None,
        force_security_password: str | None = None,
        force_scope: Iterable[str] | None = None,
        force_exceptions: Iterable[str] | None = None,
    ) -> DomainPolicy:
        """Change parts of the domain's policy (``None`` = unchanged); raises ``InvalidPolicy`` on a bad value."""
        return self._policies.set(
            domain,
            third_party=third_party,
            allow=allow,
            exceptions=exceptions,
            company_ip_ranges=company_ip_ranges,
            force_security_password=force_security_password,
            force_scope=force_scope,
            force_exceptions=force_exceptions,
        )

    # -- client security passwords (三方客户端安全密码) ------------------------------------------------
    def enable_client_passwords(self, address: str) -> None:
        """The user switches the feature on (账户与安全 › 三方客户端安全密码 › 开启)."""
        self._passwords.enable(self._directory.require_user(address).id, self._clock())

    def client_passwords_enabled(self, address: str) -> bool:
        return self._passwords.enabled(self._directory.require_user(address).id)

    def request_code(self, address: str) -> str:
        """Send a 6-digit SMS code to the user's bound phone (valid 5 minutes); returns the masked phone."""
        user = self._user_with_feature(address)
        _, text = self._codes.issue(user.id, user.address, user.phone, self._clock())
        self._sms_sender.send(user.phone, text)
        return mask_phone(user.phone)

    def create_client_password(self, address: str, code: str, remark: str) -> tuple[ClientPassword, str]:
        """Check the SMS code, then make a new client password. Returns its record and the plaintext,
        which is shown once and stored nowhere."""
        user = self._user_with_feature(address)
        remark = remark.strip()
        if not remark or len(remark) > MAX_REMARK:
            raise InvalidRemark()
        now = self._clock()
        self._codes.consume(user.id, code, now)
        return self._passwords.create(user.id, user.address, remark, now)

    def list_client_passwords(self, address: str) -> list[ClientPassword]:
        user = self._directory.require_user(address)
        return self._passwords.list(user.id, user.address)

    def delete_client_password(self, address: str, password_id: int) -> None:
        """Revoke one client password: later logins with it fail (live sessions: ``Sandbox`` ends them)."""
        user = self._directory.require_user(address)
        if not self._passwords.delete(user.id, password_id):
            raise UnknownClientPassword(user.address, password_id)

    def existing_client_password_ids(self, ids: Iterable[int]) -> set[int]:
        """Which of these ids still exist (the server polls this to end sessions of revoked passwords)."""
        return self._passwords.existing_ids(ids)

    def sms_messages(self, address: str | None = None) -> list[SmsMessage]:
        """The SMS outbox (the sandbox's phone), oldest first."""
        return self._codes.messages(address)

    def audit_log(self, address: str | None = None, limit: int = 100) -> list[AuditEntry]:
        """Login attempts, newest first; for one address (canonical, or as typed when unknown)."""
        return self._audit.entries(address, limit)

    def _user_with_feature(self, address: str) -> User:
        user = self._directory.require_user(address)
        if not self._passwords.enabled(user.id):
            raise ClientPasswordsDisabled(user.address)
        return user

    # -- the gate ------------------------------------------------------------------------------------
    def authenticate(self, username: str, secret: str, protocol: Protocol | str, peer_ip: str) -> Decision:
        """Allow or refuse one login, for exactly one reason; audit it; count credential failures.
        A main-password check (argon2id, ~15 ms) runs on the calling thread: see ``authenticate_async``."""
        protocol, now, peer_ip = Protocol(protocol), self._clock(), peer_ip or ""
        step = self._identify(username or "", secret or "", peer_ip, now)
        if isinstance(step, _Claim):
            step = self._judge(step, step.client_password_id is not None or step.main_password_check(secret))
        return self._record(username or "", protocol, peer_ip, step, now)

    async def authenticate_async(self, username: str, secret: str, protocol: Protocol | str, peer_ip: str) -> Decision:
        """``authenticate`` for an event loop: the argon2id check of a main password runs on a worker
        thread (it needs no database), everything else on the loop. Client-password logins never leave it."""
        protocol, now, peer_ip = Protocol(protocol), self._clock(), peer_ip or ""
        step = self._identify(username or "", secret or "", peer_ip, now)
        if isinstance(step, _Claim):
            proven = step.client_password_id is not None
            if not proven:
                proven = await asyncio.to_thread(step.main_password_check, secret)
            step = self._judge(step, proven)
        return self._record(username or "", protocol, peer_ip, step, now)

    def _identify(self, username: str, secret: str, peer_ip: str, now: float) -> Decision | _Claim:
        """The cheap checks, in order, up to the credentials: a refusal, or who claims to log in."""
        if not username.strip() or not secret:
            return Decision.deny(Denial.EMPTY_CREDENTIALS)
        if self._lockout.locked(username, peer_ip, now):
            return Decision.deny(Denial.LOCKED_OUT)
        if "@" not in username:
            return Decision.deny(Denial.USERNAME_NOT_FULL_ADDRESS)
        user = self._directory.get_user(username)
        if user is None:
            return Decision.deny(Denial.UNKNOWN_USER)
        # A client password is checked first: one HMAC per password, so the common case never pays argon2.
        client_password_id, has_client_passwords = self._passwords.match(user.id, secret)
        check = _never if client_password_id is not None else self._directory.main_password_check(user)
        return _Claim(user, peer_ip, client_password_id, has_client_passwords, check)

    def _judge(self, claim: _Claim, proven: bool) -> Decision:
        """The checks after the credentials: the domain's rule, the user's switch, the password kind."""
        user = claim.user
        if not proven:
            return Decision.deny(Denial.BAD_PASSWORD, user.address)
        policy = self._policies.get(user.domain)
        if not policy.third_party_allowed(user, claim.peer_ip):
            return Decision.deny(Denial.THIRD_PARTY_DISABLED, user.address)
        if not user.imap_smtp_enabled:
            return Decision.deny(Denial.SERVICE_DISABLED, user.address)
        main_password_used = claim.client_password_id is None
        if main_password_used and (claim.has_client_passwords or policy.forces_client_password(user)):
            return Decision.deny(Denial.CLIENT_PASSWORD_REQUIRED, user.address)
        return Decision.allow(user.address, claim.client_password_id)

    def _record(self, username: str, protocol: Protocol, peer_ip: str, decision: Decision, now: float) -> Decision:
        """Audit the attempt, count a credential failure, note a client password's use: one transaction."""
        with db.Transaction(self._conn) as conn:
            entry_id = self._audit.record(conn, username, protocol, peer_ip, decision, now)
            if entry_id % audit.PRUNE_EVERY == 0:
                self._lockout.prune(conn, now)
            if decision.denial in CREDENTIAL_FAILURES:
                self._lockout.record_failure(conn, username, peer_ip, now)
            if decision.allowed and decision.client_password_id is not None:
                self._passwords.record_use(conn, decision.client_password_id, protocol, peer_ip, now)
        return decision


@dataclass(frozen=True, slots=True)
class _Claim:
    """A known user and the secret's first verdict, between the cheap checks and the slow one."""

    user: User
    peer_ip: str
    client_password_id: int | None
    has_client_passwords: bool
    main_password_check: Callable[[str], bool]


def _never(secret: str) -> bool:
    return False
