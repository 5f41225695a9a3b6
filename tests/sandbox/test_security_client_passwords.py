"""Client security passwords (三方客户端安全密码): SMS code, generate, shown once, list, delete."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailhub.sandbox import db
from mailhub.sandbox.directory import Directory, UnknownUser
from mailhub.sandbox.security import (
    ClientPasswordsDisabled,
    CodeBurned,
    CodeExpired,
    Denial,
    InvalidRemark,
    NoCodeRequested,
    Protocol,
    Security,
    UnknownClientPassword,
    WrongCode,
)

ALICE = "alice@example.com"
MAIN = "main-pw-1"
START = 1_790_000_000.0


class Clock:
    """Epoch seconds that a test moves by hand."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Phone:
    """An SmsSender that keeps what it was given, as a phone would."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str]] = []

    def send(self, phone: str, text: str) -> None:
        self.received.append((phone, text))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def world(data_dir: Path, clock: Clock) -> Iterator[tuple[Directory, Security]]:
    conn: sqlite3.Connection = db.connect(data_dir)
    directory = Directory(conn)
    directory.add_domain("example.com", "aliyun-standard")
    directory.add_user(ALICE, MAIN, "13800138000", "Sales")
    directory.add_user("bob@example.com", MAIN, "13900139000")
    directory.set_imap_smtp(ALICE, True)
    security = Security(conn, directory, clock=clock)
    security.set_policy("example.com", third_party="all")
    yield directory, security
    conn.close()


def last_code(security: Security, address: str = ALICE) -> str:
    return security.sms_messages(address)[-1].code


def new_password(security: Security, remark: str = "laptop Thunderbird") -> tuple[int, str]:
    security.enable_client_passwords(ALICE)
    security.request_code(ALICE)
    info, secret = security.create_client_password(ALICE, last_code(security), remark)
    return info.id, secret


def test_the_feature_must_be_switched_on_first(world: tuple[Directory, Security]) -> None:
    _, security = world
    assert not security.client_passwords_enabled(ALICE)
    with pytest.raises(ClientPasswordsDisabled, match="switch on") as error:
        security.request_code(ALICE)
    assert "三方客户端安全密码" in error.value.message_zh
    security.enable_client_passwords(ALICE)
    security.enable_client_passwords(ALICE)  # switching on twice is harmless
    assert security.client_passwords_enabled(ALICE)
    assert not security.client_passwords_enabled("bob@example.com")
    with pytest.raises(UnknownUser):
        security.enable_client_passwords("ghost@example.com")


def test_the_code_goes_by_sms_to_the_bound_phone(data_dir: Path, clock: Clock) -> None:
    conn = db.connect(data_dir)
    directory = Directory(conn)
    directory.add_domain("example.com", "aliyun-standard")
    directory.add_user(ALICE, MAIN, "13800138000")
    phone = Phone()
    security = Security(conn, directory, phone, clock=clock)
    security.enable_client_passwords(ALICE)
    assert security.request_code(ALICE) == "138****8000"
    [(number, text)] = phone.received
    code = re.search(r"\d{6}", text)
    assert number == "13800138000" and code and "验证码" in text and "5分钟" in text and "5 minutes" in text
    [message] = security.sms_messages(ALICE)
    assert (message.address, message.phone, message.text, message.code) == (ALICE, number, text, code.group())
    assert message.sent_at == datetime.fromtimestamp(START, UTC)
    assert security.sms_messages("bob@example.com") == []
    directory.set_phone(ALICE, "13700137000")
    assert security.request_code(ALICE) == "137****7000"
    assert phone.received[-1][0] == "13700137000"
    conn.close()


def test_a_client_password_is_16_letters_and_digits_shown_once(world: tuple[Directory, Security]) -> None:
    _, security = world
    security.enable_client_passwords(ALICE)
    security.request_code(ALICE)
    info, secret = security.create_client_password(ALICE, last_code(security), "  laptop Thunderbird ")
    assert re.fullmatch(r"[A-Za-z0-9]{16}", secret)
    assert info.remark == "laptop Thunderbird" and info.address == ALICE
    assert info.created_at == datetime.fromtimestamp(START, UTC) and info.last_used_at is None
    assert secret not in repr(info)
    assert security.list_client_passwords(ALICE) == [info]
    # used once: the same code cannot make a second password
    with pytest.raises(NoCodeRequested):
        security.create_client_password(ALICE, last_code(security), "phone")


def test_five_wrong_codes_burn_it(world: tuple[Directory, Security]) -> None:
    _, security = world
    security.enable_client_passwords(ALICE)
    security.request_code(ALICE)
    right = last_code(security)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    for tries_left in (4, 3, 2, 1):
        with pytest.raises(WrongCode) as error:
            security.create_client_password(ALICE, wrong, "laptop")
        assert error.value.tries_left == tries_left
    with pytest.raises(CodeBurned):
        security.create_client_password(ALICE, wrong, "laptop")
    with pytest.raises(NoCodeRequested):
        security.create_client_password(ALICE, right, "laptop")
    assert security.list_client_passwords(ALICE) == []
    security.request_code(ALICE)  # a new code works again
    security.create_client_password(ALICE, last_code(security), "laptop")


def test_a_code_expires_after_5_minutes(world: tuple[Directory, Security], clock: Clock) -> None:
    _, security = world
    security.enable_client_passwords(ALICE)
    security.request_code(ALICE)
    clock.now += 300
    security.create_client_password(ALICE, last_code(security), "in time")
    security.request_code(ALICE)
    clock.now += 301
    with pytest.raises(CodeExpired, match="5 minutes"):
        security.create_client_password(ALICE, last_code(security), "too late")
    with pytest.raises(NoCodeRequested):
        security.create_client_password(ALICE, last_code(security), "too late")
    assert [p.remark for p in security.list_client_passwords(ALICE)] == ["in time"]


def test_a_new_request_replaces_the_pending_code(world: tuple[Directory, Security]) -> None:
    _, security = world
    security.enable_client_passwords(ALICE)
    security.request_code(ALICE)
    first = last_code(security)
    security.request_code(ALICE)
    second = last_code(security)
    if first != second:  # one chance in a million they are equal
        with pytest.raises(WrongCode):
            security.create_client_password(ALICE, first, "laptop")
    security.create_client_password(ALICE, second, "laptop")


def test_a_remark_is_required(world: tuple[Directory, Security]) -> None:
    _, security = world
    security.enable_client_passwords(ALICE)
    security.request_code(ALICE)
    for remark in ("   ", "x" * 65):
        with pytest.raises(InvalidRemark):
            security.create_client_password(ALICE, last_code(security), remark)
    security.create_client_password(ALICE, last_code(security), "x" * 64)  # the code was not spent


def test_the_main_password_is_refused_once_a_client_password_exists(world: tuple[Directory, Security]) -> None:
    _, security = world
    assert security.authenticate(ALICE, MAIN, Protocol.IMAP, "127.0.0.1").allowed
    password_id, secret = new_password(security)
    refused = security.authenticate(ALICE, MAIN, Protocol.IMAP, "127.0.0.1")
    assert refused.denial is Denial.CLIENT_PASSWORD_REQUIRED and refused.address == ALICE
    allowed = security.authenticate(ALICE.upper(), secret, Protocol.SMTP, "127.0.0.1")
    assert allowed.allowed and allowed.address == ALICE and allowed.client_password_id == password_id
    tampered = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    assert security.authenticate(ALICE, tampered, Protocol.SMTP, "127.0.0.1").denial is Denial.BAD_PASSWORD


def test_each_device_has_its_own_password(world: tuple[Directory, Security]) -> None:
    _, security = world
    first_id, first = new_password(security, "laptop")
    second_id, second = new_password(security, "phone")
    assert first != second and first_id != second_id
    assert security.authenticate(ALICE, first, Protocol.IMAP, "127.0.0.1").client_password_id == first_id
    assert security.authenticate(ALICE, second, Protocol.IMAP, "127.0.0.1").client_password_id == second_id


def test_delete_then_login_fails(world: tuple[Directory, Security]) -> None:
    _, security = world
    keep_id, keep = new_password(security, "laptop")
    gone_id, gone = new_password(security, "old phone")
    security.delete_client_password(ALICE, gone_id)
    assert security.authenticate(ALICE, gone, Protocol.IMAP, "127.0.0.1").denial is Denial.BAD_PASSWORD
    assert security.authenticate(ALICE, keep, Protocol.IMAP, "127.0.0.1").allowed
    assert [p.id for p in security.list_client_passwords(ALICE)] == [keep_id]
    assert security.existing_client_password_ids([keep_id, gone_id, 999]) == {keep_id}
    assert security.existing_client_password_ids([]) == set()
    with pytest.raises(UnknownClientPassword):
        security.delete_client_password(ALICE, gone_id)
    with pytest.raises(UnknownClientPassword):
        security.delete_client_password("bob@example.com", keep_id)  # not Bob's to delete
    # With no client password left (and no force), the main password works again.
    security.delete_client_password(ALICE, keep_id)
    assert security.authenticate(ALICE, MAIN, Protocol.IMAP, "127.0.0.1").allowed


def test_the_last_use_is_recorded(world: tuple[Directory, Security], clock: Clock) -> None:
    _, security = world
    password_id, secret = new_password(security)
    clock.now += 90
    security.authenticate(ALICE, secret, Protocol.SMTP, "203.0.113.9")
    clock.now += 30
    security.authenticate(ALICE, "wrong-wrong-wrong", Protocol.IMAP, "198.51.100.1")  # a failure is no use
    [info] = security.list_client_passwords(ALICE)
    assert info.id == password_id
    assert info.last_used_at == datetime.fromtimestamp(START + 90, UTC)
    assert (info.last_used_protocol, info.last_used_ip) == (Protocol.SMTP, "203.0.113.9")


def test_a_policy_refusal_does_not_count_as_a_use(world: tuple[Directory, Security]) -> None:
    directory, security = world
    _, secret = new_password(security)
    directory.set_imap_smtp(ALICE, False)
    assert security.authenticate(ALICE, secret, Protocol.IMAP, "127.0.0.1").denial is Denial.SERVICE_DISABLED
    assert security.list_client_passwords(ALICE)[0].last_used_at is None


def test_no_client_password_is_stored_in_the_clear(world: tuple[Directory, Security], data_dir: Path) -> None:
    _, security = world
    _, secret = new_password(security)
    security.authenticate(ALICE, secret, Protocol.IMAP, "127.0.0.1")
    for file in data_dir.glob("sandbox.db*"):
        assert secret.encode() not in file.read_bytes(), file.name
        assert MAIN.encode() not in file.read_bytes(), file.name
