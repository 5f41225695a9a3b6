"""A real DNS server on loopback for tests and the bench: UDP and TCP on one free port, records from a dict.

    zone = {"acme.cn": {"MX": [(5, "mx1.qiye.aliyun.com")]}, "mail.acme.cn": {"A": ["127.0.0.1"]}}
    with DnsServer(zone) as server:
        os.environ["MAILHUB_NAMESERVER"] = server.address   # "127.0.0.1:<port>"

Names not in the zone get NXDOMAIN; a known name without the asked type gets an empty NOERROR answer.
``silent=True`` makes a server that reads queries and never answers (for timeout tests); ``latency`` (seconds)
delays each UDP answer like a real resolver's round trip (for the bench).
"""

from __future__ import annotations

import contextlib
import heapq
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

Zone = Mapping[str, Mapping[str, Sequence[Any]]]
TTL = 60


def _rdata_text(rdtype: str, value: Any) -> str:
    """Zone-file text for one record value: MX (pref, host), SRV (prio, weight, port, target), A "ip"."""
    if rdtype == "MX":
        preference, host = value
        return f"{preference} {host.rstrip('.')}."
    if rdtype == "SRV":
        priority, weight, port, target = value
        return f"{priority} {weight} {port} {target.rstrip('.')}." if target != "." else f"{priority} {weight} {port} ."
    return str(value)


def answer(zone: Zone, wire: bytes) -> bytes:
    """The wire-format response to one wire-format query."""
    query = dns.message.from_wire(wire)
    response = dns.message.make_response(query)
    response.flags |= dns.flags.AA
    question = query.question[0]
    name = question.name.to_text(omit_final_dot=True).lower()
    records = zone.get(name)
    if records is None:
        response.set_rcode(dns.rcode.NXDOMAIN)
        return response.to_wire()
    rdtype = dns.rdatatype.to_text(question.rdtype)
    values = records.get(rdtype, ())
    if values:
        texts = [_rdata_text(rdtype, value) for value in values]
        response.answer.append(dns.rrset.from_text_list(question.name, TTL, dns.rdataclass.IN, rdtype, texts))
    return response.to_wire()


class _DelayedReplies:
    """Sends UDP replies once their time has come, from one thread (a thread per reply would drop bursts)."""

    def __init__(self) -> None:
        self._due: list[tuple[float, int, bytes, socket.socket, Any]] = []
        self._wake = threading.Condition()
        self._count = 0
        self._stopped = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def send_at(self, when: float, reply: bytes, sock: socket.socket, address: Any) -> None:
        with self._wake:
            self._count += 1
            heapq.heappush(self._due, (when, self._count, reply, sock, address))
            self._wake.notify()

    def _run(self) -> None:
        with self._wake:
            while not self._stopped:
                if not self._due:
                    self._wake.wait()
                    continue
                wait = self._due[0][0] - time.monotonic()
                if wait > 0:
                    self._wake.wait(wait)
                    continue
                _when, _n, reply, sock, address = heapq.heappop(self._due)
                with contextlib.suppress(OSError):
                    sock.sendto(reply, address)

    def stop(self) -> None:
        with self._wake:
            self._stopped = True
            self._wake.notify()
        self._thread.join(timeout=5)


class _Udp(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        data, sock = self.request
        server = self.server
        if server.silent:  # type: ignore[attr-defined]
            return
        reply = answer(server.zone, data)  # type: ignore[attr-defined]
        if server.latency:  # type: ignore[attr-defined]
            server.replies.send_at(time.monotonic() + server.latency, reply, sock, self.client_address)  # type: ignore[attr-defined]
        else:
            sock.sendto(reply, self.client_address)


class _Tcp(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        conn: socket.socket = self.request
        conn.settimeout(10)
        while True:
            header = conn.recv(2)
            if len(header) < 2:
                return
            (length,) = struct.unpack("!H", header)
            data = b""
            while len(data) < length:
                chunk = conn.recv(length - len(data))
                if not chunk:
                    return
                data += chunk
            if self.server.silent:  # type: ignore[attr-defined]
                continue
            reply = answer(self.server.zone, data)  # type: ignore[attr-defined]
            conn.sendall(struct.pack("!H", len(reply)) + reply)


class _UdpServer(socketserver.UDPServer):
    """Answers inline (an answer takes microseconds): a thread per datagram would drop bursts of queries."""

    max_packet_size = 65535

    def server_bind(self) -> None:
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        super().server_bind()


class _TcpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class DnsServer:
    """A running loopback DNS server; ``zone`` may be changed between queries (names lower-case)."""

    def __init__(
        self, zone: Zone | None = None, *, silent: bool = False, latency: float = 0.0, host: str = "127.0.0.1"
    ) -> None:
        self.zone: dict[str, Any] = {k.lower(): v for k, v in (zone or {}).items()}
        self.silent = silent
        self.latency = latency
        self._replies: _DelayedReplies | None = None
        self.host = host
        self._servers: list[socketserver.BaseServer] = []
        self._threads: list[threading.Thread] = []

    @property
    def port(self) -> int:
        return self._servers[0].server_address[1]  # type: ignore[index]

    @property
    def address(self) -> str:
        """The ``MAILHUB_NAMESERVER`` value for this server."""
        return f"{self.host}:{self.port}"

    def _bind(self) -> list[socketserver.BaseServer]:
        # UDP first on a free port, then TCP on the same number; another process may hold it, so retry.
        for _ in range(50):
            udp = _UdpServer((self.host, 0), _Udp)
            try:
                tcp = _TcpServer((self.host, udp.server_address[1]), _Tcp)
            except OSError:
                udp.server_close()
                continue
            return [udp, tcp]
        raise OSError("no free port for both UDP and TCP")

    def start(self) -> DnsServer:
        self._servers = self._bind()
        self._replies = _DelayedReplies() if self.latency else None
        for server in self._servers:
            server.zone = self.zone  # type: ignore[attr-defined]
            server.silent = self.silent  # type: ignore[attr-defined]
            server.latency = self.latency  # type: ignore[attr-defined]
            server.replies = self._replies  # type: ignore[attr-defined]
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        if self._replies is not None:
            self._replies.stop()

    def __enter__(self) -> DnsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
