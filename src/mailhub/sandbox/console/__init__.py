"""The sandbox console: the provider's admin console and the user's webmail security settings, in a browser.

``create_console_app(sandbox_factory)`` builds the FastAPI app; ``ConsoleListener`` serves it with uvicorn
on the sandbox service's event loop.
"""

from mailhub.sandbox.console.app import create_console_app
from mailhub.sandbox.console.server import ConsoleListener

__all__ = ["ConsoleListener", "create_console_app"]
