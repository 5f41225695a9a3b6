"""The vault: AES-GCM round trip, wrong key, account binding, key file mode, rotation."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest
from conftest_accounts import db_url_fixture  # noqa: F401  (fixture)
from sqlalchemy import select

from mailhub.accounts.vault import (
    KEY_FILE,
    MasterKey,
    Secret,
    Vault,
    VaultError,
    load_vault,
    parse_key,
    rotate,
)
from mailhub.store import AccountRow, SecretRow, open_store

PASSWORD = "Xk7q-client-pass-2026"


def test_round_trip() -> None:
    vault = Vault(MasterKey.generate("test"))
    sealed = vault.seal(7, Secret(PASSWORD))
    assert PASSWORD.encode() not in sealed.ciphertext
    assert sealed.key_id == vault.current.key_id
    assert vault.open(7, sealed).reveal() == PASSWORD


def test_each_seal_uses_a_fresh_nonce() -> None:
    vault = Vault(MasterKey.generate("test"))
    first, second = vault.seal(1, Secret(PASSWORD)), vault.seal(1, Secret(PASSWORD))
    assert first.nonce != second.nonce and first.ciphertext != second.ciphertext


def test_wrong_key_is_a_clear_error() -> None:
    sealed = Vault(MasterKey.generate("old")).seal(3, Secret(PASSWORD))
    other = Vault(MasterKey.generate("new"))
    with pytest.raises(VaultError) as caught:
        other.open(3, sealed)
    assert caught.value.code == "vault_wrong_key"
    assert sealed.key_id in str(caught.value) and other.current.key_id in str(caught.value)
    assert "主密钥" in caught.value.message("zh")


def test_ciphertext_is_bound_to_its_account() -> None:
    """Copying one account's ciphertext onto another account's row does not open it."""
    vault = Vault(MasterKey.generate("test"))
    sealed = vault.seal(1, Secret(PASSWORD))
    with pytest.raises(VaultError) as caught:
        vault.open(2, sealed)
    assert caught.value.code == "vault_tampered"
    assert PASSWORD not in str(caught.value)


def test_secret_never_shows_itself() -> None:
    secret = Secret(PASSWORD)
    for shown in (repr(secret), str(secret), f"{secret}", f"{secret!r}", repr([secret]), repr({"p": secret})):
        assert PASSWORD not in shown
    key = MasterKey.generate("test")
    assert key.encoded() not in repr(key)
    assert key.encoded() not in repr(Vault(key))
    sealed = Vault(key).seal(1, secret)
    assert sealed.ciphertext.hex() not in repr(sealed)


def test_master_key_accepts_standard_and_urlsafe_base64() -> None:
    raw = bytes(range(256))[200:232]  # contains bytes that encode to '+' '/' vs '-' '_'
    standard = base64.b64encode(raw).decode()
    urlsafe = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    assert parse_key(standard, "env").key == raw
    assert parse_key(urlsafe, "env").key == raw


@pytest.mark.parametrize("text", ["not base64 !!", base64.b64encode(b"short").decode()])
def test_a_bad_master_key_is_refused_without_echoing_it(text: str) -> None:
    with pytest.raises(VaultError) as caught:
        parse_key(text, "MAILHUB_MASTER_KEY")
    assert caught.value.code == "vault_key_invalid"
    assert text not in str(caught.value)


def test_key_file_is_created_0600_on_first_use(tmp_path: Path) -> None:
    os.umask(0o022)
    vault = load_vault(tmp_path, None)
    path = tmp_path / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # The same file opens the same secrets next time.
    sealed = vault.seal(1, Secret(PASSWORD))
    assert load_vault(tmp_path, None).open(1, sealed).reveal() == PASSWORD


def test_environment_key_wins_over_the_key_file(tmp_path: Path) -> None:
    key = MasterKey.generate("env")
    vault = load_vault(tmp_path, key.encoded())
    assert vault.current.key_id == key.key_id
    assert not (tmp_path / KEY_FILE).exists()


def _seed(store, vault: Vault, count: int) -> None:
    with store.session() as session:
        for number in range(count):
            row = AccountRow(
                email=f"user{number}@example-corp.cn",
                imap_host="imap.example",
                imap_port=993,
                imap_tls="ssl",
                smtp_host="smtp.example",
                smtp_port=465,
                smtp_tls="ssl",
                username=f"user{number}@example-corp.cn",
                status="normal",
            )
            session.add(row)
            session.flush()
            sealed = vault.seal(row.id, Secret(f"{PASSWORD}-{number}"))
            session.add(
                SecretRow(account_id=row.id, ciphertext=sealed.ciphertext, nonce=sealed.nonce, key_id=sealed.key_id)
            )


def _opened(store, vault: Vault) -> dict[int, str]:
    from mailhub.accounts.vault import SealedSecret

    with store.session() as session:
        return {
            row.account_id: vault.open(row.account_id, SealedSecret(row.ciphertext, row.nonce, row.key_id)).reveal()
            for row in session.scalars(select(SecretRow))
        }


def test_rotate_reseals_every_secret_under_a_new_key_file(db_url: str, tmp_path: Path) -> None:
    store = open_store(db_url)
    try:
        old = load_vault(tmp_path, None)
        _seed(store, old, 3)
        before = _opened(store, old)

        rotation = rotate(store, tmp_path, old)

        new = load_vault(tmp_path, None)
        assert rotation.resealed == 3 and rotation.new_key_id == new.current.key_id != old.current.key_id
        assert stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode) == 0o600
        assert not (tmp_path / "vault.key.new").exists()
        assert _opened(store, new) == before
        with pytest.raises(VaultError):
            _opened(store, old)
    finally:
        store.close()


def test_rotate_reseals_webhook_signing_secrets_too(db_url: str, tmp_path: Path) -> None:
    """Webhook secrets are sealed by the same key: after a rotation every endpoint still signs."""
    from mailhub.runtime.webhooks import Webhooks

    store = open_store(db_url)
    try:
        old = load_vault(tmp_path, None)
        _seed(store, old, 1)
        endpoint, signing_secret = Webhooks(store, old).add("http://127.0.0.1:9/hook")

        rotation = rotate(store, tmp_path, old)

        new = load_vault(tmp_path, None)
        assert rotation.resealed == 2
        assert Webhooks(store, new).secret(endpoint.id).reveal() == signing_secret.reveal()
        with pytest.raises(VaultError):
            Webhooks(store, old).secret(endpoint.id)
    finally:
        store.close()


def test_rotate_with_an_environment_key_needs_the_new_key(db_url: str, tmp_path: Path) -> None:
    store = open_store(db_url)
    try:
        old = load_vault(tmp_path, MasterKey.generate("env").encoded())
        _seed(store, old, 2)
        with pytest.raises(VaultError) as caught:
            rotate(store, tmp_path, old)
        assert caught.value.code == "vault_rotate_needs_key"

        new_key = MasterKey.generate("stdin")
        rotate(store, tmp_path, old, new_key)
        assert _opened(store, load_vault(tmp_path, new_key.encoded())) == {1: f"{PASSWORD}-0", 2: f"{PASSWORD}-1"}
    finally:
        store.close()


def test_a_rotation_interrupted_after_commit_still_opens(tmp_path: Path) -> None:
    """A crash between the commit and the rename leaves both key files: every secret still opens."""
    from mailhub.accounts.vault import PENDING_KEY_FILE, write_key_file

    old = load_vault(tmp_path, None)
    pending = MasterKey.generate("pending")
    write_key_file(tmp_path / PENDING_KEY_FILE, pending)
    sealed_new = Vault(pending).seal(5, Secret(PASSWORD))
    sealed_old = old.seal(6, Secret(PASSWORD))
    vault = load_vault(tmp_path, None)
    assert vault.open(5, sealed_new).reveal() == PASSWORD
    assert vault.open(6, sealed_old).reveal() == PASSWORD
