"""Checks on what an administrator types: domain names, addresses, phones, department names, passwords."""

from __future__ import annotations

import re

from mailhub.sandbox.directory.errors import InvalidValue

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_DOMAIN = re.compile(rf"^{_LABEL}(?:\.{_LABEL})+$")
_LOCAL = re.compile(r"^[a-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}$")
_PHONE = re.compile(r"^\+?[0-9][0-9 -]{4,19}$")
MIN_PASSWORD = 1
MAX_PASSWORD = 128


def domain_name(name: str) -> str:
    value = name.strip().rstrip(".").lower()
    if not _DOMAIN.match(value):
        raise InvalidValue(f"{name!r} is not a domain name", f"{name!r} 不是有效的域名")
    return value


def address(text: str) -> tuple[str, str]:
    """``(address, domain)`` lower-cased, or ``InvalidValue``."""
    value = text.strip().lower()
    local, at, domain = value.rpartition("@")
    if not at or not _LOCAL.match(local) or local.startswith(".") or not _DOMAIN.match(domain):
        raise InvalidValue(f"{text!r} is not a full email address", f"{text!r} 不是完整的邮箱地址")
    return value, domain


def phone(text: str) -> str:
    value = text.strip()
    if not _PHONE.match(value):
        raise InvalidValue(f"{text!r} is not a phone number", f"{text!r} 不是有效的手机号码")
    return value


def department(name: str) -> str:
    value = name.strip()
    if not value or len(value) > 64 or ":" in value or "," in value:
        raise InvalidValue(
            f"department name {name!r} must be 1-64 characters without ':' or ','",
            f"部门名称 {name!r} 须为 1-64 个字符，且不含 ':' 或 ','",
        )
    return value


def password(secret: str) -> str:
    """Never echoes the password in the error."""
    if not (MIN_PASSWORD <= len(secret) <= MAX_PASSWORD) or secret != secret.strip():
        raise InvalidValue(
            f"a password needs {MIN_PASSWORD}-{MAX_PASSWORD} characters and no leading/trailing spaces",
            f"密码须为 {MIN_PASSWORD}-{MAX_PASSWORD} 个字符，且首尾不能有空格",
        )
    return secret
