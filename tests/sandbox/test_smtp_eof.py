"""A client that vanishes right after its final "." still has its message delivered; one that vanishes before
it has nothing delivered.

Each test sends the dialogue on a raw TLS socket and closes it without waiting for the reply to the message:
a plain close (FIN, no TLS close_notify) and an abortive one (SO_LINGER 0: RST). The moment to check is the
end of the server's session coroutine (found through the server's connection set, tests only): after it
nothing more can be delivered, so no test waits on a clock; ``eventually`` only guards against a hang.

Over a real socket on CPython 3.11 the session coroutine, waiting for the next line, is always woken by the
last bytes one loop turn before the EOF (or the reset) is read, so those tests pass even without the fix.
The dangerous moment is the EOF arriving together with the last bytes, before the coroutine runs: asyncio's
SSL layer does exactly that when the client's FIN arrived while the session's reader was paused (more than
2 x 1001 bytes buffered) — on resuming it hands over the rest of the data and then the EOF in one call. The
``*_in_one_turn`` tests make that moment on purpose: the tail of the message and the EOF (or a reset) are
given to the protocol in one callback on the server's loop, as the SSL layer would.
"""

from __future__ import annotations

import base64
import socket
import struct
import time
from collections.abc import Callable

import pytest
from conftest_smtp import RunningSmtp, Transcript, smtp_sandbox_fixture  # noqa: F401  (fixture)

ADDRESS = "sales@trade-demo.cn"
PASSWORD = "Web-Passw0rd!"
BUYER = "buyer@customer.example"

MESSAGE = (
    f"From: {ADDRESS}\r\n"
    f"To: {BUYER}, {ADDRESS}\r\n"
    "Subject: sent, then gone\r\n"
    "Message-ID: <vanishing@trade-demo.cn>\r\n"
    "\r\n"
    "first line\r\n"
    "..a dot-stuffed line\r\n"
    "last line\r\n"
)


def eventually(condition: Callable[[], bool], limit: float = 10.0) -> bool:
    """Poll until true; the limit only guards against a hang."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def start_data(running: RunningSmtp) -> tuple[Transcript, object]:
    """Log in, MAIL/RCPT (one foreign, one local recipient), DATA; returns the dialogue and the server side
    of its connection."""
    running.bind_user(ADDRESS, PASSWORD)
    secret = running.new_client_password(ADDRESS)
    talk = Transcript.implicit_tls(running)
    talk.reply()
    talk.send("EHLO client.test")
    talk.reply()
    token = base64.b64encode(f"\0{ADDRESS}\0{secret}".encode()).decode()
    assert talk.command("AUTH PLAIN " + token).startswith("235 ")
    [connection] = running.on_server(lambda: list(running.server._connections))
    assert talk.command(f"MAIL FROM:<{ADDRESS}>").startswith("250")
    assert talk.command(f"RCPT TO:<{BUYER}>").startswith("250")
    assert talk.command(f"RCPT TO:<{ADDRESS}>").startswith("250")
    assert talk.command("DATA").startswith("354")
    return talk, connection


def vanish(talk: Transcript, data: bytes, *, reset: bool) -> None:
    """Send the last bytes and close at once, without reading anything more."""
    talk.sock.sendall(data)
    if reset:  # an abortive close: RST instead of FIN
        talk.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    talk.close()


def session_ended(running: RunningSmtp, connection: object) -> bool:
    return running.on_server(lambda: connection._handler_coroutine.done())  # type: ignore[attr-defined]


def inbox(running: RunningSmtp) -> list[bytes]:
    mail = running.sandbox.mail
    box = mail.mailbox(ADDRESS, "INBOX")
    return [row.raw or b"" for row in mail.rows(box.id, [(1, 2**32 - 1)], with_raw=True)]


@pytest.mark.parametrize("reset", [False, True], ids=["close", "reset"])
def test_message_whose_final_dot_arrived_is_delivered(smtp_sandbox: RunningSmtp, reset: bool) -> None:
    talk, connection = start_data(smtp_sandbox)
    vanish(talk, MESSAGE.encode() + b".\r\n", reset=reset)
    assert eventually(lambda: session_ended(smtp_sandbox, connection))
    [captured] = smtp_sandbox.sandbox.outbound.list()
    assert captured.rcpt_tos == (BUYER,)
    raw = smtp_sandbox.sandbox.outbound.get(captured.id).raw
    assert raw.endswith(MESSAGE.replace("\r\n..", "\r\n.").encode())  # whole, dot-stuffing undone
    [delivered] = inbox(smtp_sandbox)
    assert delivered.endswith(MESSAGE.replace("\r\n..", "\r\n.").encode())
    assert smtp_sandbox.on_server(lambda: smtp_sandbox.server.connection_count) == 0


def hang_up_in_one_turn(running: RunningSmtp, connection: object, tail: bytes, *, reset: bool) -> None:
    """On the server's loop, in one callback: the last bytes, then the EOF (or the connection reset)."""

    def arrive() -> None:
        connection.data_received(tail)  # type: ignore[attr-defined]
        if reset:
            connection.connection_lost(ConnectionResetError(104, "Connection reset by peer"))  # type: ignore[attr-defined]
        else:
            connection.eof_received()  # type: ignore[attr-defined]

    running.on_server(arrive)


