"""A short record of what was said on a connection, with the secret blanked before it is ever stored."""

from __future__ import annotations

MAX_LINES = 60
MAX_LINE = 300
BLANK = "***"


class Transcript:
    """Lines prefixed ``C:`` (client) or ``S:`` (server); anything equal to a registered secret becomes ``***``."""

    __slots__ = ("_secrets", "lines")

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._secrets: list[str] = []

    def __repr__(self) -> str:
        return f"Transcript({len(self.lines)} lines)"

    def add_secret(self, secret: str) -> None:
        """Blank ``secret`` (and its raw form in any line) from now on; short secrets too, they are still secrets."""
        if secret and secret not in self._secrets:
            self._secrets.append(secret)

    def scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, BLANK)
        return text

    def client(self, line: str) -> None:
        self._add("C: " + line)

    def server(self, line: str) -> None:
        self._add("S: " + line)

    def note(self, line: str) -> None:
        self._add("-- " + line)

    def _add(self, line: str) -> None:
        if len(self.lines) >= MAX_LINES:
            return
        line = self.scrub(line.rstrip("\r\n"))
        self.lines.append(line if len(line) <= MAX_LINE else line[:MAX_LINE] + "…")
