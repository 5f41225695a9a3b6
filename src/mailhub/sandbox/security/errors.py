"""Errors a sandbox user or administrator can meet in the security settings: stable code, zh-CN and en.

They subclass ``DirectoryError`` so a CLI or console shows every sandbox error the same way.
No message ever contains a password or an SMS code.
"""

from __future__ import annotations

from mailhub.sandbox.directory.errors import DirectoryError


class SecurityError(DirectoryError):
    code = "security.error"


class InvalidPolicy(SecurityError):
    """A policy value is malformed or names a department or user that does not exist."""

    code = "security.invalid_policy"


class ClientPasswordsDisabled(SecurityError):
    code = "security.client_passwords_disabled"

    def __init__(self, address: str) -> None:
        super().__init__(
            f"{address} has not switched on client security passwords "
            "(Settings > Account and security > Client security passwords > switch on)",
            f"{address} 尚未开启三方客户端安全密码（设置 → 账户与安全 → 三方客户端安全密码 → 开启）",
        )


class CodeError(SecurityError):
    """The SMS verification code was not accepted."""

    code = "security.code_error"


class NoCodeRequested(CodeError):
    code = "security.no_code"

    def __init__(self) -> None:
        super().__init__(
            "no verification code is pending: request a new SMS code",
            "没有待验证的验证码，请重新获取短信验证码",
        )


class CodeExpired(CodeError):
    code = "security.code_expired"

    def __init__(self) -> None:
        super().__init__(
            "the verification code has expired (valid 5 minutes): request a new SMS code",
            "验证码已过期（5分钟内有效），请重新获取短信验证码",
        )


class WrongCode(CodeError):
    code = "security.wrong_code"

    def __init__(self, tries_left: int) -> None:
        self.tries_left = tries_left
        super().__init__(
            f"wrong verification code; {tries_left} tries left",
            f"验证码错误，还可尝试 {tries_left} 次",
        )


class CodeBurned(CodeError):
    code = "security.code_burned"

    def __init__(self) -> None:
        super().__init__(
            "too many wrong codes: this code no longer works, request a new SMS code",
            "验证码错误次数过多，该验证码已失效，请重新获取",
        )


class UnknownClientPassword(SecurityError):
    code = "security.unknown_client_password"

    def __init__(self, address: str, password_id: int) -> None:
        super().__init__(
            f"{address} has no client security password with id {password_id}",
            f"{address} 没有编号为 {password_id} 的三方客户端安全密码",
        )


class InvalidRemark(SecurityError):
    code = "security.invalid_remark"

    def __init__(self) -> None:
        super().__init__(
            "a client security password needs a remark of 1-64 characters naming the device"
            " (e.g. 'laptop Thunderbird')",
            "请为三方客户端安全密码填写 1-64 个字符的备注，注明使用的设备（如“笔记本 Foxmail”）",
        )
