"""``mailhub accounts`` as a person uses it: exit codes, --json, the diagnosis panel, CSV import."""

from __future__ import annotations

import json
from pathlib import Path

from conftest_accounts import aliyun_hub_fixture, hub_home_fixture  # noqa: F401  (fixtures)
from typer.testing import CliRunner

from mailhub.cli import app

MAIN = "Main-Passw0rd!"
CLIENT_PASSWORD_REQUIRED = "client_password_required"


def run(*args: str, password: str | None = None):
    result = CliRunner().invoke(app, list(args), input=None if password is None else password + "\n")
    return result


def test_add_with_a_client_password_exits_0_as_normal(aliyun_hub) -> None:
    address = aliyun_hub.user("amy", MAIN)
    client_password = aliyun_hub.client_password(address)

    result = run("accounts", "add", address, "--password-stdin", "--name", "Amy", "--json", password=client_password)

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["status"] == "normal" and data["provider_id"] == "aliyun-standard" and data["name"] == "Amy"
    listed = json.loads(run("accounts", "list", "--json").stdout)
    assert [(a["email"], a["status"]) for a in listed] == [(address, "normal")]


def test_add_with_the_main_password_exits_2_with_the_diagnosis(aliyun_hub) -> None:
    address = aliyun_hub.user("ben", MAIN)
    aliyun_hub.client_password(address)

    result = run("accounts", "add", address, "--password-stdin", "--json", password=MAIN)

    assert result.exit_code == 2, result.output
    data = json.loads(result.stdout)
    assert data["status"] == "error" and data["diagnosis"]["code"] == CLIENT_PASSWORD_REQUIRED
    assert data["saved"] is False


def test_the_diagnosis_panel_speaks_the_chosen_language(aliyun_hub) -> None:
    address = aliyun_hub.user("cat", MAIN)
    aliyun_hub.client_password(address)

    zh = run("accounts", "add", address, "--password-stdin", "--lang", "zh", password=MAIN)
    en = run("accounts", "add", address, "--password-stdin", "--lang", "en", password=MAIN)

    assert zh.exit_code == en.exit_code == 2
    assert "异常" in zh.stdout and "解决步骤" in zh.stdout and "1." in zh.stdout
    assert "error" in en.stdout and "How to fix" in en.stdout and "1." in en.stdout


def test_pause_resume_show_delete(aliyun_hub) -> None:
    address = aliyun_hub.user("dan", MAIN)
    client_password = aliyun_hub.client_password(address)
    assert run("accounts", "add", address, "--password-stdin", password=client_password).exit_code == 0

    assert json.loads(run("accounts", "pause", address, "--json").stdout)["status"] == "paused"
    assert "已暂停" in run("accounts", "list", "--lang", "zh").stdout
    resumed = run("accounts", "resume", address, "--json")
    assert resumed.exit_code == 0 and json.loads(resumed.stdout)["status"] == "normal"
    shown = json.loads(run("accounts", "show", address, "--json").stdout)
    assert [h["to"] for h in shown["history"]] == ["verifying", "normal", "paused", "verifying", "normal"]
    assert shown["last_verification"]["ok"] is True

    assert run("accounts", "delete", address, "--yes").exit_code == 0
    missing = run("accounts", "show", address)
    assert missing.exit_code == 1 and "account_not_found" in missing.output


def test_edit_with_a_wrong_password_exits_2_and_keeps_the_old_one(aliyun_hub) -> None:
    address = aliyun_hub.user("eve", MAIN)
    client_password = aliyun_hub.client_password(address)
    run("accounts", "add", address, "--password-stdin", password=client_password)

    edited = run("accounts", "edit", address, "--password-stdin", "--json", password=MAIN)
    assert edited.exit_code == 2 and json.loads(edited.stdout)["saved"] is False
    assert run("accounts", "verify", address).exit_code == 0

    renamed = run("accounts", "edit", address, "--name", "Eve", "--sync-days", "30", "--json")
    assert renamed.exit_code == 0
    assert json.loads(renamed.stdout)["name"] == "Eve" and json.loads(renamed.stdout)["sync_days"] == 30


def test_import_binds_several_accounts_with_a_summary(aliyun_hub, tmp_path: Path) -> None:
    lines = ["email,password,name"]
    for local in ("imp1", "imp2", "imp3"):
        address = aliyun_hub.user(local, MAIN)
        lines.append(f"{address},{aliyun_hub.client_password(address)},{local.upper()}")
    wrong = aliyun_hub.user("imp4", MAIN)
    aliyun_hub.client_password(wrong)
    lines.append(f"{wrong},{MAIN},")
    lines.append(f"nopass@{aliyun_hub.domain}")
    csv_file = tmp_path / "staff.csv"
    csv_file.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = run("accounts", "import", str(csv_file), "--json")

    assert result.exit_code == 2, result.output
    summary = json.loads(result.stdout)
    assert summary["counts"] == {"normal": 3, "error": 1, "refused": 1}
    by_email = {row["email"]: row for row in summary["accounts"]}
    assert by_email[wrong]["diagnosis"]["code"] == CLIENT_PASSWORD_REQUIRED
    assert by_email[f"nopass@{aliyun_hub.domain}"]["error"] == "csv_no_password"
    listed = json.loads(run("accounts", "list", "--json").stdout)
    assert sorted(a["name"] for a in listed) == ["IMP1", "IMP2", "IMP3"]


def test_import_shows_a_table(aliyun_hub, tmp_path: Path) -> None:
    address = aliyun_hub.user("tab1", MAIN)
    csv_file = tmp_path / "one.csv"
    csv_file.write_text(f"{address},{aliyun_hub.client_password(address)}\n", encoding="utf-8")

    result = run("accounts", "import", str(csv_file), "--lang", "zh")

    assert result.exit_code == 0, result.output
    assert "导入结果" in result.stdout and address in result.stdout and "normal: 1" in result.stdout


def test_add_prompts_for_a_hidden_password(aliyun_hub) -> None:
    address = aliyun_hub.user("pat", MAIN)
    client_password = aliyun_hub.client_password(address)

    result = run("accounts", "add", address, "--lang", "en", password=client_password)

    assert result.exit_code == 0, result.output
    assert "Password (hidden)" in result.output and client_password not in result.output
