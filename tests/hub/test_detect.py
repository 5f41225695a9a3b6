"""Detection as a whole: catalog first, priority between methods, time bounds, and bad addresses."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from tests.hub.conftest_detect import HttpServer, config_xml, resolve_env, use_dns
from tests.hub.dnsserver import DnsServer

from mailhub.catalog import InvalidEmail, detect, parse_email


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[DnsServer]:
    with DnsServer() as server:
        use_dns(monkeypatch, server)
        yield server


async def test_a_catalog_domain_needs_no_network(monkeypatch: pytest.MonkeyPatch):
    # A name server that never answers: any network lookup would show up as a slow, failed lookup.
    with DnsServer(silent=True) as silent:
        use_dns(monkeypatch, silent)

        detection = await detect("  Zhang.San@QQ.com ", timeout=3)

    assert detection.method == "catalog"
    assert detection.provider is not None and detection.provider.id == "qq"
    assert detection.settings is not None and detection.settings.username == "Zhang.San@qq.com"
    assert [lookup.method for lookup in detection.lookups] == ["catalog"]
    assert detection.confidence == 1.0


async def test_mx_wins_over_autoconfig_and_srv(dns: DnsServer, monkeypatch: pytest.MonkeyPatch):
    dns.zone.update(
        {
            "both.cn": {"MX": [(5, "mxbiz1.qq.com")]},
            "_imaps._tcp.both.cn": {"SRV": [(0, 1, 993, "imap.both.cn")]},
            "_submissions._tcp.both.cn": {"SRV": [(0, 1, 465, "smtp.both.cn")]},
        }
    )
    with HttpServer({"/mail/config-v1.1.xml": (200, config_xml())}) as http:
        monkeypatch.setenv("MAILHUB_RESOLVE", resolve_env({"autoconfig.both.cn:80": http.port}))

        detection = await detect("a@both.cn", timeout=2)

    assert detection.method == "mx"
    assert detection.provider is not None and detection.provider.id == "tencent-exmail"
    assert [lookup.method for lookup in detection.lookups][:2] == ["catalog", "mx"]


async def test_autoconfig_wins_over_srv(dns: DnsServer, monkeypatch: pytest.MonkeyPatch):
    dns.zone.update(
        {
            "both.cn": {"MX": [(5, "mail.both.cn")]},
            "_imaps._tcp.both.cn": {"SRV": [(0, 1, 993, "srv-imap.both.cn")]},
            "_submissions._tcp.both.cn": {"SRV": [(0, 1, 465, "srv-smtp.both.cn")]},
        }
    )
    with HttpServer({"/mail/config-v1.1.xml": (200, config_xml(imap_host="xml-imap.both.cn"))}) as http:
        monkeypatch.setenv("MAILHUB_RESOLVE", resolve_env({"autoconfig.both.cn:80": http.port}))

        detection = await detect("a@both.cn", timeout=2)

    assert detection.method == "autoconfig"
    assert detection.settings is not None and detection.settings.imap.host == "xml-imap.both.cn"
    mx = next(lookup for lookup in detection.lookups if lookup.method == "mx")
    assert not mx.ok and "mail.both.cn" in mx.detail


async def test_a_silent_name_server_bounds_dns_lookups_and_autoconfig_still_wins(monkeypatch: pytest.MonkeyPatch):
    with (
        DnsServer(silent=True) as silent,
        HttpServer({"/mail/config-v1.1.xml": (200, config_xml(imap_host="imap.slow-dns.cn"))}) as http,
    ):
        use_dns(monkeypatch, silent)
        monkeypatch.setenv("MAILHUB_RESOLVE", resolve_env({"autoconfig.slow-dns.cn:80": http.port}))

        started = time.perf_counter()
        detection = await detect("a@slow-dns.cn", timeout=1)
        elapsed = time.perf_counter() - started

    assert detection.method == "autoconfig"
    assert detection.settings is not None and detection.settings.imap.host == "imap.slow-dns.cn"
    mx = next(lookup for lookup in detection.lookups if lookup.method == "mx")
    assert not mx.ok
    assert "timeout" in mx.detail.lower() or "no answer within" in mx.detail
    assert elapsed < 4  # an upper bound against hangs: the 1 s bound held, not the resolver's defaults


async def test_nothing_found_is_an_answer_not_an_error(dns: DnsServer):
    detection = await detect("someone@no-such-domain.example", timeout=2)

    assert detection.method is None and detection.settings is None and detection.provider is None
    assert detection.confidence == 0.0
    by_method = {lookup.method: lookup for lookup in detection.lookups}
    assert set(by_method) == {"catalog", "mx", "autoconfig", "srv", "probe"}
    assert not any(lookup.ok for lookup in detection.lookups)
    assert "NXDOMAIN" in by_method["mx"].detail
    assert detection.to_dict("en")["found"] is False


@pytest.mark.parametrize(
    "text",
    ["", "   ", "plainaddress", "@qq.com", "a@", "a@localhost", "a b@qq.com", "a@qq..com", "a@-qq.com", "a@qq.com>"],
)
async def test_text_that_is_not_an_address_raises_a_bilingual_value_error(text: str):
    with pytest.raises(ValueError) as caught:
        await detect(text)

    error = caught.value
    assert isinstance(error, InvalidEmail)
    assert "not a valid email address" in error.message("en")
    assert "不是有效的邮箱地址" in error.message("zh")


def test_international_domains_become_ascii():
    address = parse_email("用户@例子.中国")

    assert address.domain == "xn--fsqu00a.xn--fiqs8s"
    assert address.local == "用户"
