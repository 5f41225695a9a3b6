"""The sandbox directory: domains with an edition, departments, users, main passwords, phones."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from mailhub.sandbox import db
from mailhub.sandbox.directory import (
    BadEdition,
    Directory,
    DirectoryError,
    DuplicateDepartment,
    DuplicateDomain,
    DuplicateUser,
    InvalidValue,
    UnknownDomain,
    UnknownUser,
)


@pytest.fixture
def conn(tmp_path: Path) -> sqlite3.Connection:
    connection = db.connect(tmp_path)
    yield connection
    connection.close()


@pytest.fixture
def directory(conn: sqlite3.Connection) -> Directory:
    d = Directory(conn)
    d.add_domain("example.com", "aliyun-standard")
    return d


def test_a_domain_keeps_its_edition_and_lower_case_name(conn: sqlite3.Connection) -> None:
    d = Directory(conn)
    domain = d.add_domain("Trade.Example.CN", "alibaba-foreign-trade")
    assert (domain.name, domain.edition) == ("trade.example.cn", "alibaba-foreign-trade")
    assert d.get_domain("TRADE.example.cn") == domain
    assert d.get_domain("other.cn") is None
    assert [x.name for x in d.list_domains()] == ["trade.example.cn"]


def test_domain_errors_are_clear(directory: Directory) -> None:
    with pytest.raises(DuplicateDomain, match=r"example\.com"):
        directory.add_domain("EXAMPLE.com", "generic")
    with pytest.raises(BadEdition, match="aliyun-standard") as bad:
        directory.add_domain("new.com", "aliyun-premium")
    assert bad.value.code == "directory.bad_edition" and "未知" in bad.value.message_zh
    with pytest.raises(InvalidValue):
        directory.add_domain("not a domain", "generic")


def test_a_user_is_lower_cased_with_imap_smtp_switched_off(directory: Directory) -> None:
    user = directory.add_user("Alice@Example.COM", "main-pw-1", "13800138000", "Sales")
    assert user.address == "alice@example.com"
    assert user.domain == "example.com" and user.department == "Sales" and user.phone == "13800138000"
    assert user.imap_smtp_enabled is False
    assert directory.get_user("ALICE@example.com") == user
    assert directory.get_user("nobody@example.com") is None


def test_the_department_is_created_on_the_fly(directory: Directory) -> None:
    directory.add_user("a@example.com", "pw-a-123", "13800138001", "销售部")
    directory.add_user("b@example.com", "pw-b-123", "13800138002", "销售部")
    directory.add_department("example.com", "Ops")
    assert directory.list_departments("example.com") == ["Ops", "销售部"]
    with pytest.raises(DuplicateDepartment):
        directory.add_department("example.com", "Ops")
    with pytest.raises(UnknownDomain):
        directory.add_department("nowhere.com", "Ops")


def test_user_errors_are_clear(directory: Directory) -> None:
    directory.add_user("a@example.com", "pw-a-123", "13800138001")
    with pytest.raises(DuplicateUser):
        directory.add_user("A@example.com", "pw-a-123", "13800138001")
    with pytest.raises(UnknownDomain, match=r"other\.com"):
        directory.add_user("a@other.com", "pw-a-123", "13800138001")
    with pytest.raises(InvalidValue):
        directory.add_user("no-at-sign", "pw-a-123", "13800138001")
    with pytest.raises(InvalidValue):
        directory.add_user("c@example.com", "pw-a-123", "call me")
    with pytest.raises(UnknownUser):
        directory.set_imap_smtp("ghost@example.com", True)
    assert issubclass(UnknownUser, DirectoryError)


def test_a_bad_password_is_refused_without_being_echoed(directory: Directory) -> None:
    with pytest.raises(InvalidValue) as error:
        directory.add_user("c@example.com", " padded-secret ", "13800138003")
    assert "padded-secret" not in str(error.value) and "padded-secret" not in error.value.message_zh


def test_list_users_by_domain(directory: Directory) -> None:
    directory.add_domain("other.com", "generic")
    directory.add_user("b@example.com", "pw-b-123", "13800138002")
    directory.add_user("a@example.com", "pw-a-123", "13800138001")
    directory.add_user("z@other.com", "pw-z-123", "13800138009")
    assert [u.address for u in directory.list_users("example.com")] == ["a@example.com", "b@example.com"]
    assert len(directory.list_users()) == 3


def test_switch_phone_and_password_changes(directory: Directory) -> None:
    directory.add_user("a@example.com", "first-pw-1", "13800138001")
    assert directory.set_imap_smtp("a@example.com", True).imap_smtp_enabled is True
    assert directory.set_phone("a@example.com", "+86 139 0000 0000").phone == "+86 139 0000 0000"
    user = directory.set_main_password("a@example.com", "second-pw-2")
    assert directory.verify_main_password(user, "second-pw-2")
    assert not directory.verify_main_password(user, "first-pw-1")
    assert not directory.verify_main_password("ghost@example.com", "second-pw-2")


def test_the_main_password_is_stored_as_argon2id_and_never_shown(
    directory: Directory, conn: sqlite3.Connection
) -> None:
    user = directory.add_user("a@example.com", "s3cret-main-pw", "13800138001")
    stored = conn.execute("SELECT password_hash FROM directory_users").fetchone()[0]
    assert stored.startswith("$argon2id$") and "s3cret-main-pw" not in stored
    assert "argon2" not in repr(user) and "s3cret" not in repr(user)
    assert directory.verify_main_password(user, "s3cret-main-pw")
    assert not directory.verify_main_password(user, "")
