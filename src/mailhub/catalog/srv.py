"""Detection by RFC 6186 SRV records (``_imaps._tcp`` ... ``_submission._tcp``); a target of ``.`` means the
service is deliberately not offered."""

from __future__ import annotations

import asyncio

import dns.name

from mailhub.catalog.dnslookup import LookupFailed, query
from mailhub.catalog.found import Found, LookupContext
from mailhub.catalog.model import MailSettings, ServerSettings, Tls

# Within each protocol, implicit TLS is preferred over STARTTLS (RFC 8314).
IMAP_SERVICES: tuple[tuple[str, Tls], ...] = (("_imaps._tcp", "ssl"), ("_imap._tcp", "starttls"))
SMTP_SERVICES: tuple[tuple[str, Tls], ...] = (("_submissions._tcp", "ssl"), ("_submission._tcp", "starttls"))


async def _service(context: LookupContext, label: str, tls: Tls) -> ServerSettings | str:
    """The chosen server for one SRV service, or why there is none."""
    name = f"{label}.{context.address.domain}"
    try:
        answer = await query(context.resolver, name, "SRV")
    except LookupFailed as failure:
        return str(failure)
    records = sorted(answer, key=lambda r: (r.priority, -r.weight))
    if records[0].target == dns.name.root:
        return f"SRV {name}: not offered (target .)"
    best = records[0]
    return ServerSettings(best.target.to_text(omit_final_dot=True).lower(), best.port, tls)


async def _pick(context: LookupContext, services: tuple[tuple[str, Tls], ...]) -> ServerSettings | list[str]:
    results = await asyncio.gather(*(_service(context, label, tls) for label, tls in services))
    chosen = next((r for r in results if isinstance(r, ServerSettings)), None)
    return chosen if chosen is not None else [str(r) for r in results]


async def find_by_srv(context: LookupContext) -> Found:
    """IMAP and SMTP servers from SRV records; both are needed for usable settings."""
    imap, smtp = await asyncio.gather(_pick(context, IMAP_SERVICES), _pick(context, SMTP_SERVICES))
    if not isinstance(imap, ServerSettings) or not isinstance(smtp, ServerSettings):
        reasons = [*(imap if isinstance(imap, list) else []), *(smtp if isinstance(smtp, list) else [])]
        raise LookupFailed("; ".join(reasons))
    settings = MailSettings(imap=imap, smtp=smtp, username=str(context.address))
    provider = context.catalog.by_host(imap.host)
    return Found(settings, provider, f"SRV: IMAP {imap.host}:{imap.port} {imap.tls}, SMTP {smtp.host}:{smtp.port}")
