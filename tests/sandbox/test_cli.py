"""The sandbox CLI as an admin and a user drive it: separate processes on one data directory, while
``mailhub sandbox serve`` runs and sees every change at once."""

from __future__ import annotations

import imaplib
import os
import re
import ssl
import subprocess
import sys
from pathlib import Path

import pytest

ADDRESS = "sales@cli-trade.cn"


def mailhub(data: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "mailhub", "sandbox", *args, "--data", str(data)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


@pytest.fixture
def served(tmp_path: Path):
    """``mailhub sandbox serve`` in its own process on free ports; yields (data dir, ports, ca file)."""
    data = tmp_path / "sandbox"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mailhub",
            "sandbox",
            "serve",
            "--data",
            str(data),
            "--imaps-port",
            "0",
            "--imap-port",
            "0",
            "--smtps-port",
            "0",
            "--submission-port",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    ports: dict[str, int] = {}
    ca_file = None
    assert process.stdout is not None
    for line in process.stdout:
        name, _, value = line.strip().partition(" ")
        if name == "ca":
            ca_file = Path(value)
            break
        ports[name] = int(value.rpartition(":")[2])
    try:
        assert set(ports) == {"imaps", "imap", "smtps", "submission"} and ca_file is not None
        yield data, ports, ca_file
    finally:
        process.terminate()
        process.wait(timeout=10)


def imap_login(ports: dict[str, int], ca_file: Path, password: str) -> None:
    context = ssl.create_default_context(cafile=str(ca_file))
    with imaplib.IMAP4_SSL("127.0.0.1", ports["imaps"], ssl_context=context, timeout=10) as client:
        client.login(ADDRESS, password)


def test_the_seed_story_through_the_cli_against_a_running_serve(served):
    data, ports, ca_file = served
    assert mailhub(data, "domain", "add", "cli-trade.cn", "--edition", "aliyun-standard").returncode == 0
    added = mailhub(
        data,
        "user",
        "add",
        ADDRESS,
        "--password-stdin",
        "--phone",
        "13900139000",
        "--department",
        "外贸部",
        stdin="Web-Passw0rd\n",
    )
    assert added.returncode == 0, added.stderr

    with pytest.raises(imaplib.IMAP4.error):  # third-party clients are off for a new domain
        imap_login(ports, ca_file, "Web-Passw0rd")

    assert mailhub(data, "policy", "set", "cli-trade.cn", "--third-party", "all").returncode == 0
    assert mailhub(data, "user", "set", ADDRESS, "--imap-smtp", "on").returncode == 0
    imap_login(ports, ca_file, "Web-Passw0rd")

    assert mailhub(data, "client-password", "enable", ADDRESS).returncode == 0
    assert mailhub(data, "client-password", "request-code", ADDRESS).returncode == 0
    sms = mailhub(data, "sms", "list", ADDRESS).stdout
    code = re.search(r"Code (\d{6})", sms).group(1)
    created = mailhub(data, "client-password", "create", ADDRESS, "--code", code, "--remark", "来发信")
    assert created.returncode == 0, created.stderr
    password = created.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"[A-Za-z0-9]{16}", password)

    with pytest.raises(imaplib.IMAP4.error):  # the web password stops working for clients
        imap_login(ports, ca_file, "Web-Passw0rd")
    imap_login(ports, ca_file, password)
    listing = mailhub(data, "client-password", "list", ADDRESS).stdout
    assert "来发信" in listing and "imap" in listing and "127.0.0.1" in listing

    assert mailhub(data, "client-password", "delete", ADDRESS, "1").returncode == 0
    with pytest.raises(imaplib.IMAP4.error):
        imap_login(ports, ca_file, password)
    assert "denied" in mailhub(data, "audit", ADDRESS).stdout


def test_bad_input_gets_a_clear_error_and_exit_code(tmp_path: Path):
    data = tmp_path / "sandbox"
    unknown_edition = mailhub(data, "domain", "add", "x.cn", "--edition", "no-such-edition")
    assert unknown_edition.returncode == 1 and "no-such-edition" in unknown_edition.stderr
    no_domain = mailhub(data, "user", "add", "a@nowhere.cn", "--password-stdin", "--phone", "13800138000", stdin="pw\n")
    assert no_domain.returncode == 1 and "nowhere.cn" in no_domain.stderr and "不存在" in no_domain.stderr
    assert "Traceback" not in no_domain.stderr + unknown_edition.stderr


def test_ca_prints_the_ca_file(tmp_path: Path):
    result = mailhub(tmp_path / "sandbox", "ca")
    assert result.returncode == 0
    assert Path(result.stdout.strip()).read_text().startswith("-----BEGIN CERTIFICATE-----")


def test_demo_once_binds_the_demo_mailbox_and_round_trips_a_message(tmp_path: Path):
    env = {**os.environ, "MAILHUB_HOME": str(tmp_path), "COLUMNS": "200"}
    result = subprocess.run(
        [sys.executable, "-m", "mailhub", "demo", "--once"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "READY" in result.stdout
    assert "sales@trade-demo.cn" in result.stdout
    assert "demo mailbox bound in the hub: 正常 / normal" in result.stdout
    assert "sample message sent through the outbox, received by sync ✓" in result.stdout
    assert "http://127.0.0.1:" in result.stdout
