"""``mailhub detect`` as a person runs it: the real Typer app, JSON and text output, zh and en."""

from __future__ import annotations

import json

import pytest
from tests.hub.conftest_detect import use_dns
from tests.hub.dnsserver import DnsServer
from typer.testing import CliRunner

from mailhub.cli import app

runner = CliRunner()


def test_detect_json_for_a_catalog_domain():
    result = runner.invoke(app, ["detect", "li@163.com", "--json", "--lang", "en"])

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["method"] == "catalog"
    assert data["provider"]["id"] == "netease-163"
    assert data["provider"]["password_kind"] == "authorization_code"
    assert data["settings"]["imap"] == {"host": "imap.163.com", "port": 993, "tls": "ssl"}
    assert data["settings"]["username"] == "li@163.com"


def test_detect_json_for_a_company_domain_at_alibaba(monkeypatch: pytest.MonkeyPatch):
    with DnsServer({"acme-trade.cn": {"MX": [(5, "mx1.qiye.aliyun.com"), (10, "mx2.qiye.aliyun.com")]}}) as server:
        use_dns(monkeypatch, server)

        result = runner.invoke(app, ["detect", "sales@acme-trade.cn", "--json", "--timeout", "2"])

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["method"] == "mx"
    assert data["provider"]["id"] == "aliyun-standard"
    assert data["settings"]["smtp"] == {"host": "smtp.qiye.aliyun.com", "port": 465, "tls": "ssl"}
    steps = data["provider"]["steps"]
    assert any("允许使用第三方客户端" in step["text"] for step in steps if step["who"] == "admin")


def test_detect_text_output_shows_steps_in_chinese(monkeypatch: pytest.MonkeyPatch):
    with DnsServer({"acme-trade.cn": {"MX": [(5, "mxw.mxhichina.com")]}}) as server:
        use_dns(monkeypatch, server)

        result = runner.invoke(app, ["detect", "sales@acme-trade.cn", "--lang", "zh", "--timeout", "2"])

    assert result.exit_code == 0, result.output
    assert "阿里云企业邮箱" in result.stdout
    assert "imap.qiye.aliyun.com" in result.stdout
    assert "生成新密码" in result.stdout


def test_detect_not_found_exits_1(monkeypatch: pytest.MonkeyPatch):
    with DnsServer() as server:
        use_dns(monkeypatch, server)

        result = runner.invoke(app, ["detect", "a@nowhere.example", "--json", "--timeout", "2"])

    assert result.exit_code == 1
    assert json.loads(result.stdout)["found"] is False


@pytest.mark.parametrize(("lang", "text"), [("zh", "不是有效的邮箱地址"), ("en", "is not a valid email address")])
def test_detect_bad_address_exits_2_with_a_message(lang: str, text: str):
    result = runner.invoke(app, ["detect", "not-an-address", "--lang", lang])

    assert result.exit_code == 2
    assert text in result.stderr
