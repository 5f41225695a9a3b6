"""Reading ``email,password[,name]`` CSV files for bulk binding, and the per-row outcomes and summary."""

from __future__ import annotations

import asyncio
import csv
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mailhub.accounts.models import AccountError, BindResult
from mailhub.accounts.vault import Secret

_HEADER_WORDS = {"email", "e-mail", "address", "邮箱", "邮箱地址", "账号"}


@dataclass(frozen=True, slots=True)
class ImportRow:
    """One line of the file: where it was, whom to bind, with which password (masked)."""

    line: int
    email: str
    password: Secret
    name: str | None


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    """What happened to one line: a status (正常/异常), or a refusal with its code."""

    line: int
    email: str
    status: str  # "normal" | "error" | "refused"
    saved: bool
    diagnosis_code: str | None = None
    error_code: str | None = None
    message: dict[str, str] | None = None  # {"zh": ..., "en": ...} for refusals and diagnoses

    @classmethod
    def bound(cls, row: ImportRow, result: BindResult) -> ImportOutcome:
        diagnosis = result.diagnosis
        message = None
        if diagnosis is not None:
            message = {lang: str(diagnosis.to_dict(lang).get("title", diagnosis.code)) for lang in ("zh", "en")}
        return cls(
            line=row.line,
            email=result.email,
            status=result.status.value,
            saved=result.saved,
            diagnosis_code=diagnosis.code if diagnosis is not None else None,
            message=message,
        )

    @classmethod
    def refused(cls, row: ImportRow | None, error: AccountError, *, line: int = 0, email: str = "") -> ImportOutcome:
        return cls(
            line=row.line if row else line,
            email=row.email if row else email,
            status="refused",
            saved=False,
            error_code=error.code,
            message=dict(error.messages),
        )

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "line": self.line,
            "email": self.email,
            "status": self.status,
            "saved": self.saved,
            "diagnosis": {"code": self.diagnosis_code} if self.diagnosis_code else None,
            "error": self.error_code,
            "message": (self.message or {}).get(lang),
        }


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """Every line's outcome in file order, and counts by status."""

    outcomes: tuple[ImportOutcome, ...]

    @property
    def counts(self) -> dict[str, int]:
        return dict(Counter(outcome.status for outcome in self.outcomes))

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {"counts": self.counts, "accounts": [outcome.to_dict(lang) for outcome in self.outcomes]}


def read_rows(path: Path) -> tuple[list[ImportRow], list[ImportOutcome]]:
    """The rows to bind and the lines refused up front (no password, duplicate address...).

    A first line whose first cell is a header word (email, 邮箱...) is skipped; blank lines and lines
    starting with ``#`` are ignored. The file may carry a UTF-8 BOM (Excel writes one).
    """
    rows: list[ImportRow] = []
    problems: list[ImportOutcome] = []
    seen: set[str] = set()
    with open(path, newline="", encoding="utf-8-sig") as handle:
        for line, cells in enumerate(csv.reader(handle), start=1):
            cells = [cell.strip() for cell in cells]
            if not any(cells) or cells[0].startswith("#"):
                continue
            if line == 1 and cells[0].lower() in _HEADER_WORDS:
                continue
            email = cells[0].lower()
            if len(cells) < 2 or not cells[1]:
                problems.append(ImportOutcome.refused(None, _no_password(), line=line, email=email))
                continue
            if email in seen:
                problems.append(ImportOutcome.refused(None, _duplicate(email), line=line, email=email))
                continue
            seen.add(email)
            name = cells[2] if len(cells) > 2 and cells[2] else None
            rows.append(ImportRow(line=line, email=email, password=Secret(cells[1]), name=name))
    return rows, problems


async def bind_all(
    path: Path,
    add: Callable[[ImportRow], Awaitable[BindResult]],
    *,
    concurrency: int,
    on_result: Callable[[ImportOutcome], None] | None = None,
) -> ImportSummary:
    """Run ``add`` for every row, ``concurrency`` at a time; a refusal is one row's outcome, not an abort."""
    rows, problems = read_rows(path)
    gate = asyncio.Semaphore(concurrency)

    async def bind(row: ImportRow) -> ImportOutcome:
        async with gate:
            try:
                outcome = ImportOutcome.bound(row, await add(row))
            except AccountError as error:
                outcome = ImportOutcome.refused(row, error)
        if on_result is not None:
            on_result(outcome)
        return outcome

    for problem in problems:
        if on_result is not None:
            on_result(problem)
    outcomes = await asyncio.gather(*(bind(row) for row in rows))
    return ImportSummary(tuple(sorted([*problems, *outcomes], key=lambda outcome: outcome.line)))


def _no_password() -> AccountError:
    return AccountError("csv_no_password", "This line has no password.", "此行缺少密码。")


def _duplicate(email: str) -> AccountError:
    return AccountError("csv_duplicate", f"{email} appears earlier in the file.", f"{email} 在文件中已出现过。")
