"""``mailhub vault status`` and ``mailhub vault rotate`` from the command line."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from conftest_accounts import hub_home_fixture  # noqa: F401  (fixture)
from test_vault import _opened, _seed
from typer.testing import CliRunner

from mailhub.accounts.vault import KEY_FILE, MasterKey, load_vault
from mailhub.cli import app
from mailhub.store import open_store


def _status() -> dict:
    result = CliRunner().invoke(app, ["vault", "status", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_rotate_with_the_key_file(hub_home: Path) -> None:
    store = open_store()
    try:
        old = load_vault(hub_home, None)
        _seed(store, old, 4)
        before = _opened(store, old)
        assert _status() == {
            "key_id": old.current.key_id,
            "source": str(hub_home / KEY_FILE),
            "secrets_by_key_id": {old.current.key_id: 4},
            "unreadable": 0,
        }

        result = CliRunner().invoke(app, ["vault", "rotate", "--json"])

        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        assert report["resealed"] == 4 and report["old_key_id"] == old.current.key_id
        after = _status()
        assert after["key_id"] == report["new_key_id"] and after["secrets_by_key_id"] == {report["new_key_id"]: 4}
        assert stat.S_IMODE((hub_home / KEY_FILE).stat().st_mode) == 0o600
        assert _opened(store, load_vault(hub_home, None)) == before
        assert old.current.key.hex() not in result.output
    finally:
        store.close()


def test_rotate_with_an_environment_key(hub_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old_key, new_key = MasterKey.generate("env"), MasterKey.generate("new")
    monkeypatch.setenv("MAILHUB_MASTER_KEY", old_key.encoded())
    store = open_store()
    try:
        _seed(store, load_vault(hub_home, old_key.encoded()), 2)

        refused = CliRunner().invoke(app, ["vault", "rotate"])
        assert refused.exit_code == 1 and "vault_rotate_needs_key" in refused.output

        done = CliRunner().invoke(app, ["vault", "rotate", "--new-key-stdin"], input=new_key.encoded() + "\n")
        assert done.exit_code == 0, done.output
        assert new_key.encoded() not in done.output and old_key.encoded() not in done.output

        assert _status()["unreadable"] == 2  # the environment still names the old key
        monkeypatch.setenv("MAILHUB_MASTER_KEY", new_key.encoded())
        assert _status()["unreadable"] == 0
        assert not (hub_home / KEY_FILE).exists()
    finally:
        store.close()


def test_settings_never_show_the_master_key(hub_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mailhub.settings import load_settings

    key = MasterKey.generate("env").encoded()
    monkeypatch.setenv("MAILHUB_MASTER_KEY", key)
    settings = load_settings()
    assert key not in repr(settings) and key not in str(settings.model_dump())
    assert settings.master_key is not None and settings.master_key.get_secret_value() == key


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"MAILHUB_LANG": "zh"}, "还没有绑定任何邮箱"),
        ({"MAILHUB_LANG": "en"}, "No mailboxes bound yet"),
        ({"LC_ALL": "zh_CN.UTF-8"}, "还没有绑定任何邮箱"),
        ({"LC_ALL": "en_US.UTF-8"}, "No mailboxes bound yet"),
    ],
)
def test_the_language_comes_from_mailhub_lang_or_the_locale(
    hub_home: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(app, ["accounts", "list"])
    assert result.exit_code == 0 and expected in result.stdout
