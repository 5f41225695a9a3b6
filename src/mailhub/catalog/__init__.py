"""What the hub knows about mail providers (as data), and the lookup email address → IMAP/SMTP settings."""

from mailhub.catalog.address import EmailAddress, InvalidEmail, parse_email
from mailhub.catalog.catalog import Catalog, load_catalog, parse_catalog
from mailhub.catalog.detect import Detection, Lookup, detect
from mailhub.catalog.model import (
    HelpLink,
    MailSettings,
    PasswordKind,
    Provider,
    SendingLimits,
    ServerSettings,
    SetupStep,
    Tls,
)
from mailhub.catalog.schema import CatalogError

__all__ = [
    "Catalog",
    "CatalogError",
    "Detection",
    "EmailAddress",
    "HelpLink",
    "InvalidEmail",
    "Lookup",
    "MailSettings",
    "PasswordKind",
    "Provider",
    "SendingLimits",
    "ServerSettings",
    "SetupStep",
    "Tls",
    "detect",
    "load_catalog",
    "parse_catalog",
    "parse_email",
]
