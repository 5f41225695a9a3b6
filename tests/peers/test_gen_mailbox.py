"""The benchmark mailbox is deterministic and is the mail it claims to be (charsets, HTML, attachments)."""

from __future__ import annotations

import email
import importlib.util
from collections import Counter
from email import policy
from pathlib import Path
from types import ModuleType

import pytest

GEN_MAILBOX = Path(__file__).resolve().parents[2] / "bench" / "gen_mailbox.py"


@pytest.fixture(scope="module")
def gen_mailbox() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_mailbox", GEN_MAILBOX)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_message_n_is_the_same_whatever_the_count(gen_mailbox: ModuleType) -> None:
    assert list(gen_mailbox.generate(50))[37] == gen_mailbox.build_message(37)
    assert gen_mailbox.build_message(37) != gen_mailbox.build_message(38)


def test_the_mix_has_every_kind_and_chinese_subjects(gen_mailbox: ModuleType) -> None:
    kinds: Counter[str] = Counter()
    sizes = []
    for n, raw in enumerate(gen_mailbox.generate(400)):
        sizes.append(len(raw))
        assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")  # wire format: CRLF only
        message = email.message_from_bytes(raw, policy=policy.default)
        assert str(message["Subject"]).endswith(f"#{n}")
        assert not str(message["Subject"]).isascii()
        charsets = {part.get_content_charset() for part in message.walk() if part.get_content_maintype() == "text"}
        kinds.update(charsets - {None})
        kinds[message.get_content_type()] += 1
        for part in message.walk():
            if part.get_content_maintype() == "text":
                assert part.get_content()  # every text part decodes in its declared charset
            if part.get_content_type() == "application/pdf":
                assert part.get_content().startswith(b"%PDF-")
    assert {"text/plain", "multipart/alternative", "multipart/mixed", "gb18030", "utf-8"} <= set(kinds)
    assert 4_000 < sum(sizes) / len(sizes) < 9_000  # ~6.4 KB: 20,000 messages come to ~125 MB


def test_cached_file_round_trips(gen_mailbox: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gen_mailbox, "DATA_DIR", tmp_path)
    path = gen_mailbox.ensure_mailbox(30)
    assert list(gen_mailbox.read_messages(path)) == list(gen_mailbox.generate(30))
    info = gen_mailbox.manifest(30)
    assert info["count"] == 30
    assert info["bytes"] == sum(len(m) for m in gen_mailbox.generate(30))
