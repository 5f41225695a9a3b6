"""The seed's story end to end: the hub verifies through the catalog's real Alibaba (and NetEase) settings
against the sandbox (MAILHUB_RESOLVE + MAILHUB_CA_FILE, TLS names checked), and every refusal the sandbox can
provoke is diagnosed to the step the user missed, in zh and en."""

from __future__ import annotations

import pytest

from mailhub.accounts.diagnosis import diagnose
from mailhub.accounts.verify import verify_mailbox
from mailhub.catalog import load_catalog

WEB_PASSWORD = "Web-Password-1"
QUICK = {"connect_timeout": 3.0, "greeting_wait": 0.5, "timeout": 10.0}


@pytest.fixture
def aliyun(sandbox_service, monkeypatch):
    monkeypatch.setenv("MAILHUB_RESOLVE", sandbox_service.resolve_env("aliyun-standard"))
    monkeypatch.setenv("MAILHUB_CA_FILE", str(sandbox_service.ca_file))
    return sandbox_service


def _settings(provider_id: str, address: str, *, local_part: bool = False):
    settings = load_catalog().get(provider_id).settings_for(address)  # type: ignore[union-attr]
    if local_part:
        settings = type(settings)(settings.imap, settings.smtp, address.partition("@")[0])
    return settings


async def _diagnosed(provider_id: str, address: str, password: str, **kwargs):
    verification = await verify_mailbox(_settings(provider_id, address, **kwargs), password, **QUICK)
    assert not verification.ok
    diagnosis = diagnose(verification, provider_id=provider_id, password=password)
    assert diagnosis is not None
    for lang in ("zh", "en"):
        shown = diagnosis.to_dict(lang)
        assert shown["title"] and shown["steps"] and shown["steps"][0]["text"]
    assert password not in repr(verification) + str(verification.to_dict()) + str(diagnosis.to_dict("en"))
    return verification, diagnosis


async def test_client_password_verifies(aliyun) -> None:
    address = "sales@acme-verify.cn"
    aliyun.bind_user(address, WEB_PASSWORD)
    client_password = aliyun.new_client_password(address, "mailhub")
    verification = await verify_mailbox(_settings("aliyun-standard", address), client_password, **QUICK)
    assert verification.ok, (verification.imap, verification.smtp)
    assert diagnose(verification, provider_id="aliyun-standard", password=client_password) is None
    assert "AliYun IMAP Server Ready" in verification.imap.transcript[0]


async def test_third_party_clients_not_allowed(aliyun) -> None:
    address = "a@acme-verify.cn"
    aliyun.bind_user(address, WEB_PASSWORD, third_party="off")
    _verification, diagnosis = await _diagnosed("aliyun-standard", address, WEB_PASSWORD)
    assert diagnosis.code == "third_party_clients_disabled"
    assert diagnosis.protocol == "imap"  # SMTP only said 526 Authentication failure[0]
    assert diagnosis.steps[0].link == "https://qiye.aliyun.com/admin/"
    assert "允许使用第三方客户端" in diagnosis.to_dict("zh")["steps"][0]["text"]


async def test_imap_smtp_service_off(aliyun) -> None:
    address = "b@acme-verify.cn"
    aliyun.bind_user(address, WEB_PASSWORD, imap_smtp=False)
    verification, diagnosis = await _diagnosed("aliyun-standard", address, WEB_PASSWORD)
    assert diagnosis.code == "imap_smtp_service_disabled"
    assert verification.smtp.reply is not None and verification.smtp.reply.startswith("526")
    assert "开启IMAP/SMTP服务" in diagnosis.to_dict("zh")["steps"][0]["text"]


async def test_web_password_once_a_client_password_exists(aliyun) -> None:
    address = "c@acme-verify.cn"
    aliyun.bind_user(address, WEB_PASSWORD)
    aliyun.new_client_password(address, "phone")
    _verification, diagnosis = await _diagnosed("aliyun-standard", address, WEB_PASSWORD)
    assert diagnosis.code == "client_password_required"
    assert "生成新密码" in diagnosis.to_dict("zh")["steps"][0]["text"]
    assert any(hint.code == "not_client_password_shape" for hint in diagnosis.hints)


async def test_wrong_client_password(aliyun) -> None:
    address = "d@acme-verify.cn"
    aliyun.bind_user(address, WEB_PASSWORD)
    real = aliyun.new_client_password(address, "laptop")
    wrong = real[::-1] if real[::-1] != real else "Z" * len(real)
    _verification, diagnosis = await _diagnosed("aliyun-standard", address, wrong)
    assert diagnosis.code == "password_wrong_or_revoked"


async def test_username_must_be_the_full_address(aliyun) -> None:
    address = "e@acme-verify.cn"
    aliyun.bind_user(address, WEB_PASSWORD)
    _verification, diagnosis = await _diagnosed("aliyun-standard", address, WEB_PASSWORD, local_part=True)
    assert diagnosis.code == "username_must_be_full_address"


async def test_too_many_failures(aliyun) -> None:
    address = "f@acme-verify.cn"
    aliyun.bind_user(address, WEB_PASSWORD)
    for _ in range(3):  # each verification fails twice (IMAP and SMTP): 6 > the sandbox's 5
        await verify_mailbox(_settings("aliyun-standard", address), "Wrong-Password-0", **QUICK)
    _verification, diagnosis = await _diagnosed("aliyun-standard", address, WEB_PASSWORD)
    assert diagnosis.code == "too_many_failures"


async def test_netease_needs_id_before_select_and_gets_it(sandbox_service, monkeypatch) -> None:
    monkeypatch.setenv("MAILHUB_RESOLVE", sandbox_service.resolve_env("netease-qiye"))
    monkeypatch.setenv("MAILHUB_CA_FILE", str(sandbox_service.ca_file))
    address = "g@netease-verify.cn"
    sandbox_service.bind_user(address, WEB_PASSWORD, edition="netease-qiye")
    client_password = sandbox_service.new_client_password(address, "mailhub")
    verification = await verify_mailbox(_settings("netease-qiye", address), client_password, **QUICK)
    assert verification.ok, (verification.imap, verification.smtp)
    said = [line.split(" ", 2)[-1] for line in verification.imap.transcript if line.startswith("C: ")]
    assert [w.split(" ")[0] for w in said].index("ID") < [w.split(" ")[0] for w in said].index("SELECT")


async def test_netease_third_party_refusal(sandbox_service, monkeypatch) -> None:
    monkeypatch.setenv("MAILHUB_RESOLVE", sandbox_service.resolve_env("netease-qiye"))
    monkeypatch.setenv("MAILHUB_CA_FILE", str(sandbox_service.ca_file))
    address = "h@netease-verify.cn"
    sandbox_service.bind_user(address, WEB_PASSWORD, edition="netease-qiye", imap_smtp=False)
    _verification, diagnosis = await _diagnosed("netease-qiye", address, WEB_PASSWORD)
    assert diagnosis.code == "imap_smtp_service_disabled"
