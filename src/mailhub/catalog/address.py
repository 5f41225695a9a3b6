"""Splitting an email address into local part and domain, refusing what cannot be an address."""

from __future__ import annotations

import re
from dataclasses import dataclass

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_LOCAL_FORBIDDEN = re.compile(r"[\s\x00-\x1f\x7f<>()\[\],;:\\\"]")


class InvalidEmail(ValueError):
    """The text is not an email address; carries the reason in zh-CN and en."""

    def __init__(self, address: str, reason_en: str, reason_zh: str) -> None:
        self.address = address
        self.message_en = f"{address!r} is not a valid email address: {reason_en}"
        self.message_zh = f"“{address}”不是有效的邮箱地址：{reason_zh}"
        super().__init__(f"{self.message_en} / {self.message_zh}")

    def message(self, lang: str) -> str:
        return self.message_zh if lang == "zh" else self.message_en


@dataclass(frozen=True, slots=True)
class EmailAddress:
    """A checked address: ``local@domain`` with the domain lower-cased and in ASCII (IDNA) form."""

    local: str
    domain: str

    def __str__(self) -> str:
        return f"{self.local}@{self.domain}"


def parse_email(text: str) -> EmailAddress:
    """The address in ``text`` (surrounding spaces ignored); raises ``InvalidEmail`` saying what is wrong."""
    address = text.strip() if isinstance(text, str) else ""
    if "@" not in address:
        raise InvalidEmail(str(text), "it has no @", "缺少 @")
    local, _, domain = address.rpartition("@")
    if not local:
        raise InvalidEmail(address, "nothing before the @", "@ 前面为空")
    if len(local) > 64 or _LOCAL_FORBIDDEN.search(local) or "@" in local:
        raise InvalidEmail(
            address, "the part before the @ has characters mail does not allow", "@ 前面含有不允许的字符"
        )
    try:
        ascii_domain = domain.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
        ascii_domain = ""
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels) or len(ascii_domain) > 253:
        raise InvalidEmail(address, f"{domain!r} is not a domain name", f"“{domain}”不是有效的域名")
    if len(local) + 1 + len(ascii_domain) > 254:
        raise InvalidEmail(address, "it is longer than 254 characters", "长度超过 254 个字符")
    return EmailAddress(local, ascii_domain)
