"""What a detection lookup hands back when it succeeds."""

from __future__ import annotations

from dataclasses import dataclass

import dns.asyncresolver

from mailhub.catalog.address import EmailAddress
from mailhub.catalog.catalog import Catalog
from mailhub.catalog.model import MailSettings, Provider


@dataclass(frozen=True, slots=True)
class Found:
    """Settings (and the provider when known) one lookup found, with a one-line reason."""

    settings: MailSettings
    provider: Provider | None
    detail: str


@dataclass(frozen=True, slots=True)
class LookupContext:
    """What every lookup needs: the address, the catalog, a resolver, and its time bound."""

    address: EmailAddress
    catalog: Catalog
    resolver: dns.asyncresolver.Resolver
    timeout: float
