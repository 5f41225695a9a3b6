"""The domain policy (安全管理 › 账户安全策略) as a user meets it: through ``Security.authenticate``."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailhub.sandbox import db
from mailhub.sandbox.directory import Directory, UnknownDomain
from mailhub.sandbox.security import Denial, DomainPolicy, InvalidPolicy, Protocol, RuleMode, Security

PASSWORD = "main-pw-1"
PEOPLE = {  # address -> department
    "alice@example.com": "Sales",
    "bob@example.com": "Sales",
    "carol@example.com": "Ops",
    "dave@example.com": None,
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Directory, Security]]:
    """One domain, four people with IMAP/SMTP on; each test sets the whole policy it needs."""
    conn: sqlite3.Connection = db.connect(Path(tmp_path_factory.mktemp("policy")))
    directory = Directory(conn)
    directory.add_domain("example.com", "aliyun-standard")
    directory.add_domain("other.com", "generic")
    directory.add_user("eve@other.com", PASSWORD, "13800138099")
    for address, department in PEOPLE.items():
        directory.add_user(address, PASSWORD, "13800138000", department)
        directory.set_imap_smtp(address, True)
    yield directory, Security(conn, directory)
    conn.close()


def apply(security: Security, **policy: object) -> None:
    full: dict[str, object] = {
        "third_party": "off",
        "allow": [],
        "exceptions": [],
        "company_ip_ranges": [],
        "force_security_password": "off",
        "force_scope": [],
        "force_exceptions": [],
    }
    full.update(policy)
    security.set_policy("example.com", **full)  # type: ignore[arg-type]


def who_gets_in(security: Security, ip: str = "198.51.100.7") -> dict[str, Denial | None]:
    """Each person's login with the main password: None when allowed, else the denial."""
    result = {}
    for address in PEOPLE:
        decision = security.authenticate(address, PASSWORD, Protocol.IMAP, ip)
        assert decision.allowed == (decision.denial is None)
        result[address.split("@")[0]] = decision.denial
    return result


T = Denial.THIRD_PARTY_DISABLED
C = Denial.CLIENT_PASSWORD_REQUIRED
BOB, DAVE = "user:bob@example.com", "user:dave@example.com"
CODES = {".": None, "T": T, "C": C}


def outcome(row: str) -> dict[str, Denial | None]:
    """``".T.."`` -> alice allowed, bob THIRD_PARTY_DISABLED, carol and dave allowed."""
    return dict(zip(("alice", "bob", "carol", "dave"), (CODES[c] for c in row), strict=True))


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        pytest.param({}, "TTTT", id="off"),
        pytest.param({"third_party": "all"}, "....", id="all"),
        pytest.param({"third_party": "all", "exceptions": [BOB]}, ".T..", id="all-except-user"),
        pytest.param({"third_party": "all", "exceptions": ["dept:Sales"]}, "TT..", id="all-except-dept"),
        pytest.param({"third_party": "scoped", "allow": ["dept:Sales"]}, "..TT", id="dept"),
        pytest.param({"third_party": "scoped", "allow": [DAVE]}, "TTT.", id="user"),
        pytest.param(
            {"third_party": "scoped", "allow": ["dept:Sales", DAVE], "exceptions": [BOB]}, ".TT.", id="both-except"
        ),
        pytest.param({"third_party": "scoped", "allow": []}, "TTTT", id="empty-scope"),
        pytest.param({"third_party": "off", "allow": ["dept:Sales"]}, "TTTT", id="off-ignores-scope"),
    ],
)
def test_third_party_clients(world: tuple[Directory, Security], policy: dict, expected: str) -> None:
    _, security = world
    apply(security, **policy)
    assert who_gets_in(security) == outcome(expected)


