"""``mailhub sync --once`` and ``mailhub messages ...`` as a person uses them, against a real Dovecot."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from sync_hub import DovecotHub, add_users, make_message
from tests.peers.dovecot import HOSTNAME, DovecotServer
from typer.testing import CliRunner

from mailhub.cli import app

pytestmark = pytest.mark.peer
runner = CliRunner()


@pytest.fixture(scope="module")
def dovecot() -> Iterator[DovecotServer]:
    with DovecotServer() as server:
        add_users(server)
        yield server


@pytest.fixture
def hub(dovecot: DovecotServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DovecotHub]:
    ports = dovecot.ports.values()
    monkeypatch.setenv("MAILHUB_RESOLVE", ",".join(f"{HOSTNAME}:{p}=127.0.0.1:{p}" for p in ports))
    monkeypatch.setenv("MAILHUB_CA_FILE", str(dovecot.ca_file))
    monkeypatch.setenv("MAILHUB_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MAILHUB_LANG", "en")
    for name in ("MAILHUB_DATABASE_URL", "MAILHUB_MASTER_KEY"):
        monkeypatch.delenv(name, raising=False)
    hub = DovecotHub(dovecot, tmp_path / "home")
    yield hub
    hub.close()


def with_attachment() -> bytes:
    message = EmailMessage()
    message["From"] = "李四 <lisi@corp.cn>"
    message["To"] = "reader@dovecot.test"
    message["Subject"] = "发票附件"
    message.set_content("请查收发票。")
    message.add_attachment(b"%PDF-1.4 invoice", maintype="application", subtype="pdf", filename="发票.pdf")
    return message.as_bytes()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def listed(*args: str) -> list[dict]:
    code, output = invoke("messages", "list", "--json", *args)
    assert code == 0, output
    return json.loads(output)


def test_sync_once_then_list_search_show_and_save_an_attachment(hub: DovecotHub, tmp_path: Path) -> None:
    hub.deliver(make_message("季度报价"))
    hub.deliver(with_attachment())
    hub.deliver(make_message("发出的信"), folder="Sent")
    asyncio.run(hub.bind())

    code, output = invoke("sync", "--once")
    assert code == 0, output
    assert "INBOX" in output and "Sent" in output

    assert sorted(item["subject"] for item in listed()) == ["发出的信", "发票附件", "季度报价"]
    assert [item["subject"] for item in listed("--folder", "Sent")] == ["发出的信"]
    found = listed("--search", "发票")
    assert [(item["subject"], item["from_name"], item["has_attachments"]) for item in found] == [
        ("发票附件", "李四", True)
    ]
    invoice = found[0]["id"]
    code, output = invoke("messages", "show", str(invoice))
    assert code == 0, output
    assert "请查收发票。" in output and "发票.pdf" in output
    target = tmp_path / "saved.pdf"
    code, output = invoke("messages", "attachment", str(invoice), "1", "-o", str(target))
    assert code == 0, output
    assert target.read_bytes() == b"%PDF-1.4 invoice"


def test_mark_move_delete_from_the_command_line(hub: DovecotHub) -> None:
    for n in range(3):
        hub.deliver(make_message(f"信 {n}"))
    asyncio.run(hub.bind())
    assert invoke("sync", "--once")[0] == 0
    ids = {item["subject"]: item["id"] for item in listed("--folder", "INBOX")}

    assert invoke("messages", "mark", str(ids["信 0"]), "--read")[0] == 0
    assert [item["subject"] for item in listed("--unread", "--folder", "INBOX")] == ["信 2", "信 1"]
    assert invoke("messages", "move", str(ids["信 1"]), "Sent")[0] == 0
    assert invoke("messages", "delete", str(ids["信 2"]))[0] == 0

    assert hub.server_state("INBOX") == {1: frozenset({"\\Seen"})}
    assert invoke("sync", "--once")[0] == 0
    assert [item["subject"] for item in listed("--folder", "Sent")] == ["信 1"]
    code, output = invoke("messages", "show", "9999")
    assert code == 1 and "message_not_found" in output
