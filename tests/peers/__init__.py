"""Real third-party peers for tests: Dovecot, mbsync, swaks, neomutt.

A missing program skips the test on a developer's machine, but fails it under ``MAILHUB_REQUIRE_PEERS=1``
(CI), so a broken image can never turn the interoperability suite into a row of silent skips.
"""

from __future__ import annotations

import os
import shutil

import pytest

REQUIRE_PEERS_ENV = "MAILHUB_REQUIRE_PEERS"


def peers_required() -> bool:
    """True when a missing peer program must fail the test instead of skipping it."""
    return os.environ.get(REQUIRE_PEERS_ENV, "").strip() == "1"


def require_program(name: str) -> str:
    """The absolute path of program ``name``; skips the test (or fails it under MAILHUB_REQUIRE_PEERS=1)."""
    path = shutil.which(name)
    if path is None:
        # Dovecot lives in /usr/sbin, which is not always on a non-root PATH.
        path = shutil.which(name, path=os.pathsep.join(["/usr/sbin", "/usr/local/sbin", "/sbin"]))
    if path is not None:
        return path
    message = f"peer program {name!r} is not installed"
    if peers_required():
        pytest.fail(f"{message} ({REQUIRE_PEERS_ENV}=1)")
    pytest.skip(message)
    raise AssertionError("unreachable")  # pytest.skip raises; this keeps type checkers honest