def test_company_ip_ranges_are_exempt_from_the_third_party_rule(world: tuple[Directory, Security]) -> None:
    _, security = world
    apply(
        security,
        third_party="all",
        exceptions=["user:bob@example.com"],
        company_ip_ranges=["10.1.0.0/16", "2001:db8::/32"],
    )
    everyone = {"alice": None, "bob": None, "carol": None, "dave": None}
    assert who_gets_in(security, "10.1.2.3") == everyone
    assert who_gets_in(security, "::ffff:10.1.2.3") == everyone  # IPv4 seen through a dual-stack socket
    assert who_gets_in(security, "2001:db8::5") == everyone
    assert who_gets_in(security, "10.2.0.1")["bob"] == T
    apply(security, company_ip_ranges=["10.1.0.0/16"])  # rule off: only the office gets in
    assert who_gets_in(security, "10.1.2.3") == everyone
    assert set(who_gets_in(security, "192.0.2.1").values()) == {T}
    assert set(who_gets_in(security, "not-an-ip").values()) == {T}


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        pytest.param({"force_security_password": "all"}, "CCCC", id="all"),
        pytest.param(
            {"force_security_password": "all", "force_exceptions": ["user:carol@example.com"]}, "CC.C", id="all-except"
        ),
        pytest.param({"force_security_password": "scoped", "force_scope": ["dept:Ops"]}, "..C.", id="scoped-dept"),
        pytest.param(
            {
                "force_security_password": "scoped",
                "force_scope": ["dept:Sales", DAVE],
                "force_exceptions": ["user:alice@example.com"],
            },
            ".C.C",
            id="scoped-except",
        ),
        pytest.param({"force_security_password": "off", "force_scope": ["dept:Sales"]}, "....", id="off-ignores"),
    ],
)
def test_force_security_password(world: tuple[Directory, Security], policy: dict, expected: str) -> None:
    _, security = world
    apply(security, third_party="all", **policy)
    assert who_gets_in(security) == outcome(expected)


def test_the_third_party_rule_is_checked_before_force(world: tuple[Directory, Security]) -> None:
    _, security = world
    apply(security, third_party="scoped", allow=["dept:Ops"], force_security_password="all")
    assert who_gets_in(security) == outcome("TTCT")


def test_a_new_domain_starts_with_everything_off(world: tuple[Directory, Security]) -> None:
    _, security = world
    assert security.get_policy("other.com") == DomainPolicy("other.com")
    assert security.get_policy("OTHER.com").third_party is RuleMode.OFF
    assert security.authenticate("eve@other.com", PASSWORD, Protocol.SMTP, "127.0.0.1").denial == T
    with pytest.raises(UnknownDomain):
        security.get_policy("nowhere.com")


def test_none_keeps_a_part_and_values_are_normalised(world: tuple[Directory, Security]) -> None:
    _, security = world
    apply(security, third_party="SCOPED", allow=["dept:Sales"])
    policy = security.set_policy(
        "example.com", exceptions=[" user:Bob@Example.com ", "user:bob@example.com"], company_ip_ranges=["10.1.2.3/16"]
    )
    assert policy.third_party is RuleMode.SCOPED and policy.allow == ("dept:Sales",)
    assert policy.exceptions == ("user:bob@example.com",)
    assert policy.company_ip_ranges == ("10.1.0.0/16",)
    assert security.get_policy("example.com") == policy


@pytest.mark.parametrize(
    ("part", "value", "fragment"),
    [
        ("third_party", "some", "off, all, scoped"),
        ("force_security_password", "yes", "off, all, scoped"),
        ("allow", ["Sales"], "dept:NAME or user:ADDRESS"),
        ("allow", "dept:Sales", "list"),
        ("allow", ["dept:Marketing"], "not a department"),
        ("exceptions", ["user:ghost@example.com"], "not a user"),
        ("force_scope", ["user:eve@other.com"], "not a user of example.com"),
        ("force_exceptions", ["group:all"], "dept:NAME"),
        ("company_ip_ranges", ["10.0.0.0/33"], "CIDR"),
        ("company_ip_ranges", ["office"], "CIDR"),
    ],
)
def test_bad_values_are_refused_with_a_clear_error(
    world: tuple[Directory, Security], part: str, value: object, fragment: str
) -> None:
    _, security = world
    apply(security, third_party="all")
    with pytest.raises(InvalidPolicy, match=fragment) as error:
        security.set_policy("example.com", **{part: value})  # type: ignore[arg-type]
    assert error.value.message_zh and error.value.code == "security.invalid_policy"
    assert security.get_policy("example.com").third_party is RuleMode.ALL  # nothing half-written


def test_setting_the_policy_of_an_unknown_domain_fails(world: tuple[Directory, Security]) -> None:
    _, security = world
    with pytest.raises(UnknownDomain):
        security.set_policy("nowhere.com", third_party="all")
