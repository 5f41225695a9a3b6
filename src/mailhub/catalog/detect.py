"""Email address → IMAP/SMTP settings: the catalog first, then MX, autoconfig, SRV and probing side by side.

The network lookups start together, each bounded by its own timeout; the answer is taken in priority order,
so a slow low-priority lookup never delays a found high-priority one, and the rest are cancelled.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from mailhub.catalog.address import parse_email
from mailhub.catalog.autoconfig import find_by_autoconfig
from mailhub.catalog.catalog import Catalog, load_catalog
from mailhub.catalog.dnslookup import LookupFailed, make_resolver
from mailhub.catalog.found import Found, LookupContext
from mailhub.catalog.model import MailSettings, Provider
from mailhub.catalog.mx import find_by_mx
from mailhub.catalog.probe import find_by_probe
from mailhub.catalog.srv import find_by_srv

Method = Literal["catalog", "mx", "autoconfig", "srv", "probe"]
LOOKUP_TIMEOUT = 5.0

CONFIDENCE: dict[str, float] = {"catalog": 1.0, "mx": 0.9, "autoconfig": 0.8, "srv": 0.7, "probe": 0.5}
NETWORK_LOOKUPS: tuple[tuple[Method, Callable[[LookupContext], Awaitable[Found]]], ...] = (
    ("mx", find_by_mx),
    ("autoconfig", find_by_autoconfig),
    ("srv", find_by_srv),
    ("probe", find_by_probe),
)


@dataclass(frozen=True, slots=True)
class Lookup:
    """One lookup's outcome, for the user who asks "how did you find these settings?"."""

    method: Method
    ok: bool
    detail: str
    elapsed_ms: float


@dataclass(frozen=True, slots=True)
class Detection:
    """The settings found for an address (``settings`` None when nothing was found) and how."""

    email: str
    provider: Provider | None
    settings: MailSettings | None
    method: Method | None
    confidence: float
    lookups: list[Lookup] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return self.settings is not None

    def to_dict(self, lang: Literal["zh", "en"] = "en") -> dict[str, Any]:
        """A JSON-ready view; provider names and steps in ``lang``."""
        provider = self.provider
        return {
            "email": self.email,
            "found": self.found,
            "method": self.method,
            "confidence": self.confidence,
            "provider": None
            if provider is None
            else {
                "id": provider.id,
                "name": provider.name(lang),
                "password_kind": provider.password_kind or None,
                "password_name": (provider.password_name_zh if lang == "zh" else provider.password_name_en) or None,
                "steps": [{"who": s.who, "text": s.text(lang), "link": s.link} for s in provider.steps],
                "links": [{"title": link.title(lang), "url": link.url} for link in provider.links],
                "limits": asdict(provider.limits),
            },
            "settings": None if self.settings is None else asdict(self.settings),
            "lookups": [asdict(lookup) for lookup in self.lookups],
        }


def _elapsed_ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 1)


async def _run(
    method: Method, lookup: Callable[[LookupContext], Awaitable[Found]], context: LookupContext
) -> tuple[Lookup, Found | None]:
    """One bounded lookup, never raising: (Lookup, Found | None)."""
    start = time.perf_counter()
    try:
        async with asyncio.timeout(context.timeout):
            found = await lookup(context)
    except TimeoutError:
        return Lookup(method, False, f"no answer within {context.timeout:g} s", _elapsed_ms(start)), None
    except LookupFailed as failure:
        return Lookup(method, False, str(failure), _elapsed_ms(start)), None
    except Exception as error:  # a lookup bug must not take detection down; say what it was
        return Lookup(method, False, f"internal error: {type(error).__name__}", _elapsed_ms(start)), None
    return Lookup(method, True, found.detail, _elapsed_ms(start)), found


async def detect(email: str, *, timeout: float = LOOKUP_TIMEOUT, catalog: Catalog | None = None) -> Detection:
    """How to reach ``email``'s mailbox. Raises ``InvalidEmail`` (a ``ValueError``) only for text that is not
    an address; every other failure comes back as a ``Detection`` with ``method=None`` and the reasons."""
    address = parse_email(email)
    catalog = catalog or load_catalog()
    start = time.perf_counter()
    provider = catalog.by_domain(address.domain)
    if provider is not None:
        lookup = Lookup("catalog", True, f"{address.domain} is served by {provider.id}", _elapsed_ms(start))
        settings = provider.settings_for(str(address))
        return Detection(str(address), provider, settings, "catalog", CONFIDENCE["catalog"], [lookup])
    lookups = [Lookup("catalog", False, f"{address.domain} is not a catalog domain", _elapsed_ms(start))]
    context = LookupContext(address, catalog, make_resolver(timeout), timeout)
    tasks = {method: asyncio.create_task(_run(method, fn, context)) for method, fn in NETWORK_LOOKUPS}
    try:
        for method, task in tasks.items():
            lookup, found = await task
            lookups.append(lookup)
            if found is not None:
                lookups += [
                    Lookup(other, False, f"not needed: {method} answered first", 0.0)
                    for other, pending in tasks.items()
                    if pending is not task and not pending.done()
                ]
                return Detection(str(address), found.provider, found.settings, method, CONFIDENCE[method], lookups)
        return Detection(str(address), None, None, None, 0.0, lookups)
    finally:
        for task in tasks.values():
            task.cancel()
        await asyncio.gather(*tasks.values(), return_exceptions=True)
