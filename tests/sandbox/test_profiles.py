"""Editions (provider profiles): every edition loads and has a reply for every denial and every event."""

from __future__ import annotations

import dataclasses
import re

import pytest

from mailhub.sandbox.profiles import (
    IMAP_TEXT_KEYS,
    SMTP_REPLY_KEYS,
    Edition,
    EditionDataError,
    UnknownEdition,
    all_hostnames,
    edition_for_host,
    get_edition,
    list_editions,
    parse_editions,
)
from mailhub.sandbox.security.decision import Denial

EDITIONS = list_editions()
IDS = [e.id for e in EDITIONS]
SMTP_LINE = re.compile(r"^[45]\d\d [^\r\n]+$")


def test_the_six_editions_are_there() -> None:
    assert IDS == ["aliyun-standard", "alibaba-foreign-trade", "tencent-exmail", "netease-qiye", "263", "generic"]


@pytest.mark.parametrize("edition", EDITIONS, ids=IDS)
@pytest.mark.parametrize("denial", list(Denial))
def test_every_denial_has_a_reply_in_every_edition(edition: Edition, denial: Denial) -> None:
    imap = edition.imap_auth_failure(denial)
    assert imap.startswith(("NO ", "BAD ")) and "\r" not in imap and "\n" not in imap
    assert imap.isascii()  # IMAP response text: many clients choke on raw 8-bit
    assert SMTP_LINE.match(edition.smtp_auth_failure(denial))


@pytest.mark.parametrize("edition", EDITIONS, ids=IDS)
def test_every_edition_has_names_hosts_greetings_and_texts(edition: Edition) -> None:
    assert edition.name_zh and edition.name_en and edition.imap_greeting and edition.smtp_banner
    assert edition.imap_host == edition.imap_hosts[0] and edition.smtp_host == edition.smtp_hosts[0]
    for host in edition.imap_hosts + edition.smtp_hosts:
        assert edition_for_host(host) == edition
    for key in IMAP_TEXT_KEYS:
        assert edition.imap_text(key) and "\n" not in edition.imap_text(key)
    for key in ("unsafe_login", "tls_required"):
        assert edition.imap_text(key).startswith(("NO ", "BAD "))
    for key in SMTP_REPLY_KEYS:
        assert SMTP_LINE.match(edition.smtp_reply(key)), key
    assert edition.smtp_reply("revoked").startswith("421 ")
    with pytest.raises(KeyError, match="known"):
        edition.imap_text("no_such_text")
    with pytest.raises(KeyError, match="known"):
        edition.smtp_reply("no_such_reply")


@pytest.mark.parametrize("edition", EDITIONS, ids=IDS)
def test_guessed_marks_name_real_texts(edition: Edition) -> None:
    names = {"imap_greeting", "smtp_banner"}
    names |= {f"imap_auth_failure.{d.value}" for d in Denial} | {f"smtp_auth_failure.{d.value}" for d in Denial}
    names |= {f"imap_text.{k}" for k in IMAP_TEXT_KEYS} | {f"smtp_reply.{k}" for k in SMTP_REPLY_KEYS}
    assert edition.guessed <= names


def test_alibaba_smtp_is_ambiguous_as_the_real_service() -> None:
    aliyun = get_edition("aliyun-standard")
    assert aliyun.smtp_auth_failure(Denial.BAD_PASSWORD) == "526 Authentication failure[0]"
    assert aliyun.smtp_auth_failure(Denial.CLIENT_PASSWORD_REQUIRED) == "526 Authentication failure[0]"
    assert aliyun.smtp_auth_failure(Denial.THIRD_PARTY_DISABLED) == "526 Authentication failure[0]"
    assert aliyun.smtp_auth_failure(Denial.LOCKED_OUT) == "526 Authentication failure[1]"
    assert aliyun.smtp_auth_failure(Denial.EMPTY_CREDENTIALS) == "524 username or passwd is NULL"
    assert aliyun.smtp_reply("mail_from_mismatch") == "440 mail from account doesn't conform with authentication"
    assert aliyun.imap_greeting.startswith("AliYun IMAP Server Ready(")
    assert "smtp_auth_failure.bad_password" not in aliyun.guessed  # seen from the real service
    assert "imap_auth_failure.bad_password" in aliyun.guessed  # Alibaba's IMAP texts are ours


def test_alibaba_imap_tells_policy_denials_apart() -> None:
    aliyun = get_edition("aliyun-standard")
    assert "UC_OPER_NO_PERMISSION" in aliyun.imap_auth_failure(Denial.THIRD_PARTY_DISABLED)
    assert "UC_LOGIN_SOURCE_NOT_ALLOWED" in aliyun.imap_auth_failure(Denial.SERVICE_DISABLED)
    policy = [
        Denial.THIRD_PARTY_DISABLED,
        Denial.SERVICE_DISABLED,
        Denial.CLIENT_PASSWORD_REQUIRED,
        Denial.BAD_PASSWORD,
    ]
    assert len({aliyun.imap_auth_failure(d) for d in policy}) == len(policy)


def test_foreign_trade_is_like_the_standard_edition_on_its_own_hosts() -> None:
    trade, standard = get_edition("alibaba-foreign-trade"), get_edition("aliyun-standard")
    assert trade.imap_hosts == ("imap.alibaba.com",) and trade.smtp_hosts == ("smtp.alibaba.com",)
    assert dict(trade.imap_failures) == dict(standard.imap_failures)
    assert trade.smtp_auth_failure(Denial.LOCKED_OUT) == standard.smtp_auth_failure(Denial.LOCKED_OUT)
    assert "smtp_auth_failure.locked_out" in trade.guessed  # not seen on foreign-trade itself


