"""The secret vault: account passwords sealed with AES-GCM under a master key.

The master key comes from ``MAILHUB_MASTER_KEY`` (32 bytes, base64 or urlsafe base64) or from a key file
created with mode 0600 in the data directory on first use. Each ciphertext keeps the id of the key that
sealed it, and its associated data names the account, so a ciphertext copied onto another account's row
does not open. Plaintext only ever lives in a ``Secret``, whose repr and str are masked.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_FILE = "vault.key"
# Written before a rotation re-encrypts anything, renamed over KEY_FILE after the commit: a crash in
# between leaves both keys on disk, so every ciphertext still opens.
PENDING_KEY_FILE = "vault.key.new"
KEY_BYTES = 32
NONCE_BYTES = 12


class Secret:
    """A password or key in memory: ``reveal()`` gives the text; repr/str/format show ``'***'``."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The plaintext, for the one place that must send it (a LOGIN / AUTH)."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"

    def __format__(self, _spec: str) -> str:
        return "***"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __reduce__(self):  # pickling would copy the plaintext somewhere we do not control
        raise TypeError("a Secret cannot be pickled")


class VaultError(Exception):
    """A vault failure a person can meet: a stable ``code`` and a zh/en message (never a secret)."""

    def __init__(self, code: str, en: str, zh: str) -> None:
        super().__init__(en)
        self.code = code
        self.messages = {"en": en, "zh": zh}

    def message(self, lang: str) -> str:
        return self.messages.get(lang, self.messages["en"])


@dataclass(frozen=True, slots=True)
class MasterKey:
    """A 32-byte AES key and its id (a fingerprint: safe to store and show)."""

    key_id: str
    key: bytes
    source: str  # "env" or a key file path

    def __repr__(self) -> str:
        return f"MasterKey(key_id={self.key_id!r}, source={self.source!r}, key=<hidden>)"

    @classmethod
    def from_bytes(cls, key: bytes, source: str) -> MasterKey:
        if len(key) != KEY_BYTES:
            raise VaultError(
                "vault_key_invalid",
                f"The master key from {source} must be {KEY_BYTES} bytes (base64); it is {len(key)} bytes.",
                f"来自 {source} 的主密钥必须是 {KEY_BYTES} 字节（base64 编码），实际为 {len(key)} 字节。",
            )
        return cls(key_id=key_fingerprint(key), key=key, source=source)

    @classmethod
    def generate(cls, source: str) -> MasterKey:
        return cls.from_bytes(os.urandom(KEY_BYTES), source)

    def encoded(self) -> str:
        """The key as urlsafe base64 (what the key file and ``MAILHUB_MASTER_KEY`` hold)."""
        return base64.urlsafe_b64encode(self.key).decode("ascii")


@dataclass(frozen=True, slots=True)
class SealedSecret:
    """What the store keeps: ciphertext (with GCM tag), nonce, and the id of the key that sealed it."""

    ciphertext: bytes
    nonce: bytes
    key_id: str

    def __repr__(self) -> str:
        return f"SealedSecret(key_id={self.key_id!r}, ciphertext=<{len(self.ciphertext)} bytes>)"


def key_fingerprint(key: bytes) -> str:
    """A short id for a key: a keyed hash, so it says nothing about the key itself."""
    return hashlib.sha256(b"mailhub-vault-key-id\0" + key).hexdigest()[:16]


def parse_key(text: str, source: str) -> MasterKey:
    """A master key from base64 or urlsafe base64 text (padding optional)."""
    cleaned = "".join(text.split())
    padded = cleaned + "=" * (-len(cleaned) % 4)
    try:
        raw = base64.urlsafe_b64decode(padded.replace("+", "-").replace("/", "_"))
    except (binascii.Error, ValueError):
        raise VaultError(
            "vault_key_invalid",
            f"The master key from {source} is not valid base64.",
            f"来自 {source} 的主密钥不是有效的 base64。",
        ) from None
    return MasterKey.from_bytes(raw, source)


def _aad(account_id: int) -> bytes:
    return f"mailhub:account:{account_id}".encode()