@pytest.mark.parametrize("reset", [False, True], ids=["eof", "reset"])
def test_final_dot_and_hang_up_in_one_turn_still_delivers(smtp_sandbox: RunningSmtp, reset: bool) -> None:
    talk, connection = start_data(smtp_sandbox)
    hang_up_in_one_turn(smtp_sandbox, connection, MESSAGE.encode() + b".\r\n", reset=reset)
    talk.close()
    assert eventually(lambda: session_ended(smtp_sandbox, connection))
    [captured] = smtp_sandbox.sandbox.outbound.list()
    assert smtp_sandbox.sandbox.outbound.get(captured.id).raw.endswith(MESSAGE.replace("\r\n..", "\r\n.").encode())
    assert len(inbox(smtp_sandbox)) == 1
    assert eventually(lambda: smtp_sandbox.on_server(lambda: smtp_sandbox.server.connection_count) == 0)


@pytest.mark.parametrize("reset", [False, True], ids=["eof", "reset"])
def test_hang_up_in_one_turn_without_the_final_dot_delivers_nothing(smtp_sandbox: RunningSmtp, reset: bool) -> None:
    talk, connection = start_data(smtp_sandbox)
    hang_up_in_one_turn(smtp_sandbox, connection, MESSAGE.encode() + b".", reset=reset)
    talk.close()
    assert eventually(lambda: session_ended(smtp_sandbox, connection))
    assert smtp_sandbox.sandbox.outbound.count() == 0
    assert inbox(smtp_sandbox) == []


@pytest.mark.parametrize(
    "tail",
    [b"", b".", b"\r\n.\r"],  # the message without its final line, or with only part of it
    ids=["no-dot", "dot-without-crlf", "dot-without-lf"],
)
@pytest.mark.parametrize("reset", [False, True], ids=["close", "reset"])
def test_client_gone_before_the_final_dot_delivers_nothing(smtp_sandbox: RunningSmtp, tail: bytes, reset: bool) -> None:
    talk, connection = start_data(smtp_sandbox)
    data = MESSAGE.encode()
    vanish(talk, data[:-2] + tail if tail.startswith(b"\r\n") else data + tail, reset=reset)
    assert eventually(lambda: session_ended(smtp_sandbox, connection))
    assert smtp_sandbox.sandbox.outbound.count() == 0
    assert inbox(smtp_sandbox) == []
    assert smtp_sandbox.on_server(lambda: smtp_sandbox.server.connection_count) == 0
