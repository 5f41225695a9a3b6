"""A missing peer program skips a test on a laptop but fails it in CI (MAILHUB_REQUIRE_PEERS=1)."""

from __future__ import annotations

import pytest
from tests.peers import REQUIRE_PEERS_ENV, require_program


def test_an_installed_program_is_found() -> None:
    assert require_program("sh").endswith("/sh")


def test_a_missing_program_skips(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(REQUIRE_PEERS_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="mailhub-no-such-program"):
        require_program("mailhub-no-such-program")


def test_a_missing_program_fails_when_peers_are_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(REQUIRE_PEERS_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="mailhub-no-such-program"):
        require_program("mailhub-no-such-program")
