"""Detection by Mozilla autoconfig: the domain's own ``config-v1.1.xml``, fetched over http(s) and parsed."""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from collections.abc import Awaitable
from urllib.parse import quote

import httpx

from mailhub.catalog.address import EmailAddress
from mailhub.catalog.dnslookup import LookupFailed, connect_address
from mailhub.catalog.found import Found, LookupContext
from mailhub.catalog.model import MailSettings, ServerSettings, Tls
from mailhub.transport.endpoints import client_ssl_context

MAX_BYTES = 256 * 1024
# Each URL gets a share of the lookup's bound, so one that hangs (its host never resolves) gives up in time
# for a lower-priority URL's answer to be used within the lookup's own bound.
URL_SHARE = 0.8
_SOCKET_TYPES: dict[str, Tls] = {"SSL": "ssl", "STARTTLS": "starttls"}


def autoconfig_urls(address: EmailAddress) -> list[tuple[str, str, int, str]]:
    """(scheme, host, port, path?query) in Thunderbird's order of preference."""
    domain, query = address.domain, f"?emailaddress={quote(str(address), safe='@')}"
    urls = []
    for host, path in (
        (f"autoconfig.{domain}", "/mail/config-v1.1.xml"),
        (domain, "/.well-known/autoconfig/mail/config-v1.1.xml"),
    ):
        urls += [("https", host, 443, path + query), ("http", host, 80, path + query)]
    return urls


def _fill(text: str, address: EmailAddress) -> str:
    return (
        text.replace("%EMAILADDRESS%", str(address))
        .replace("%EMAILLOCALPART%", address.local)
        .replace("%EMAILDOMAIN%", address.domain)
    )


def _server(element: ET.Element, address: EmailAddress) -> tuple[ServerSettings, str] | None:
    host = _fill((element.findtext("hostname") or "").strip(), address).lower()
    port = (element.findtext("port") or "").strip()
    tls = _SOCKET_TYPES.get((element.findtext("socketType") or "").strip().upper())
    if not host or not port.isdigit() or not 0 < int(port) < 65536 or tls is None:
        return None  # plain-text servers are never offered to the user
    return ServerSettings(host, int(port), tls), _fill((element.findtext("username") or "").strip(), address)


def parse_config(xml_text: str | bytes, address: EmailAddress) -> MailSettings:
    """Settings from a config-v1.1 document: the first IMAP and first SMTP server with TLS."""
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError as error:
        raise LookupFailed(f"not valid XML ({error})") from None
    provider = root.find("emailProvider") if root.tag == "clientConfig" else None
    if provider is None:
        raise LookupFailed("no clientConfig/emailProvider element")
    imap = next(filter(None, (_server(e, address) for e in provider.iterfind("incomingServer[@type='imap']"))), None)
    smtp = next(filter(None, (_server(e, address) for e in provider.iterfind("outgoingServer[@type='smtp']"))), None)
    if imap is None or smtp is None:
        raise LookupFailed("no IMAP and SMTP server with SSL or STARTTLS")
    return MailSettings(imap=imap[0], smtp=smtp[0], username=imap[1] or str(address))


async def _fetch(client: httpx.AsyncClient, context: LookupContext, url: tuple[str, str, int, str]) -> MailSettings:
    scheme, host, port, path = url
    connect_host, connect_port = await connect_address(context.resolver, host, port)
    extensions = {"sni_hostname": host} if scheme == "https" else {}
    shown = f"{scheme}://{host}{path.partition('?')[0]}"
    try:
        async with client.stream(
            "GET", f"{scheme}://{connect_host}:{connect_port}{path}", headers={"Host": host}, extensions=extensions
        ) as response:
            if response.status_code != 200:
                raise LookupFailed(f"{shown}: HTTP {response.status_code}")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_BYTES:
                    raise LookupFailed(f"{shown}: larger than {MAX_BYTES} bytes")
    except httpx.HTTPError as error:
        raise LookupFailed(f"{shown}: {type(error).__name__}") from None
    try:
        return parse_config(bytes(body), context.address)
    except LookupFailed as failure:
        raise LookupFailed(f"{shown}: {failure}") from None


async def _bounded(fetch: Awaitable[MailSettings], seconds: float, url: tuple[str, str, int, str]) -> MailSettings:
    try:
        async with asyncio.timeout(seconds):
            return await fetch
    except TimeoutError:
        raise LookupFailed(f"{url[0]}://{url[1]}: no answer within {seconds:.1f} s") from None


async def find_by_autoconfig(context: LookupContext) -> Found:
    """Settings from the first autoconfig URL (in preference order) that serves a usable document."""
    urls = autoconfig_urls(context.address)
    async with httpx.AsyncClient(verify=client_ssl_context(), trust_env=False, timeout=context.timeout) as client:
        share = context.timeout * URL_SHARE
        tasks = [asyncio.create_task(_bounded(_fetch(client, context, url), share, url)) for url in urls]
        try:
            reasons = []
            for url, task in zip(urls, tasks, strict=True):
                try:
                    settings = await task
                except LookupFailed as failure:
                    reasons.append(str(failure))
                    continue
                provider = context.catalog.by_host(settings.imap.host)
                return Found(settings, provider, f"{url[0]}://{url[1]}{url[3].partition('?')[0]}")
            raise LookupFailed("; ".join(reasons))
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
