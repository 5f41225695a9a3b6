"""The catalog's real settings reach the sandbox's editions: same ids, same host names, real TLS name checks."""

from __future__ import annotations

import asyncio
import ssl

import pytest
from tests.hub.conftest_detect import use_dns
from tests.hub.dnsserver import DnsServer

from mailhub.catalog import detect, load_catalog
from mailhub.outbox.sent_folder import files_sent_itself
from mailhub.sandbox.profiles import get_edition
from mailhub.transport.endpoints import client_ssl_context, resolve

EDITIONS = ["aliyun-standard", "alibaba-foreign-trade", "tencent-exmail", "netease-qiye", "263"]


@pytest.mark.parametrize("edition_id", EDITIONS)
def test_every_sandbox_edition_is_a_catalog_provider_with_the_same_hosts(edition_id: str):
    edition = get_edition(edition_id)
    provider = load_catalog().get(edition_id)

    assert provider is not None
    assert provider.imap.host == edition.imap_host
    assert provider.smtp.host == edition.smtp_host
    # the outbox appends to Sent only where the provider does not: both sides must agree
    assert files_sent_itself(edition_id) == edition.files_sent_copy


async def _greeting(host: str, port: int) -> bytes:
    endpoint = resolve(host, port)
    reader, writer = await asyncio.open_connection(
        endpoint.connect_host, endpoint.connect_port, ssl=client_ssl_context(), server_hostname=host
    )
    try:
        return await asyncio.wait_for(reader.readline(), 5)
    finally:
        writer.close()


async def test_a_company_domain_at_alibaba_is_detected_and_its_servers_answer(
    sandbox_service, monkeypatch: pytest.MonkeyPatch
):
    with DnsServer({"acme-trade.cn": {"MX": [(5, "mx1.qiye.aliyun.com"), (10, "mx2.qiye.aliyun.com")]}}) as dns:
        use_dns(monkeypatch, dns)
        detection = await detect("sales@acme-trade.cn", timeout=2)
    assert detection.method == "mx" and detection.settings is not None
    monkeypatch.setenv("MAILHUB_RESOLVE", sandbox_service.resolve_env("aliyun-standard"))
    monkeypatch.setenv("MAILHUB_CA_FILE", str(sandbox_service.ca_file))

    imap = await _greeting(detection.settings.imap.host, detection.settings.imap.port)
    smtp = await _greeting(detection.settings.smtp.host, detection.settings.smtp.port)

    assert imap.startswith(b"* OK") and b"AliYun IMAP Server Ready" in imap
    assert smtp.startswith(b"220")
    with pytest.raises(ssl.SSLCertVerificationError):
        await _wrong_name(sandbox_service.ports["imaps"])


async def _wrong_name(port: int) -> bytes:
    """The sandbox's certificate does not cover a name it was not issued for: TLS name checks are on."""
    _reader, writer = await asyncio.open_connection(
        "127.0.0.1", port, ssl=client_ssl_context(), server_hostname="imap.not-the-sandbox.example"
    )
    writer.close()
    return b""
