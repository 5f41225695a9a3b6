"""The REST API (JSON under ``/api/v1``): ``router`` for the app factory, ``install_error_handlers`` for the app.

``router`` is loaded on first use so ``mailhub.api.tokens`` (used by the CLI) does not pull in FastAPI.
"""

from __future__ import annotations

from typing import Any

__all__ = ["install_error_handlers", "router"]


def __getattr__(name: str) -> Any:
    if name == "router":
        from mailhub.api.routes import router

        return router
    if name == "install_error_handlers":
        from mailhub.api.errors import install_error_handlers

        return install_error_handlers
    raise AttributeError(name)
