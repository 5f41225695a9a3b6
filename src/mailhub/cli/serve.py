"""``mailhub serve``: the HTTP app (API + web UI) and every account's workers, in one process and one loop.

uvicorn runs in-process as a task beside the supervisor, so API handlers and workers share the event log
(live events for server-sent events) and the store. SIGINT/SIGTERM stop both gracefully: the HTTP server
finishes its requests, every worker closes its connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator
from typing import Annotated, Any

import typer

from mailhub.accounts.service import AccountService
from mailhub.cli.common import say

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8700

log = logging.getLogger("mailhub.serve")

WORDS: dict[str, tuple[str, str]] = {
    "listening": (
        "mailhub 已启动：http://{host}:{port}（Ctrl+C 停止）",
        "mailhub serving on http://{host}:{port} (Ctrl+C stops)",
    ),
    "stopped": ("mailhub 已停止", "mailhub stopped"),
    "cannot_listen": (
        "无法在 {host}:{port} 上监听（端口被占用或无权限）；请用 --port 换一个端口。",
        "Cannot listen on {host}:{port} (port in use or not allowed); pick another with --port.",
    ),
}


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on")] = DEFAULT_HOST,
    port: Annotated[int, typer.Option("--port", help="Port (0 picks a free one)")] = DEFAULT_PORT,
    log_level: Annotated[str, typer.Option("--log-level", help="debug, info, warning")] = "info",
) -> None:
    """Run the API and all account workers (sync, outbox), health checks, events and webhooks."""
    from mailhub.settings import load_settings

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    lang = load_settings().language()
    asyncio.run(_serve(host, port, log_level, lang))
    typer.echo(_word("stopped", lang))


def _word(key: str, lang: str, **values: Any) -> str:
    return say(WORDS, key, lang, **values)


def build_app(runtime: Any) -> Any:
    """``mailhub.app.create_app`` around the runtime; without the web UI if it is not there yet; a bare
    ``/healthz`` app if there is no app at all."""
    from mailhub.runtime.health import minimal_app

    try:
        from mailhub.app import create_app
    except ImportError as error:
        log.warning("mailhub.app is not available (%s): serving /healthz only", error)
        return minimal_app()
    try:
        return create_app(service=runtime.service, runtime=runtime)
    except ImportError as error:  # the web UI is not there yet: the API alone
        log.warning("web UI not available (%s): serving the API only", error)
    try:
        return create_app(service=runtime.service, runtime=runtime, web=False)
    except ImportError as error:
        log.warning("API not available (%s): serving /healthz only", error)
        return minimal_app()


class _Server:
    """uvicorn's server without its own signal handling (``serve`` owns the signals and the shutdown order)."""

    def __init__(self, app: Any, host: str, port: int, log_level: str) -> None:
        import uvicorn

        class Server(uvicorn.Server):
            @contextlib.contextmanager
            def capture_signals(self) -> Iterator[None]:
                yield

        self.server = Server(uvicorn.Config(app, host=host, port=port, log_level=log_level, lifespan="on"))

    async def serve(self) -> None:
        try:
            await self.server.serve()
        except SystemExit:  # uvicorn exits the process when it cannot listen; here that is an answer
            log.debug("uvicorn could not start")

    def stop(self) -> None:
        self.server.should_exit = True

    def address(self) -> tuple[str, int] | None:
        for server in getattr(self.server, "servers", ()):
            for sock in server.sockets:
                host, port = sock.getsockname()[:2]
                return host, port
        return None


async def _serve(host: str, port: int, log_level: str, lang: str) -> None:
    from mailhub.runtime import Runtime

    service = AccountService.open()
    runtime = Runtime(service)
    http = _Server(build_app(runtime), host, port, log_level)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    web = asyncio.create_task(http.serve(), name="http")
    try:
        # Listen first: a taken port ends here, before any account logs in.
        if not await _listening(http, web):
            typer.echo(_word("cannot_listen", lang, host=host, port=port), err=True)
            raise typer.Exit(1)
        address = http.address() or (host, port)
        print(_word("listening", lang, host=address[0], port=address[1]), flush=True)
        workers = asyncio.create_task(runtime.run(), name="runtime")
        stopping = asyncio.create_task(stop.wait(), name="signals")
        await asyncio.wait({workers, web, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        failed = workers.done() and not workers.cancelled() and workers.exception() is not None
        http.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(web, 15)
        workers.cancel()
        await asyncio.gather(workers, return_exceptions=True)
        if failed:
            log.error("the workers stopped", exc_info=workers.exception())
            raise typer.Exit(1)
    finally:
        service.close()


async def _listening(http: _Server, web: asyncio.Task[None]) -> bool:
    """Wait until uvicorn listens (True) or gave up, e.g. on a port in use (False)."""
    while not http.server.started:
        if web.done():
            return False
        await asyncio.sleep(0.02)
    return True
