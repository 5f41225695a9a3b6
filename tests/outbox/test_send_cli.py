"""The ``mailhub send`` and ``mailhub outbox`` commands, run as a person would (Typer's runner, real sandbox).

Plain (not async) tests: each command runs its own event loop, as in a shell."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from outbox_support import FOREIGN, OutboxHub
from typer.testing import CliRunner

from mailhub.cli import app

runner = CliRunner()


def _json(result) -> object:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_send_with_attachment_then_list_and_show(hub: OutboxHub, tmp_path: Path) -> None:
    _account_id, sender = asyncio.run(hub.bind("cli"))
    attachment = tmp_path / "价格表.csv"
    attachment.write_text("item,price\nA,1\n", "utf-8")
    result = runner.invoke(
        app,
        ["send", "--from", sender, "--to", f"x@{FOREIGN}", "--subject", "价格表", "--body", "见附件",
         "--attach", str(attachment), "--lang", "en"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "sent 1, failed 0" in result.stdout
    [captured] = hub.running.sandbox.outbound.list()
    assert captured.subject == "价格表"

    [entry] = _json(runner.invoke(app, ["outbox", "list", "--json"]))
    assert entry["state"] == "sent" and entry["message_id"] == captured.message_id
    shown = _json(runner.invoke(app, ["outbox", "show", str(entry["id"]), "--json", "--lang", "zh"]))
    assert shown["state_label"] == "已发送" and shown["history"][0]["outcome"] == "sent"


def test_scheduled_mail_waits_and_can_be_cancelled(hub: OutboxHub) -> None:
    _account_id, sender = asyncio.run(hub.bind("later"))
    queued = _json(
        runner.invoke(
            app,
            ["send", "--from", sender, "--to", f"y@{FOREIGN}", "-s", "later", "--body", "x", "--at", "+2h", "--json"],
        )
    )
    [entry] = queued
    assert entry["state"] == "queued" and entry["not_before"] is not None

    assert runner.invoke(app, ["outbox", "run", "--once"]).exit_code == 0
    assert hub.running.sandbox.outbound.count() == 0  # not due yet

    assert runner.invoke(app, ["outbox", "cancel", str(entry["id"])]).exit_code == 0
    refused = runner.invoke(app, ["outbox", "cancel", str(entry["id"]), "--lang", "en"])
    assert refused.exit_code == 1 and "not_cancellable" in refused.output
    retried = runner.invoke(app, ["outbox", "retry", str(entry["id"])])
    assert retried.exit_code == 0
    assert runner.invoke(app, ["outbox", "run", "--once"]).exit_code == 0
    assert hub.running.sandbox.outbound.count() == 1  # a retry is due now


def test_send_batch_from_csv(hub: OutboxHub, tmp_path: Path) -> None:
    _account_id, sender = asyncio.run(hub.bind("mass"))
    csv_file = tmp_path / "list.csv"
    csv_file.write_text(f"email,name\na@{FOREIGN},甲\nb@{FOREIGN},乙\nc@{FOREIGN},丙\n", "utf-8")
    body = tmp_path / "body.txt"
    body.write_text("{name}，您好！", "utf-8")
    result = runner.invoke(
        app,
        ["send", "batch", "--from", sender, "--csv", str(csv_file), "--subject", "致{name}", "--body-file", str(body)],
    )
    assert result.exit_code == 0, result.output
    captured = {m.rcpt_tos: m.subject for m in hub.running.sandbox.outbound.list()}
    assert captured == {(f"a@{FOREIGN}",): "致甲", (f"b@{FOREIGN}",): "致乙", (f"c@{FOREIGN}",): "致丙"}


def test_unknown_account_is_refused_in_both_languages(hub: OutboxHub) -> None:
    result = runner.invoke(
        app, ["send", "--from", "nobody@x.cn", "--to", "a@b.cn", "-s", "x", "--body", "y", "--lang", "zh"]
    )
    assert result.exit_code == 1 and "没有账户" in result.output
