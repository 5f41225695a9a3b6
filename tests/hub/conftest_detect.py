"""Loopback servers the detection tests point real host names at: an HTTP(S) server for autoconfig XML and a
greeting server that answers like an IMAP or SMTP server. (Helpers, imported by the tests; not a conftest.)"""

from __future__ import annotations

import socketserver
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.peers.certs import PeerCertificates, create_certificates


def config_xml(
    imap_host: str = "imap.%EMAILDOMAIN%",
    imap_port: int = 993,
    imap_socket: str = "SSL",
    smtp_host: str = "smtp.%EMAILDOMAIN%",
    smtp_port: int = 465,
    smtp_socket: str = "SSL",
    username: str = "%EMAILADDRESS%",
) -> str:
    """A Mozilla config-v1.1 document."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="%EMAILDOMAIN%">
    <domain>%EMAILDOMAIN%</domain>
    <displayName>Test mail</displayName>
    <incomingServer type="pop3">
      <hostname>pop.%EMAILDOMAIN%</hostname><port>995</port><socketType>SSL</socketType>
      <username>%EMAILADDRESS%</username><authentication>password-cleartext</authentication>
    </incomingServer>
    <incomingServer type="imap">
      <hostname>{imap_host}</hostname><port>{imap_port}</port><socketType>{imap_socket}</socketType>
      <username>{username}</username><authentication>password-cleartext</authentication>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>{smtp_host}</hostname><port>{smtp_port}</port><socketType>{smtp_socket}</socketType>
      <username>{username}</username><authentication>password-cleartext</authentication>
    </outgoingServer>
  </emailProvider>
</clientConfig>
"""


class HttpServer:
    """Serves ``routes`` {path: (status, body)} on 127.0.0.1 (HTTPS when given a server TLS context) and records
    each request as (Host header, path with query)."""

    def __init__(self, routes: dict[str, tuple[int, str]], tls: ssl.SSLContext | None = None) -> None:
        self.routes = routes
        self.requests: list[tuple[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append((self.headers.get("Host", ""), self.path))
                status, body = outer.routes.get(self.path.partition("?")[0], (404, "not found"))
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> HttpServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class GreetingServer:
    """Accepts connections on 127.0.0.1 and sends one greeting line (over TLS when given a context)."""

    def __init__(self, greeting: bytes, tls: ssl.SSLContext | None = None) -> None:
        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                conn = self.request
                try:
                    if tls is not None:
                        conn = tls.wrap_socket(conn, server_side=True)
                    conn.sendall(greeting)
                except (OSError, ssl.SSLError):
                    pass

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> GreetingServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def server_tls(directory: Path, hostnames: list[str]) -> tuple[ssl.SSLContext, PeerCertificates]:
    """A server TLS context with a certificate for ``hostnames`` from a fresh test CA."""
    certs = create_certificates(directory, hostnames, label="mailhub detect test")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certs.cert_file, certs.key_file)
    return context, certs


def resolve_env(pairs: dict[str, int]) -> str:
    """A ``MAILHUB_RESOLVE`` value pointing each ``host:port`` at 127.0.0.1 and the given local port."""
    return ",".join(f"{source}=127.0.0.1:{port}" for source, port in pairs.items())


def use_dns(monkeypatch, server) -> None:
    """Point detection at ``server`` and clear overrides a developer's shell might carry."""
    monkeypatch.setenv("MAILHUB_NAMESERVER", server.address)
    monkeypatch.delenv("MAILHUB_RESOLVE", raising=False)
    monkeypatch.delenv("MAILHUB_CA_FILE", raising=False)
