"""Editions as data: what each provider's IMAP/SMTP servers say (see ``editions.toml``)."""

from mailhub.sandbox.profiles.edition import IMAP_TEXT_KEYS, SMTP_REPLY_KEYS, Edition
from mailhub.sandbox.profiles.loader import (
    EditionDataError,
    UnknownEdition,
    all_hostnames,
    edition_for_host,
    get_edition,
    list_editions,
    parse_editions,
)

__all__ = [
    "IMAP_TEXT_KEYS",
    "SMTP_REPLY_KEYS",
    "Edition",
    "EditionDataError",
    "UnknownEdition",
    "all_hostnames",
    "edition_for_host",
    "get_edition",
    "list_editions",
    "parse_editions",
]
