"""What we can tell about a password before sending it: clean what people paste with it, and warn when it
does not look like the provider's client password (the commonest binding mistake is the web password).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mailhub.catalog import Provider, load_catalog

# Providers whose client password is a generated token without spaces: spaces inside are paste artefacts.
_TOKEN_KINDS = frozenset({"client_security_password", "authorization_code", "app_password"})
# "abcd efgh ijkl mnop": how Google (and others) display a 16-letter app password.
_GROUPED = re.compile(r"^[A-Za-z0-9]{4}( [A-Za-z0-9]{4}){3}$")


@dataclass(frozen=True, slots=True)
class Hint:
    """One observation about the password, in both languages; ``code`` is stable for programs."""

    code: str
    text: dict[str, str]


@dataclass(frozen=True, slots=True)
class PasswordCheck:
    """``cleaned`` is what should be sent (never shown in reprs); ``hints`` say what we changed or suspect."""

    cleaned: str = field(repr=False)
    hints: list[Hint] = field(default_factory=list)

    @property
    def looks_like_client_password(self) -> bool | None:
        """False when the shape contradicts the provider's client password; None when we cannot tell."""
        codes = {hint.code for hint in self.hints}
        if "not_client_password_shape" in codes:
            return False
        if "client_password_shape" in codes:
            return True
        return None


def _provider(provider_id: str | None) -> Provider | None:
    return load_catalog().get(provider_id) if provider_id else None


def _name(provider: Provider, lang: str) -> str:
    name = provider.password_name_zh if lang == "zh" else provider.password_name_en
    if name:
        return name
    return "客户端专用密码" if lang == "zh" else "client password"


def password_hints(provider_id: str | None, password: str) -> PasswordCheck:
    """The password to send and what we noticed. Never raises, never logs the password."""
    provider = _provider(provider_id)
    kind = provider.password_kind if provider else ""
    cleaned = password.strip("\r\n\t ")
    hints: list[Hint] = []
    token = kind in _TOKEN_KINDS
    if " " in cleaned and (token or _GROUPED.match(cleaned)):
        cleaned = cleaned.replace(" ", "")
        hints.append(
            Hint(
                "spaces_removed",
                {
                    "zh": "已去掉密码中的空格（客户端密码显示时常按 4 位分组，粘贴时不需要空格）。",
                    "en": "Removed the spaces from the password (client passwords are often shown in groups of 4; "
                    "they are not part of it).",
                },
            )
        )
    elif cleaned != password:
        hints.append(
            Hint(
                "whitespace_trimmed",
                {"zh": "已去掉密码首尾的空白字符。", "en": "Removed blanks around the password."},
            )
        )
    if not cleaned:
        hints.append(Hint("empty", {"zh": "密码为空。", "en": "The password is empty."}))
        return PasswordCheck(cleaned, hints)
    if provider is None:
        return PasswordCheck(cleaned, hints)
    if kind == "oauth_only":
        hints.append(
            Hint(
                "oauth_only",
                {
                    "zh": f"{provider.name_zh} 已关闭密码登录，只能通过 OAuth 授权绑定。",
                    "en": f"{provider.name_en} no longer accepts passwords from clients; it needs OAuth.",
                },
            )
        )
    length = provider.password_length
    if token and length:
        if len(cleaned) != length:
            hints.append(
                Hint(
                    "not_client_password_shape",
                    {
                        "zh": f"这看起来不像{_name(provider, 'zh')}（通常为 {length} 位，当前 {len(cleaned)} 位）。"
                        f"如果这是网页登录密码，请先在网页邮箱中生成{_name(provider, 'zh')}。",
                        "en": f"This does not look like the provider's {_name(provider, 'en')} "
                        f"(usually {length} characters, this one has {len(cleaned)}). "
                        "If it is your web sign-in password, generate the "
                        f"{_name(provider, 'en')} in webmail first.",
                    },
                )
            )
        else:
            hints.append(
                Hint(
                    "client_password_shape",
                    {
                        "zh": f"长度与{_name(provider, 'zh')}一致。",
                        "en": f"The length matches the provider's {_name(provider, 'en')}.",
                    },
                )
            )
    return PasswordCheck(cleaned, hints)
