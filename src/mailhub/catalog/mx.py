"""Detection by MX: the domain's lowest-preference mail exchanger matched against the catalog's MX patterns.

This is how a company domain hosted at Alibaba, Exmail or NetEase is recognised (``mx1.qiye.aliyun.com``...).
"""

from __future__ import annotations

import dns.name

from mailhub.catalog.dnslookup import LookupFailed, query
from mailhub.catalog.found import Found, LookupContext


async def find_by_mx(context: LookupContext) -> Found:
    """The catalog provider whose MX pattern matches the domain's preferred MX host."""
    domain = context.address.domain
    answer = await query(context.resolver, domain, "MX")
    records = sorted(answer, key=lambda record: record.preference)
    if records[0].exchange == dns.name.root:
        raise LookupFailed(f"MX {domain}: null MX, the domain accepts no mail")
    best = records[0].preference
    hosts = [r.exchange.to_text(omit_final_dot=True).lower() for r in records if r.preference == best]
    for host in hosts:
        provider = context.catalog.by_mx(host)
        if provider is not None:
            settings = provider.settings_for(str(context.address))
            return Found(settings, provider, f"MX {host} (preference {best}) matches {provider.id}")
    raise LookupFailed(f"MX {', '.join(hosts)} (preference {best}) matches no catalog provider")
