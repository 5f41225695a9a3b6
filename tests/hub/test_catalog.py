"""The provider catalog: every record follows the schema, the lookups answer, and the seed's guide is carried."""

from __future__ import annotations

import copy
import tomllib
from typing import Any

import pytest

from mailhub.catalog import CatalogError, load_catalog, parse_catalog
from mailhub.catalog.catalog import catalog_text
from mailhub.catalog.schema import catalog_problems, record_problems

SEED_LINKS = {
    "https://qiye.aliyun.com/",
    "https://qiye.aliyun.com/admin/",
    "https://mail.alibaba.com/",
    "https://mail.alibaba.com/settings/setting_mail_accounts.htm",
}


def records() -> list[dict[str, Any]]:
    return tomllib.loads(catalog_text())["provider"]


def test_every_record_follows_the_schema():
    assert catalog_problems(records()) == []


def test_every_provider_in_the_reference_and_chinas_personal_mail_is_there():
    ids = {provider.id for provider in load_catalog()}
    reference = {
        "aliyun-standard", "alibaba-foreign-trade", "tencent-exmail", "qq", "netease-qiye", "netease-163",
        "netease-126", "netease-yeah", "263", "google", "outlook", "microsoft-365", "zoho", "yandex",
        "yahoo", "icloud", "fastmail", "godaddy", "sina-enterprise", "sina", "hostinger",
    }  # fmt: skip
    china_personal = {"china-mobile-139", "china-telecom-189", "21cn", "88-perfect", "sohu", "aliyun-personal"}
    assert reference | china_personal <= ids


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda r: r["imap"].update(port="993"), "imap.port"),
        (lambda r: r["smtp"].update(tls="tls"), "smtp.tls"),
        (lambda r: r.pop("name_en"), "missing name_en"),
        (lambda r: r["steps"][0].pop("en"), "the en text is missing"),
        (lambda r: r["steps"][0].update(zh=" "), "the zh text is missing"),
        (lambda r: r["links"][0].update(url="http://qiye.aliyun.com/"), "not an https URL"),
        (lambda r: r.update(password_kind="sms"), "password_kind"),
        (lambda r: r["limits"].update(per_day="many"), "limits.per_day"),
        (lambda r: r.update(mx_patterns=["MX1.Example.com"]), "mx_patterns"),
    ],
)
def test_a_broken_record_is_reported(change, expected: str):
    record = copy.deepcopy(records()[0])
    change(record)

    problems = record_problems(record)

    assert any(expected in problem for problem in problems), problems


def test_duplicate_domains_and_mx_patterns_are_reported():
    data = records()
    twin = copy.deepcopy(next(r for r in data if r["id"] == "qq"))
    twin["id"] = "qq-twin"

    problems = catalog_problems([*data, twin])

    assert "duplicate domain: qq.com" in problems
    assert "duplicate MX pattern: mx1.qq.com" in problems


def test_an_invalid_catalog_refuses_to_load():
    text = catalog_text().replace('port = 993, tls = "ssl"', 'port = 993, tls = "tls"', 1)

    with pytest.raises(CatalogError, match=r"imap\.tls"):
        parse_catalog(text)


def test_load_catalog_is_cached():
    assert load_catalog() is load_catalog()


@pytest.mark.parametrize(
    ("mx_host", "provider_id"),
    [
        ("mx1.qiye.aliyun.com", "aliyun-standard"),
        ("MX3.QIYE.ALIYUN.COM.", "aliyun-standard"),
        ("mxn.mxhichina.com", "aliyun-standard"),
        ("mxbiz1.qq.com", "tencent-exmail"),
        ("mx.exmail.qq.com", "tencent-exmail"),
        ("mx2.qq.com", "qq"),
        ("qiye163mx01.mxmail.netease.com", "netease-qiye"),
        ("163mx02.mxmail.netease.com", "netease-163"),
        ("aspmx.l.google.com", "google"),
        ("alt2.aspmx.l.google.com", "google"),
        ("contoso-com.mail.protection.outlook.com", "microsoft-365"),
        ("eur.olc.protection.outlook.com", "outlook"),
        ("mxw.263.net", "263"),
    ],
)
def test_by_mx(mx_host: str, provider_id: str):
    provider = load_catalog().by_mx(mx_host)

    assert provider is not None and provider.id == provider_id


@pytest.mark.parametrize("mx_host", ["mx.example.com", "qq.com", "mxbiz1.qq.com.evil.cn", "aliyun.com"])
def test_by_mx_unknown(mx_host: str):
    assert load_catalog().by_mx(mx_host) is None


def test_by_domain_get_and_by_host():
    catalog = load_catalog()

    assert catalog.by_domain("Foxmail.com.").id == "qq"  # type: ignore[union-attr]
    assert catalog.by_domain("example.com") is None
    assert catalog.get("aliyun-standard").imap.host == "imap.qiye.aliyun.com"  # type: ignore[union-attr]
    assert catalog.get("nope") is None
    assert catalog.by_host("imap.mxhichina.com").id == "aliyun-standard"  # type: ignore[union-attr]


def test_settings_for_uses_the_providers_username_format():
    catalog = load_catalog()
    alibaba = catalog.get("aliyun-standard")
    assert alibaba is not None

    settings = alibaba.settings_for("wang@acme.cn")

    assert (settings.imap.host, settings.imap.port, settings.imap.tls) == ("imap.qiye.aliyun.com", 993, "ssl")
    assert (settings.smtp.host, settings.smtp.port, settings.smtp.tls) == ("smtp.qiye.aliyun.com", 465, "ssl")
    assert settings.username == "wang@acme.cn"

    text = catalog_text().replace('\nusername = "address"\n', '\nusername = "local_part"\n', 1)
    local = parse_catalog(text).get("aliyun-standard")
    assert local is not None and local.settings_for("wang@acme.cn").username == "wang"


@pytest.mark.parametrize("provider_id", ["aliyun-standard", "alibaba-foreign-trade"])
def test_alibaba_carries_the_seeds_admin_and_user_steps(provider_id: str):
    provider = load_catalog().get(provider_id)
    assert provider is not None

    admin = " ".join(step.zh for step in provider.steps_for("admin"))
    user = " ".join(step.zh for step in provider.steps_for("user"))

    assert "【账户安全策略】" in admin and "【允许使用第三方客户端】" in admin
    assert "IMAP/SMTP" in admin
    for words in ("【账户与安全】", "【三方客户端安全密码】", "【生成新密码】", "手机验证码", "备注", "【删除】"):
        assert words in user, words
    assert all(step.en for step in provider.steps)
    links = {link.url for link in provider.links} | {step.link for step in provider.steps if step.link}
    assert links & SEED_LINKS
    assert provider.password_kind == "client_security_password"


def test_unconfirmed_facts_stay_empty():
    catalog = load_catalog()

    assert catalog.get("china-telecom-189").password_kind == ""  # type: ignore[union-attr]  # sources disagree
    assert catalog.get("alibaba-foreign-trade").mx_patterns == ()  # type: ignore[union-attr]
    assert catalog.get("aliyun-standard").limits.per_day is None  # type: ignore[union-attr]  # not published
