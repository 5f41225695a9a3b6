"""Each detection method against real loopback servers: DNS (MX, SRV, A), HTTP(S) autoconfig, IMAP/SMTP greetings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.hub.conftest_detect import (
    GreetingServer,
    HttpServer,
    config_xml,
    resolve_env,
    server_tls,
    use_dns,
)
from tests.hub.dnsserver import DnsServer

from mailhub.catalog import detect
from mailhub.catalog.address import InvalidEmail, parse_email
from mailhub.catalog.autoconfig import parse_config
from mailhub.catalog.dnslookup import LookupFailed


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[DnsServer]:
    with DnsServer() as server:
        use_dns(monkeypatch, server)
        yield server


# --- MX: company domains hosted at the big Chinese providers --------------------------------------------------


@pytest.mark.parametrize(
    ("mx_host", "provider_id", "imap_host"),
    [
        ("mx1.qiye.aliyun.com", "aliyun-standard", "imap.qiye.aliyun.com"),
        ("mxw.mxhichina.com", "aliyun-standard", "imap.qiye.aliyun.com"),
        ("mxbiz1.qq.com", "tencent-exmail", "imap.exmail.qq.com"),
        ("qiye163mx01.mxmail.netease.com", "netease-qiye", "imap.qiye.163.com"),
        ("aspmx.l.google.com", "google", "imap.gmail.com"),
        ("mxw.263.net", "263", "imap.263.net"),
        ("acme-cn.mail.protection.outlook.com", "microsoft-365", "outlook.office365.com"),
    ],
)
async def test_company_domain_is_found_by_its_mx(dns: DnsServer, mx_host: str, provider_id: str, imap_host: str):
    dns.zone["trade-co.cn"] = {"MX": [(10, "backup.example.net"), (5, mx_host)]}

    detection = await detect("sales@trade-co.cn", timeout=2)

    assert detection.method == "mx"
    assert detection.provider is not None and detection.provider.id == provider_id
    assert detection.settings is not None
    assert detection.settings.imap.host == imap_host
    assert detection.settings.username == "sales@trade-co.cn"
    assert detection.confidence == 0.9
    assert any(lookup.method == "mx" and lookup.ok and mx_host in lookup.detail for lookup in detection.lookups)


async def test_only_the_lowest_preference_mx_counts(dns: DnsServer):
    # The backup (preference 20) is Alibaba, the primary a mail filter nobody catalogued: not Alibaba.
    dns.zone["filtered.cn"] = {"MX": [(20, "mx1.qiye.aliyun.com"), (1, "filter.example.net")]}

    detection = await detect("a@filtered.cn", timeout=2)

    assert detection.method is None
    mx = next(lookup for lookup in detection.lookups if lookup.method == "mx")
    assert not mx.ok and "filter.example.net" in mx.detail


async def test_null_mx_is_reported(dns: DnsServer):
    dns.zone["nomail.cn"] = {"MX": [(0, ".")]}

    detection = await detect("a@nomail.cn", timeout=2)

    mx = next(lookup for lookup in detection.lookups if lookup.method == "mx")
    assert "null MX" in mx.detail


# --- Autoconfig ---------------------------------------------------------------------------------------------------


async def test_autoconfig_over_http_fills_the_placeholders(dns: DnsServer, monkeypatch: pytest.MonkeyPatch):
    xml = config_xml(imap_host="imap.%EMAILDOMAIN%", imap_port=143, imap_socket="STARTTLS", username="%EMAILLOCALPART%")
    with HttpServer({"/mail/config-v1.1.xml": (200, xml)}) as http:
        monkeypatch.setenv("MAILHUB_RESOLVE", resolve_env({"autoconfig.example.com:80": http.port}))

        detection = await detect("li.lei@example.com", timeout=2)

    assert detection.method == "autoconfig"
    assert detection.settings is not None
    assert (detection.settings.imap.host, detection.settings.imap.port, detection.settings.imap.tls) == (
        "imap.example.com",
        143,
        "starttls",
    )
    assert (detection.settings.smtp.host, detection.settings.smtp.port) == ("smtp.example.com", 465)
    assert detection.settings.username == "li.lei"
    host, path = http.requests[0]
    assert host == "autoconfig.example.com"
    assert path == "/mail/config-v1.1.xml?emailaddress=li.lei@example.com"


async def test_autoconfig_over_https_well_known_names_a_catalog_provider(
    dns: DnsServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    tls, certs = server_tls(tmp_path, ["example.com"])
    xml = config_xml(imap_host="imap.qiye.aliyun.com", smtp_host="smtp.qiye.aliyun.com")
    with HttpServer({"/.well-known/autoconfig/mail/config-v1.1.xml": (200, xml)}, tls=tls) as https:
        monkeypatch.setenv("MAILHUB_RESOLVE", resolve_env({"example.com:443": https.port}))
        monkeypatch.setenv("MAILHUB_CA_FILE", str(certs.ca_file))

        detection = await detect("boss@example.com", timeout=2)

    assert detection.method == "autoconfig"
    assert detection.provider is not None and detection.provider.id == "aliyun-standard"
    assert https.requests and https.requests[0][0] == "example.com"


async def test_autoconfig_from_an_untrusted_certificate_is_refused(
    dns: DnsServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    tls, _untrusted = server_tls(tmp_path, ["autoconfig.example.com"])
    with HttpServer({"/mail/config-v1.1.xml": (200, config_xml())}, tls=tls) as https:
        monkeypatch.setenv("MAILHUB_RESOLVE", resolve_env({"autoconfig.example.com:443": https.port}))

        detection = await detect("boss@example.com", timeout=2)

    assert detection.method is None
    autoconfig = next(lookup for lookup in detection.lookups if lookup.method == "autoconfig")
    assert "https://autoconfig.example.com" in autoconfig.detail and "ConnectError" in autoconfig.detail


def test_config_without_a_tls_server_is_not_used():
    address = parse_email("a@example.com")
    with pytest.raises(LookupFailed, match="SSL or STARTTLS"):
        parse_config(config_xml(imap_socket="plain"), address)
    with pytest.raises(LookupFailed, match="not valid XML"):
        parse_config("<clientConfig><emailProvider>", address)
    with pytest.raises(LookupFailed, match="emailProvider"):
        parse_config("<html><body>hello</body></html>", address)


# --- SRV (RFC 6186) -----------------------------------------------------------------------------------------------


async def test_srv_records_give_settings_and_dot_means_not_offered(dns: DnsServer):
    dns.zone.update(
        {
            "_imaps._tcp.srv-co.org": {"SRV": [(0, 0, 0, ".")]},
            "_imap._tcp.srv-co.org": {"SRV": [(10, 1, 143, "imap.srv-co.org"), (0, 1, 143, "imap1.srv-co.org")]},
            "_submissions._tcp.srv-co.org": {"SRV": [(0, 1, 465, "smtp.srv-co.org")]},
        }
    )

    detection = await detect("a@srv-co.org", timeout=2)

    assert detection.method == "srv"
    assert detection.settings is not None
    assert detection.settings.imap.host == "imap1.srv-co.org"
    assert (detection.settings.imap.port, detection.settings.imap.tls) == (143, "starttls")
    assert (detection.settings.smtp.host, detection.settings.smtp.port, detection.settings.smtp.tls) == (
        "smtp.srv-co.org",
        465,
        "ssl",
    )


async def test_srv_without_smtp_is_not_enough(dns: DnsServer):
    dns.zone["_imaps._tcp.half.org"] = {"SRV": [(0, 1, 993, "imap.half.org")]}

    detection = await detect("a@half.org", timeout=2)

    srv = next(lookup for lookup in detection.lookups if lookup.method == "srv")
    assert not srv.ok and "_submission._tcp.half.org" in srv.detail


# --- Probing --------------------------------------------------------------------------------------------------------


async def test_probe_reads_greetings_over_verified_tls(dns: DnsServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    tls, certs = server_tls(tmp_path, ["imap.probe-co.com"])
    with (
        GreetingServer(b"* OK IMAP4rev1 ready\r\n", tls=tls) as imaps,
        GreetingServer(b"220 smtp.probe-co.com ESMTP\r\n") as submission,
    ):
        monkeypatch.setenv(
            "MAILHUB_RESOLVE",
            resolve_env({"imap.probe-co.com:993": imaps.port, "smtp.probe-co.com:587": submission.port}),
        )
        monkeypatch.setenv("MAILHUB_CA_FILE", str(certs.ca_file))

        detection = await detect("a@probe-co.com", timeout=2)

    assert detection.method == "probe"
    assert detection.settings is not None
    assert (detection.settings.imap.host, detection.settings.imap.port) == ("imap.probe-co.com", 993)
    assert (detection.settings.smtp.host, detection.settings.smtp.port) == ("smtp.probe-co.com", 587)
    assert detection.settings.smtp.tls == "starttls"
    assert detection.confidence == 0.5


async def test_probe_refuses_a_certificate_for_another_name(
    dns: DnsServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    tls, certs = server_tls(tmp_path, ["someone-else.com"])
    with GreetingServer(b"* OK ready\r\n", tls=tls) as imaps, GreetingServer(b"220 ok\r\n") as smtps:
        monkeypatch.setenv(
            "MAILHUB_RESOLVE", resolve_env({"imap.probe-co.com:993": imaps.port, "smtp.probe-co.com:587": smtps.port})
        )
        monkeypatch.setenv("MAILHUB_CA_FILE", str(certs.ca_file))

        detection = await detect("a@probe-co.com", timeout=2)

    assert detection.method is None
    probe = next(lookup for lookup in detection.lookups if lookup.method == "probe")
    assert "imap.probe-co.com:993: TLS failed" in probe.detail


# --- Parsers: property tests ------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300) | st.binary(max_size=300))
def test_parse_config_on_any_input_either_parses_or_says_why(data: str | bytes):
    try:
        result = parse_config(data, parse_email("a@example.com"))
    except LookupFailed:
        return
    assert result.imap.tls in ("ssl", "starttls")


LABEL_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789-"


@settings(max_examples=300, deadline=None)
@given(
    st.text(max_size=20),
    st.lists(st.text(alphabet=LABEL_CHARS, min_size=1, max_size=12), min_size=1, max_size=4),
)
def test_parse_email_accepts_or_refuses_with_invalid_email(local: str, labels: list[str]):
    text = f"{local}@{'.'.join(labels)}"
    try:
        address = parse_email(text)
    except InvalidEmail as error:
        assert error.message("zh") and error.message("en")
        return
    assert address.domain == address.domain.lower()
    assert address.domain.count(".") >= 1
    assert str(address).endswith("@" + address.domain)
