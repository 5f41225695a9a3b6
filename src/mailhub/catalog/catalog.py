"""Loading ``providers.toml`` into typed records, and the lookups by domain, MX host, server host and id."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from functools import cache
from importlib import resources
from typing import Any

from mailhub.catalog.model import HelpLink, Provider, SendingLimits, ServerSettings, SetupStep
from mailhub.catalog.schema import CatalogError, catalog_problems


def _host(name: str) -> str:
    return name.strip().rstrip(".").lower()


class Catalog:
    """All known providers, indexed for the lookups detection needs."""

    def __init__(self, providers: list[Provider]) -> None:
        self._by_id = {p.id: p for p in providers}
        self._by_domain = {d: p for p in providers for d in p.domains}
        self._by_host: dict[str, Provider] = {}
        for provider in providers:
            for host in (provider.imap.host, provider.smtp.host, *provider.other_hosts):
                self._by_host.setdefault(host, provider)
        # Most specific first: a pattern with more literal characters wins over a broader one.
        self._mx = sorted(
            ((pattern, p) for p in providers for pattern in p.mx_patterns),
            key=lambda item: -len(item[0].replace("*", "")),
        )

    def __iter__(self) -> Iterator[Provider]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, provider_id: str) -> Provider | None:
        return self._by_id.get(provider_id)

    def by_domain(self, domain: str) -> Provider | None:
        """The provider serving addresses ``@domain`` directly (e.g. ``qq.com``), if the catalog lists it."""
        return self._by_domain.get(_host(domain))

    def by_mx(self, mx_host: str) -> Provider | None:
        """The provider whose MX patterns match ``mx_host`` (case and trailing dot ignored)."""
        host = _host(mx_host)
        return next((provider for pattern, provider in self._mx if fnmatchcase(host, pattern)), None)

    def by_host(self, server_host: str) -> Provider | None:
        """The provider that runs the IMAP/SMTP server ``server_host`` (used to name autoconfig/SRV results)."""
        return self._by_host.get(_host(server_host))


def _server(raw: Mapping[str, Any]) -> ServerSettings:
    return ServerSettings(host=raw["host"], port=raw["port"], tls=raw["tls"])


def provider_from_record(raw: Mapping[str, Any]) -> Provider:
    """One typed provider from one validated TOML record."""
    password_name = raw.get("password_name", {})
    return Provider(
        id=raw["id"],
        name_zh=raw["name_zh"],
        name_en=raw["name_en"],
        domains=tuple(raw["domains"]),
        mx_patterns=tuple(raw["mx_patterns"]),
        imap=_server(raw["imap"]),
        smtp=_server(raw["smtp"]),
        username=raw["username"],
        password_kind=raw["password_kind"],
        password_name_zh=password_name.get("zh", ""),
        password_name_en=password_name.get("en", ""),
        password_length=raw.get("password_length"),
        imap_id_required=bool(raw.get("imap_id_required", False)),
        files_sent_copy=bool(raw.get("files_sent_copy", False)),
        other_hosts=tuple(raw.get("other_hosts", ())),
        limits=SendingLimits(**raw.get("limits", {})),
        links=tuple(HelpLink(**link) for link in raw.get("links", ())),
        steps=tuple(SetupStep(**step) for step in raw.get("steps", ())),
        sources=tuple(raw.get("sources", ())),
    )


def parse_catalog(text: str) -> Catalog:
    """A catalog from TOML text; raises ``CatalogError`` listing every broken rule."""
    records = tomllib.loads(text).get("provider", [])
    problems = catalog_problems(records)
    if problems:
        raise CatalogError("providers.toml is invalid:\n  " + "\n  ".join(problems))
    return Catalog([provider_from_record(record) for record in records])


def catalog_text() -> str:
    """The shipped ``providers.toml``."""
    return resources.files("mailhub.catalog").joinpath("providers.toml").read_text(encoding="utf-8")


@cache
def load_catalog() -> Catalog:
    """The shipped catalog, parsed and checked once per process."""
    return parse_catalog(catalog_text())