def test_netease_needs_id_before_select_and_the_full_address() -> None:
    netease = get_edition("netease-qiye")
    assert netease.requires_id_before_select
    assert netease.imap_text("unsafe_login") == "NO SELECT Unsafe Login. Please contact kefu@188.com for help"
    assert netease.smtp_auth_failure(Denial.USERNAME_NOT_FULL_ADDRESS) == "535 email format login fail"
    assert netease.smtp_auth_failure(Denial.BAD_PASSWORD) == "535 Error: authentication failed"
    assert not any(e.requires_id_before_select for e in EDITIONS if e.id != "netease-qiye")


def test_exmail_answers_system_busy() -> None:
    exmail = get_edition("tencent-exmail")
    assert exmail.smtp_auth_failure(Denial.BAD_PASSWORD) == "535 Error: authentication failed, system busy"


def test_generic_tells_every_denial_apart_with_rfc_5530_codes() -> None:
    generic = get_edition("generic")
    assert generic.guessed == frozenset()
    imap = [generic.imap_auth_failure(d) for d in Denial]
    smtp = [generic.smtp_auth_failure(d) for d in Denial]
    assert len(set(imap)) == len(Denial) and len(set(smtp)) == len(Denial)
    codes = {re.match(r"NO \[([A-Z]+)\]", line).group(1) for line in imap}  # type: ignore[union-attr]
    assert codes == {"AUTHENTICATIONFAILED", "AUTHORIZATIONFAILED", "CONTACTADMIN", "UNAVAILABLE"}
    assert generic.imap_text("tls_required").startswith("NO [PRIVACYREQUIRED]")
    assert all(re.match(r"^\d\d\d [245]\.\d\.\d+ ", line) for line in smtp)


def test_host_lookup_and_the_certificate_names() -> None:
    assert edition_for_host("IMAP.QIYE.ALIYUN.COM.") == get_edition("aliyun-standard")
    assert edition_for_host("smtp.mxhichina.com") == get_edition("aliyun-standard")
    assert edition_for_host("imap.gmail.com") is None
    names = all_hostnames()
    assert len(names) == len(set(names))
    for name in (
        "imap.qiye.aliyun.com", "smtp.qiye.aliyun.com", "imap.mxhichina.com", "smtp.mxhichina.com",
        "imap.alibaba.com", "smtp.alibaba.com", "imap.exmail.qq.com", "smtp.exmail.qq.com",
        "imap.qiye.163.com", "smtp.qiye.163.com", "imap.263.net", "smtp.263.net",
        "imap.sandbox.mailhub.test", "smtp.sandbox.mailhub.test",
    ):  # fmt: skip
        assert name in names


def test_an_unknown_edition_names_the_known_ones() -> None:
    with pytest.raises(UnknownEdition) as error:
        get_edition("aliyun-premium")
    assert isinstance(error.value, KeyError)
    assert "aliyun-standard" in str(error.value) and "generic" in str(error.value)
    assert error.value.message_zh


def test_editions_are_frozen() -> None:
    edition = get_edition("generic")
    with pytest.raises(dataclasses.FrozenInstanceError):
        edition.smtp_banner = "hacked"  # type: ignore[misc]
    with pytest.raises(TypeError):
        edition.smtp_failures[Denial.BAD_PASSWORD] = "250 ok"  # type: ignore[index]


MINIMAL = """
[edition.x]
name_zh = "x"
name_en = "x"
imap_hosts = ["imap.x.test"]
smtp_hosts = ["smtp.x.test"]
imap_greeting = "hi"
smtp_banner = "hi"
[edition.x.imap_auth_failure]
{imap}
[edition.x.smtp_auth_failure]
{smtp}
[edition.x.imap_text]
{texts}
[edition.x.smtp_reply]
{replies}
"""


def minimal(**overrides: str) -> str:
    parts = {
        "imap": "\n".join(f'{d.value} = "NO nope"' for d in Denial),
        "smtp": "\n".join(f'{d.value} = "535 nope"' for d in Denial),
        "texts": "\n".join(f'{k} = "NO nope"' for k in IMAP_TEXT_KEYS),
        "replies": "\n".join(f'{k} = "550 nope"' for k in SMTP_REPLY_KEYS),
    }
    parts.update(overrides)
    return MINIMAL.format(**parts)


def test_the_loader_accepts_a_complete_record() -> None:
    assert parse_editions(minimal())["x"].smtp_auth_failure(Denial.LOCKED_OUT) == "535 nope"


@pytest.mark.parametrize(
    ("document", "fragment"),
    [
        (minimal(imap='bad_password = "NO nope"'), "missing"),
        (minimal(smtp="\n".join(f'{d.value} = "nope"' for d in Denial)), "one-line status"),
        (minimal(replies='mail_from_mismatch = "553 x"\nsurprise = "250 ok"'), "unknown"),
        (minimal(texts="\n".join(f"{k} = 5" for k in IMAP_TEXT_KEYS)), "expected a string"),
        ('[edition.y]\nlike = "x"', "defined above"),
    ],
    ids=["missing-denial", "not-a-status", "unknown-key", "not-a-string", "like-undefined"],
)
def test_the_loader_refuses_incomplete_data(document: str, fragment: str) -> None:
    with pytest.raises(EditionDataError, match=fragment):
        parse_editions(document)
