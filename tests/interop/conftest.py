"""Fixtures for the interoperability tests: ``account`` (Dovecot, then the sandbox) and sample mail."""

from __future__ import annotations

from tests.interop.accounts import account  # noqa: F401  (a fixture, re-exported for pytest)