def write_key_file(path: Path, key: MasterKey) -> None:
    """Write a key file readable by its owner only (created 0600, never widened)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, (key.encoded() + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)


class Vault:
    """Seals and opens account secrets with the current key; older keys (mid-rotation) still open."""

    def __init__(self, current: MasterKey, others: tuple[MasterKey, ...] = ()) -> None:
        self.current = current
        self._keys = {key.key_id: key for key in (*others, current)}

    def __repr__(self) -> str:
        return f"Vault(key_id={self.current.key_id!r}, source={self.current.source!r})"

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def seal(self, account_id: int, secret: Secret) -> SealedSecret:
        """Encrypt ``secret`` for ``account_id`` under the current key (fresh 96-bit nonce)."""
        nonce = os.urandom(NONCE_BYTES)
        ciphertext = AESGCM(self.current.key).encrypt(nonce, secret.reveal().encode(), _aad(account_id))
        return SealedSecret(ciphertext=ciphertext, nonce=nonce, key_id=self.current.key_id)

    def open(self, account_id: int, sealed: SealedSecret) -> Secret:
        """Decrypt a sealed secret; a missing key or a failed tag is a ``VaultError`` with a clear cause."""
        key = self._keys.get(sealed.key_id)
        if key is None:
            raise VaultError(
                "vault_wrong_key",
                f"The secret of account {account_id} was sealed with master key {sealed.key_id}, but the "
                f"master key in use is {self.current.key_id}. Set MAILHUB_MASTER_KEY (or the key file) to "
                "the key that was used, or add the account's password again.",
                f"账户 {account_id} 的密码由主密钥 {sealed.key_id} 加密，而当前使用的主密钥是 "
                f"{self.current.key_id}。请把 MAILHUB_MASTER_KEY（或密钥文件）设为当初的密钥，或重新填写该账户的密码。",
            )
        try:
            plain = AESGCM(key.key).decrypt(sealed.nonce, sealed.ciphertext, _aad(account_id))
        except InvalidTag:
            raise VaultError(
                "vault_tampered",
                f"The secret of account {account_id} does not decrypt: it was altered or belongs to "
                "another account. Add the account's password again.",
                f"账户 {account_id} 的密码无法解密：密文被改动或属于其他账户。请重新填写该账户的密码。",
            ) from None
        return Secret(plain.decode())

    def reseal(self, account_id: int, sealed: SealedSecret, new_key: MasterKey) -> SealedSecret:
        """Open with the old key, seal with ``new_key`` (for rotation); the plaintext never leaves here."""
        return Vault(new_key).seal(account_id, self.open(account_id, sealed))


def key_file_path(data_dir: Path) -> Path:
    return data_dir / KEY_FILE


def load_vault(data_dir: Path, env_key: str | None, *, create: bool = True) -> Vault:
    """The vault: ``env_key`` (MAILHUB_MASTER_KEY) if given, else the key file (created 0600 if missing)."""
    pending_path = data_dir / PENDING_KEY_FILE
    others: list[MasterKey] = []
    if pending_path.exists():
        others.append(parse_key(pending_path.read_text("ascii"), str(pending_path)))
    if env_key:
        return Vault(parse_key(env_key, "MAILHUB_MASTER_KEY"), tuple(others))
    path = key_file_path(data_dir)
    if not path.exists():
        if not create:
            raise VaultError(
                "vault_no_key",
                f"No master key: MAILHUB_MASTER_KEY is not set and {path} does not exist.",
                f"没有主密钥：未设置 MAILHUB_MASTER_KEY，且 {path} 不存在。",
            )
        write_key_file(path, MasterKey.generate(str(path)))
    return Vault(parse_key(path.read_text("ascii"), str(path)), tuple(others))


@dataclass(frozen=True, slots=True)
class Rotation:
    """What ``rotate`` did: which key replaced which, and how many secrets were re-sealed."""

    old_key_id: str
    new_key_id: str
    resealed: int
    key_file: Path | None


def rotate(store, data_dir: Path, vault: Vault, new_key: MasterKey | None = None) -> Rotation:
    """Re-seal every secret (account passwords, webhook signing secrets) under a new master key, in one transaction.

    With a key file: a new key is generated, written beside the old one, every secret re-sealed, and the
    new file renamed over the old after the commit. With ``MAILHUB_MASTER_KEY``: the caller supplies the
    new key (the hub cannot change the environment) and must set the variable to it afterwards.
    """
    from sqlalchemy import select

    from mailhub.store import SecretRow
    from mailhub.store.event_models import WebhookEndpointRow, webhook_seal_id

    from_env = vault.current.source == "MAILHUB_MASTER_KEY"
    if from_env and new_key is None:
        raise VaultError(
            "vault_rotate_needs_key",
            "The master key comes from MAILHUB_MASTER_KEY: pass the new key with --new-key-stdin, then set "
            "MAILHUB_MASTER_KEY to it.",
            "主密钥来自 MAILHUB_MASTER_KEY：请用 --new-key-stdin 提供新密钥，完成后把 MAILHUB_MASTER_KEY 设为新密钥。",
        )
    key_path = key_file_path(data_dir)
    pending = data_dir / PENDING_KEY_FILE
    new_key = new_key or MasterKey.generate(str(key_path))
    if not from_env:
        write_key_file(pending, new_key)
    count = 0
    with store.session() as session:
        for row in session.scalars(select(SecretRow).with_for_update()):
            sealed = vault.reseal(row.account_id, SealedSecret(row.ciphertext, row.nonce, row.key_id), new_key)
            row.ciphertext, row.nonce, row.key_id = sealed.ciphertext, sealed.nonce, sealed.key_id
            count += 1
        # Webhook signing secrets are sealed by the same key: re-seal them in the same transaction.
        for hook in session.scalars(select(WebhookEndpointRow).with_for_update()):
            old = SealedSecret(hook.secret_ciphertext, hook.secret_nonce, hook.secret_key_id)
            sealed = vault.reseal(webhook_seal_id(hook.id), old, new_key)
            hook.secret_ciphertext, hook.secret_nonce, hook.secret_key_id = (
                sealed.ciphertext,
                sealed.nonce,
                sealed.key_id,
            )
            count += 1
    if not from_env:
        os.replace(pending, key_path)
    return Rotation(vault.current.key_id, new_key.key_id, count, None if from_env else key_path)


def secret_forms(secret: Secret, username: str) -> tuple[str, ...]:
    """Every shape a password takes on the wire: as typed, base64, and inside AUTH PLAIN."""
    plain = secret.reveal()
    if not plain:
        return ()
    forms = {plain}
    for raw in (plain, f"\0{username}\0{plain}", f"{username}\0{username}\0{plain}"):
        forms.add(base64.b64encode(raw.encode()).decode("ascii"))
    return tuple(sorted(forms, key=len, reverse=True))


def redact(text: str, forms: tuple[str, ...]) -> str:
    """``text`` with every form of the secret replaced by ``***`` (for anything that gets stored)."""
    for form in forms:
        text = text.replace(form, "***")
    return text
