"""Fixtures for the outbox tests; the helpers they use live in ``outbox_support`` (a unique module name:
``from conftest import ...`` would pick whichever directory's conftest was imported last)."""

from outbox_support import hub, postgres_url_fixture, smtp_faults  # noqa: F401
