"""A known password goes in through the CLI; it must not come out anywhere: logs, --json, the database.

Scans for the plaintext and for the shapes it takes on the wire (base64, AUTH PLAIN), in every log
record (SQLAlchemy's statement and parameter log included), the command's output, and the bytes of the
database file with its WAL.
"""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path

import pytest
from conftest_accounts import aliyun_hub_fixture, hub_home_fixture  # noqa: F401  (fixtures)
from typer.testing import CliRunner

from mailhub.cli import app

MAIN = "Main-Passw0rd!"


def _forms(address: str, password: str) -> list[bytes]:
    plain = password.encode()
    return [
        plain,
        base64.b64encode(plain),
        base64.b64encode(b"\0" + address.encode() + b"\0" + plain),
        password.encode("utf-16-le"),
    ]


def _database_bytes(home: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(home.glob("mailhub.db*")) if path.is_file())


def _assert_absent(haystack: bytes, forms: list[bytes], where: str) -> None:
    for form in forms:
        assert form not in haystack, f"a form of the password appears in {where}"


def test_passwords_never_leave_the_vault(aliyun_hub, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)  # statements and their parameters
    good_address = aliyun_hub.user("scan", MAIN)
    client_password = aliyun_hub.client_password(good_address)
    bad_address = aliyun_hub.user("scan2", MAIN)
    aliyun_hub.client_password(bad_address)
    runner = CliRunner()

    outputs = [
        runner.invoke(app, ["accounts", "add", good_address, "--password-stdin", "--json"], input=client_password),
        runner.invoke(
            app,
            ["accounts", "add", bad_address, "--password-stdin", "--json", "--save-unverified"],
            input=MAIN + "\n",
        ),
        runner.invoke(app, ["accounts", "add", bad_address, "--password-stdin", "--lang", "zh"], input=MAIN),
        runner.invoke(app, ["accounts", "verify", good_address, "--json"]),
        runner.invoke(app, ["accounts", "show", bad_address, "--json"]),
        runner.invoke(app, ["accounts", "list"]),
        runner.invoke(app, ["vault", "rotate", "--json"]),
        runner.invoke(app, ["accounts", "verify", good_address]),
    ]
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)

    assert [result.exit_code for result in outputs] == [0, 2, 1, 0, 0, 0, 0, 0], [r.output for r in outputs]
    assert json.loads(outputs[0].stdout)["status"] == "normal"
    assert json.loads(outputs[1].stdout)["diagnosis"]["code"]
    assert caplog.records, "the scan needs log records to look at"
    assert any("INSERT INTO account_secrets" in record.getMessage() for record in caplog.records)

    secrets = {good_address: client_password, bad_address: MAIN}
    log_text = "\n".join(f"{r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records).encode()
    database = _database_bytes(aliyun_hub.home)
    assert len(database) > 0
    for address, password in secrets.items():
        forms = _forms(address, password)
        _assert_absent(log_text, forms, "the log")
        for result in outputs:
            _assert_absent((result.stdout + result.stderr).encode(), forms, "the command output")
        _assert_absent(database, forms, "the database file")
