"""The one gate: check order, lockout, audit log, cost, and two processes on one data directory."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mailhub.sandbox import db
from mailhub.sandbox.directory import Directory, User
from mailhub.sandbox.security import Decision, Denial, Protocol, Security, audit

ALICE = "alice@example.com"
MAIN = "main-pw-1"
HOME = "127.0.0.1"


class Clock:
    def __init__(self, now: float = 1_790_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class CountingDirectory(Directory):
    """The real directory, counting how often the slow argon2id check runs."""

    argon2_checks = 0

    def main_password_check(self, user: User | str) -> Callable[[str], bool]:
        check = super().main_password_check(user)

        def counted(password: str) -> bool:
            self.argon2_checks += 1
            return check(password)

        return counted


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def world(tmp_path: Path, clock: Clock) -> Iterator[tuple[CountingDirectory, Security]]:
    conn: sqlite3.Connection = db.connect(tmp_path)
    directory = CountingDirectory(conn)
    directory.add_domain("example.com", "aliyun-standard")
    directory.add_user(ALICE, MAIN, "13800138000", "Sales")
    directory.set_imap_smtp(ALICE, True)
    security = Security(conn, directory, clock=clock)
    security.set_policy("example.com", third_party="all")
    yield directory, security
    conn.close()


def login(security: Security, username: str = ALICE, secret: str = MAIN, ip: str = HOME) -> Decision:
    return security.authenticate(username, secret, Protocol.IMAP, ip)


def client_password(security: Security) -> tuple[int, str]:
    security.enable_client_passwords(ALICE)
    security.request_code(ALICE)
    info, secret = security.create_client_password(ALICE, security.sms_messages(ALICE)[-1].code, "laptop")
    return info.id, secret


# -- check order ---------------------------------------------------------------------------------------
def test_each_denial_in_check_order(world: tuple[CountingDirectory, Security]) -> None:
    directory, security = world
    assert login(security, "", MAIN).denial is Denial.EMPTY_CREDENTIALS
    assert login(security, ALICE, "").denial is Denial.EMPTY_CREDENTIALS
    assert login(security, "   ", MAIN).denial is Denial.EMPTY_CREDENTIALS
    assert login(security, "alice", MAIN).denial is Denial.USERNAME_NOT_FULL_ADDRESS
    assert login(security, "nobody@example.com", MAIN).denial is Denial.UNKNOWN_USER
    bad = login(security, ALICE, "wrong-password")
    assert bad.denial is Denial.BAD_PASSWORD and bad.address == ALICE and not bad.allowed
    security.set_policy("example.com", third_party="off")
    directory.set_imap_smtp(ALICE, False)
    assert login(security, ALICE, "wrong-password").denial is Denial.BAD_PASSWORD  # credentials first
    assert login(security).denial is Denial.THIRD_PARTY_DISABLED  # then the domain's rule
    security.set_policy("example.com", third_party="all")
    assert login(security).denial is Denial.SERVICE_DISABLED  # then the user's switch
    directory.set_imap_smtp(ALICE, True)
    security.set_policy("example.com", force_security_password="all")
    assert login(security).denial is Denial.CLIENT_PASSWORD_REQUIRED  # last
    security.set_policy("example.com", force_security_password="off")
    assert login(security) == Decision.allow(ALICE, None)


def test_protocol_may_be_given_as_text(world: tuple[CountingDirectory, Security]) -> None:
    _, security = world
    assert security.authenticate(ALICE, MAIN, "smtp", HOME).allowed
    assert security.audit_log(ALICE, limit=1)[0].protocol is Protocol.SMTP


def test_a_client_password_login_never_pays_for_argon2(world: tuple[CountingDirectory, Security]) -> None:
    directory, security = world
    _, secret = client_password(security)
    before = directory.argon2_checks
    for _ in range(20):
        assert login(security, ALICE, secret).allowed
    assert directory.argon2_checks == before
    login(security, ALICE, MAIN)  # the main password still needs it
    assert directory.argon2_checks == before + 1


# -- lockout ---------------------------------------------------------------------------------------------
def fail(security: Security, times: int, ip: str = HOME, username: str = ALICE) -> None:
    for _ in range(times):
        assert login(security, username, "wrong-password", ip).denial in {Denial.BAD_PASSWORD, Denial.UNKNOWN_USER}


def test_five_failures_lock_the_user_on_that_ip_for_10_minutes(
    world: tuple[CountingDirectory, Security], clock: Clock
) -> None:
    _, security = world
    fail(security, 4)
    assert login(security).allowed  # four are not enough
    fail(security, 1)  # the success did not erase the window: this is the fifth
    assert login(security).denial is Denial.LOCKED_OUT  # even the right password
    assert login(security, ALICE, "wrong-password").denial is Denial.LOCKED_OUT
    assert login(security, ip="192.0.2.50").allowed  # another IP is not locked
    assert login(security, ALICE.upper()).denial is Denial.LOCKED_OUT  # the username is keyed case-blind
    clock.now += 599
    assert login(security).denial is Denial.LOCKED_OUT
    clock.now += 1
    assert login(security).allowed
    fail(security, 4)  # the count started again from zero when the lock began
    assert login(security).allowed


def test_attempts_during_a_lock_do_not_extend_it(world: tuple[CountingDirectory, Security], clock: Clock) -> None:
    _, security = world
    fail(security, 5)
    clock.now += 300
    fail_during_lock = login(security, ALICE, "wrong-password")
    assert fail_during_lock.denial is Denial.LOCKED_OUT
    clock.now += 300
    assert login(security).allowed


def test_failures_older_than_10_minutes_do_not_count(world: tuple[CountingDirectory, Security], clock: Clock) -> None:
    _, security = world
    fail(security, 4)
    clock.now += 601
    fail(security, 1)
    assert login(security).allowed
    fail(security, 3)  # 1 + 3 within the window, then the fifth locks
    assert login(security).allowed
    fail(security, 1)
    assert login(security).denial is Denial.LOCKED_OUT


def test_unknown_users_and_bare_names_lock_too(world: tuple[CountingDirectory, Security]) -> None:
    _, security = world
    fail(security, 5, username="ghost@example.com")
    assert login(security, "ghost@example.com").denial is Denial.LOCKED_OUT
    for _ in range(5):
        assert login(security, "alice", MAIN).denial is Denial.USERNAME_NOT_FULL_ADDRESS
    assert login(security, "alice", MAIN).denial is Denial.LOCKED_OUT
    assert login(security).allowed  # the full address is another username


def test_policy_refusals_do_not_count_toward_the_lockout(world: tuple[CountingDirectory, Security]) -> None:
    directory, security = world
    directory.set_imap_smtp(ALICE, False)
    for _ in range(8):
        assert login(security).denial is Denial.SERVICE_DISABLED
    for _ in range(4):
        assert login(security, ALICE, "").denial is Denial.EMPTY_CREDENTIALS
    directory.set_imap_smtp(ALICE, True)
    assert login(security).allowed


# -- audit -----------------------------------------------------------------------------------------------
def test_every_attempt_is_audited_without_the_secret(world: tuple[CountingDirectory, Security], clock: Clock) -> None:
    _, security = world
    _, secret = client_password(security)
    login(security, ALICE, "Wr0ng-Guess-123", "198.51.100.3")
    clock.now += 1
    security.authenticate(ALICE.upper(), secret, Protocol.SMTP, "203.0.113.4")
    login(security, "stranger@example.com", "Another-Guess-9")
    login(security, "", "Empty-User-Guess")
    newest, *_ = entries = security.audit_log(ALICE)
    assert len(entries) == 2
    assert (newest.username, newest.protocol, newest.ip, newest.outcome) == (
        ALICE.upper(),
        Protocol.SMTP,
        "203.0.113.4",
        "allowed",
    )
    assert newest.denial is None and newest.client_password_id is not None and newest.allowed
    assert newest.address == ALICE and not entries[1].allowed
    assert entries[1].denial is Denial.BAD_PASSWORD and entries[1].outcome == "denied"
    assert entries[0].at > entries[1].at
    assert security.audit_log("stranger@example.com")[0].denial is Denial.UNKNOWN_USER
    everything = security.audit_log()
    assert len(everything) == 4 and everything[0].denial is Denial.EMPTY_CREDENTIALS
    assert len(security.audit_log(limit=1)) == 1
    text = repr(everything)
    for guess in (secret, "Wr0ng-Guess-123", "Another-Guess-9", "Empty-User-Guess"):
        assert guess not in text
    rows = security._conn.execute("SELECT * FROM security_audit").fetchall()  # the stored rows too
    assert all(guess not in str(tuple(r)) for r in rows for guess in (secret, "Wr0ng-Guess-123"))


# -- two processes on one data directory -------------------------------------------------------------------
def test_two_security_objects_see_each_others_writes(tmp_path: Path) -> None:
    """A CLI command and a running server each open the data directory: nothing may be cached."""
    conn_server, conn_cli = db.connect(tmp_path), db.connect(tmp_path)
    server = Security(conn_server, Directory(conn_server))
    cli_directory = Directory(conn_cli)
    cli = Security(conn_cli, cli_directory)
    cli_directory.add_domain("example.com", "aliyun-standard")
    cli_directory.add_user(ALICE, MAIN, "13800138000")
    assert login(server).denial is Denial.THIRD_PARTY_DISABLED
    cli.set_policy("example.com", third_party="all")
    assert login(server).denial is Denial.SERVICE_DISABLED
    cli_directory.set_imap_smtp(ALICE, True)
    assert login(server).allowed
    cli.enable_client_passwords(ALICE)
    server.request_code(ALICE)  # the user asks in the web console, served by the other process
    info, secret = cli.create_client_password(ALICE, server.sms_messages(ALICE)[-1].code, "laptop")
    assert login(server).denial is Denial.CLIENT_PASSWORD_REQUIRED
    assert login(server, ALICE, secret).client_password_id == info.id
    assert cli.list_client_passwords(ALICE)[0].last_used_ip == HOME
    assert server.existing_client_password_ids({info.id}) == {info.id}
    cli.delete_client_password(ALICE, info.id)
    assert server.existing_client_password_ids({info.id}) == set()
    assert login(server, ALICE, secret).denial is Denial.BAD_PASSWORD
    cli_directory.set_main_password(ALICE, "new-main-pw")
    assert login(server, ALICE, "new-main-pw").allowed
    assert [e.outcome for e in cli.audit_log(ALICE, limit=2)] == ["allowed", "denied"]
    conn_server.close()
    conn_cli.close()


def test_a_lock_set_by_one_process_holds_in_the_other(tmp_path: Path) -> None:
    clock = Clock()
    conns = db.connect(tmp_path), db.connect(tmp_path)
    imap, smtp = (Security(c, Directory(c), clock=clock) for c in conns)
    directory = Directory(conns[0])
    directory.add_domain("example.com", "generic")
    directory.add_user(ALICE, MAIN, "13800138000")
    for _ in range(5):
        assert login(imap, ALICE, "wrong-password").denial is Denial.BAD_PASSWORD
    assert login(smtp).denial is Denial.LOCKED_OUT
    for c in conns:
        c.close()


# -- the async gate -----------------------------------------------------------------------------------------
async def test_the_async_gate_decides_as_the_sync_one(world: tuple[CountingDirectory, Security]) -> None:
    directory, security = world
    _, secret = client_password(security)
    cases = [
        ("", MAIN, Denial.EMPTY_CREDENTIALS),
        ("alice", MAIN, Denial.USERNAME_NOT_FULL_ADDRESS),
        ("ghost@example.com", MAIN, Denial.UNKNOWN_USER),
        (ALICE, "wrong-password", Denial.BAD_PASSWORD),
        (ALICE, MAIN, Denial.CLIENT_PASSWORD_REQUIRED),
        (ALICE, secret, None),
    ]
    for username, given, denial in cases:
        decision = await security.authenticate_async(username, given, Protocol.IMAP, "192.0.2.1")
        assert decision == security.authenticate(username, given, Protocol.IMAP, "192.0.2.2")
        assert decision.denial is denial
    directory.set_imap_smtp(ALICE, False)
    decision = await security.authenticate_async(ALICE, secret, "smtp", HOME)
    assert decision.denial is Denial.SERVICE_DISABLED
    assert len(security.audit_log(limit=1000)) == 2 * len(cases) + 1


async def test_the_async_gate_runs_logins_side_by_side(world: tuple[CountingDirectory, Security]) -> None:
    _, security = world
    decisions = await asyncio.gather(
        *(security.authenticate_async(ALICE, MAIN, Protocol.IMAP, f"192.0.2.{i}") for i in range(4)),
        security.authenticate_async(ALICE, "wrong-password", Protocol.IMAP, HOME),
    )
    assert [d.allowed for d in decisions] == [True, True, True, True, False]
    assert len(security.audit_log(ALICE)) == 5


def test_odd_input_is_refused_not_crashed_on(world: tuple[CountingDirectory, Security]) -> None:
    _, security = world
    assert login(security, ALICE, "\udcff密码\x00").denial is Denial.BAD_PASSWORD  # undecodable client bytes
    assert login(security, "x" * 5000 + "@example.com", MAIN).denial is Denial.UNKNOWN_USER
    assert len(security.audit_log(limit=1)[0].username) == 320
    assert security.authenticate(ALICE, MAIN, Protocol.IMAP, None).allowed  # type: ignore[arg-type]


def test_old_audit_entries_and_stale_failures_are_pruned(
    world: tuple[CountingDirectory, Security], clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, security = world
    monkeypatch.setattr(audit, "PRUNE_EVERY", 10)
    monkeypatch.setattr(audit, "KEEP", 15)
    fail(security, 3, ip="198.51.100.1")  # a pair never seen again
    clock.now += 601
    for i in range(40):
        login(security, ip=f"192.0.2.{i}")
    assert len(security.audit_log(limit=1000)) <= 15 + 10
    stale = security._conn.execute("SELECT COUNT(*) FROM security_login_failures").fetchone()[0]
    assert stale == 0
