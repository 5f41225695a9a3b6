"""Reads ``editions.toml`` (package data) into ``Edition`` records, checking that every reply is present.

The file is static package data, so it is parsed once per process; policy and passwords, which change at
run time, are never cached like this.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from mailhub.sandbox.profiles.edition import IMAP_TEXT_KEYS, SMTP_REPLY_KEYS, Edition
from mailhub.sandbox.security.decision import Denial

DATA_FILE = "editions.toml"


class UnknownEdition(KeyError):
    """No edition has this id. ``str()`` names the known ids."""

    code = "sandbox.unknown_edition"

    def __init__(self, edition_id: str, known: list[str]) -> None:
        self.edition_id = edition_id
        self.message_en = f"unknown edition {edition_id!r}; known editions: {', '.join(known)}"
        self.message_zh = f"未知的邮箱版本 {edition_id!r}；可选：{'、'.join(known)}"
        super().__init__(self.message_en)

    def __str__(self) -> str:  # KeyError would quote the message
        return self.message_en


class EditionDataError(ValueError):
    """``editions.toml`` is missing a field or a reply (a packaging or review mistake)."""


def _text(value: Any, where: str, guessed: set[str]) -> str:
    """A reply is either a plain string (seen from the real provider) or ``{ text = ..., guessed = true }``."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("text"), str):
        if value.get("guessed", False):
            guessed.add(where)
        return value["text"]
    raise EditionDataError(f"{where}: expected a string or {{ text = ..., guessed = ... }}, got {value!r}")


def _replies(raw: dict[str, Any], section: str, keys: tuple[str, ...], guessed: set[str]) -> dict[str, str]:
    table = raw.get(section, {})
    missing = [k for k in keys if k not in table]
    unknown = [k for k in table if k not in keys]
    if missing or unknown:
        raise EditionDataError(f"{raw['id']}.{section}: missing {missing}, unknown {unknown}")
    return {k: _text(table[k], f"{section}.{k}", guessed) for k in keys}


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``like = "other-id"``: start from that edition's fields, then apply this one's (tables merge by key)."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def _build(raw: dict[str, Any]) -> Edition:
    guessed: set[str] = set()
    denials = tuple(d.value for d in Denial)
    imap_failures = _replies(raw, "imap_auth_failure", denials, guessed)
    smtp_failures = _replies(raw, "smtp_auth_failure", denials, guessed)
    for line in smtp_failures.values():
        if not (len(line) > 4 and line[:3].isdigit() and line[3] == " "):
            raise EditionDataError(f"{raw['id']}: SMTP reply {line!r} is not a one-line status")
    hosts = {k: tuple(h.lower() for h in raw[k]) for k in ("imap_hosts", "smtp_hosts")}
    if not hosts["imap_hosts"] or not hosts["smtp_hosts"]:
        raise EditionDataError(f"{raw['id']}: needs at least one IMAP and one SMTP host")
    return Edition(
        id=raw["id"],
        name_zh=raw["name_zh"],
        name_en=raw["name_en"],
        imap_hosts=hosts["imap_hosts"],
        smtp_hosts=hosts["smtp_hosts"],
        imap_greeting=_text(raw["imap_greeting"], "imap_greeting", guessed),
        smtp_banner=_text(raw["smtp_banner"], "smtp_banner", guessed),
        requires_id_before_select=bool(raw.get("requires_id_before_select", False)),
        files_sent_copy=bool(raw.get("files_sent_copy", False)),
        imap_failures=MappingProxyType({Denial(k): v for k, v in imap_failures.items()}),
        smtp_failures=MappingProxyType({Denial(k): v for k, v in smtp_failures.items()}),
        imap_texts=MappingProxyType(_replies(raw, "imap_text", IMAP_TEXT_KEYS, guessed)),
        smtp_replies=MappingProxyType(_replies(raw, "smtp_reply", SMTP_REPLY_KEYS, guessed)),
        guessed=frozenset(guessed),
    )


def parse_editions(document: str) -> dict[str, Edition]:
    """Parse the TOML text of an editions file into editions by id (used by tests on broken data too)."""
    tables: dict[str, dict[str, Any]] = tomllib.loads(document).get("edition", {})
    resolved: dict[str, dict[str, Any]] = {}
    for edition_id, raw in tables.items():
        base_id = raw.get("like")
        if base_id is not None and base_id not in resolved:
            raise EditionDataError(f"{edition_id}: like = {base_id!r} must name an edition defined above it")
        body = {k: v for k, v in raw.items() if k != "like"}
        resolved[edition_id] = _merge(resolved[base_id], body) if base_id else body
        resolved[edition_id]["id"] = edition_id
    return {edition_id: _build(raw) for edition_id, raw in resolved.items()}


@cache
def _editions() -> dict[str, Edition]:
    document = resources.files("mailhub.sandbox.profiles").joinpath(DATA_FILE).read_text(encoding="utf-8")
    return parse_editions(document)


def get_edition(edition_id: str) -> Edition:
    """The edition with this id; raises ``UnknownEdition`` (a ``KeyError``) naming the known ids."""
    editions = _editions()
    try:
        return editions[edition_id]
    except KeyError:
        raise UnknownEdition(edition_id, list(editions)) from None


def list_editions() -> list[Edition]:
    """Every edition, in the file's order."""
    return list(_editions().values())


def edition_for_host(name: str) -> Edition | None:
    """The edition whose IMAP or SMTP host name this is (as a client dialled it, e.g. from SNI), if any."""
    return next((e for e in _editions().values() if e.serves_host(name)), None)


def all_hostnames() -> list[str]:
    """Every edition's IMAP and SMTP host names, once each: the names the sandbox TLS certificate must cover."""
    names: dict[str, None] = {}
    for edition in _editions().values():
        names.update(dict.fromkeys(edition.imap_hosts + edition.smtp_hosts))
    return list(names)
