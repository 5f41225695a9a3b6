"""Fixtures for the runtime tests; the helpers they use live in ``runtime_support`` (a unique module name:
``from conftest import ...`` would pick whichever directory's conftest was imported last)."""

from runtime_support import any_hub, db_url_fixture, hub, hub_home_fixture, receivers  # noqa: F401
