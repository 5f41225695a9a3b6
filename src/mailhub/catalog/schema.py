"""The rules every ``providers.toml`` record must follow, checked at load time and by the catalog test."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from mailhub.catalog.model import PASSWORD_KINDS, TLS_MODES

REQUIRED = ("id", "name_zh", "name_en", "domains", "mx_patterns", "imap", "smtp", "username", "password_kind")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_HOST = re.compile(r"^[a-z0-9*?\[\]-]+(\.[a-z0-9*?\[\]-]+)+$")


class CatalogError(ValueError):
    """The provider catalog data breaks a rule; the message names the record and the field."""


def _https(url: Any) -> bool:
    return isinstance(url, str) and url.startswith("https://") and " " not in url and len(url) > len("https://")


def _server_problems(where: str, server: Any) -> list[str]:
    if not isinstance(server, Mapping):
        return [f"{where}: must be a table with host, port, tls"]
    problems = []
    host, port, tls = server.get("host"), server.get("port"), server.get("tls")
    if not (isinstance(host, str) and _HOST.match(host) and "*" not in host):
        problems.append(f"{where}.host: {host!r} is not a host name")
    if not (type(port) is int and 0 < port < 65536):
        problems.append(f"{where}.port: {port!r} is not an int port")
    if tls not in TLS_MODES:
        problems.append(f"{where}.tls: {tls!r} is not one of {TLS_MODES}")
    return problems


def record_problems(record: Mapping[str, Any]) -> list[str]:
    """Every rule one record breaks (empty when it is valid)."""
    name = record.get("id", "?")
    problems = [f"{name}: missing {key}" for key in REQUIRED if key not in record]
    if problems:
        return problems
    if not (isinstance(record["id"], str) and _ID.match(record["id"])):
        problems.append(f"{name}: id must be lower-case letters, digits and dashes")
    for key in ("name_zh", "name_en"):
        if not (isinstance(record[key], str) and record[key].strip()):
            problems.append(f"{name}: {key} is empty")
    for key in ("domains", "mx_patterns", "other_hosts"):
        values = record.get(key, [])
        if not isinstance(values, list) or not all(isinstance(v, str) and _HOST.match(v) for v in values):
            problems.append(f"{name}: {key} must be a list of lower-case host names or globs")
    problems += _server_problems(f"{name}.imap", record["imap"])
    problems += _server_problems(f"{name}.smtp", record["smtp"])
    if record["username"] not in ("address", "local_part", ""):
        problems.append(f"{name}: username {record['username']!r} is not address | local_part | empty")
    if record["password_kind"] not in (*PASSWORD_KINDS, ""):
        problems.append(f"{name}: password_kind {record['password_kind']!r} is not one of {PASSWORD_KINDS}")
    length = record.get("password_length")
    if length is not None and not (type(length) is int and length > 0):
        problems.append(f"{name}: password_length must be a positive int")
    for url in record.get("sources", []):
        if not _https(url):
            problems.append(f"{name}: source {url!r} is not an https URL")
    for link in record.get("links", []):
        if not (isinstance(link, Mapping) and link.get("title_zh") and link.get("title_en")):
            problems.append(f"{name}: link {link!r} needs title_zh and title_en")
        if not _https(link.get("url") if isinstance(link, Mapping) else None):
            problems.append(f"{name}: link url {link!r} is not an https URL")
    for index, step in enumerate(record.get("steps", [])):
        where = f"{name}: step {index + 1}"
        if not isinstance(step, Mapping):
            problems.append(f"{where} must be a table")
            continue
        if step.get("who") not in ("admin", "user"):
            problems.append(f"{where}: who must be admin or user")
        for lang in ("zh", "en"):
            if not (isinstance(step.get(lang), str) and step[lang].strip()):
                problems.append(f"{where}: the {lang} text is missing")
        if "link" in step and not _https(step["link"]):
            problems.append(f"{where}: link {step['link']!r} is not an https URL")
    limits = record.get("limits", {})
    for key in ("per_day", "per_minute", "recipients_per_message", "recipients_per_day"):
        if key in limits and not (type(limits[key]) is int and limits[key] > 0):
            problems.append(f"{name}: limits.{key} must be a positive int")
    if bool(limits.get("note_zh")) != bool(limits.get("note_en")):
        problems.append(f"{name}: limits note needs both zh and en")
    return problems


def _duplicates(values: Iterable[str]) -> list[str]:
    return sorted(value for value, count in Counter(values).items() if count > 1)


def catalog_problems(records: list[Mapping[str, Any]]) -> list[str]:
    """Every rule the whole catalog breaks: per-record rules plus no duplicate ids, domains or MX patterns."""
    problems = [problem for record in records for problem in record_problems(record)]
    for key, label in (("id", "id"), ("domains", "domain"), ("mx_patterns", "MX pattern")):
        values = [v for r in records for v in (r.get(key, []) if key != "id" else [r.get("id", "")])]
        problems += [f"duplicate {label}: {value}" for value in _duplicates(values)]
    return problems
