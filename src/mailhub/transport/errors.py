"""One vocabulary for what went wrong on the wire, so verification and diagnosis never see raw exceptions.

Kinds: ``dns`` (host not found), ``refused`` (nothing listens), ``timeout``, ``tls_untrusted`` (certificate
not trusted or not for this host), ``tls_handshake`` (TLS failed, e.g. TLS spoken to a plaintext port),
``wrong_port`` (the greeting is not this protocol's, or plaintext spoken to a TLS port), ``starttls_missing``,
``tls_required`` (the server refuses to log in without TLS), ``protocol`` (an answer we cannot read),
``closed`` (the server hung up), ``auth`` (credentials refused), ``select`` (mailbox refused), ``id`` (ID refused).
"""

from __future__ import annotations

FAILURE_KINDS: tuple[str, ...] = (
    "dns",
    "refused",
    "timeout",
    "tls_untrusted",
    "tls_handshake",
    "wrong_port",
    "starttls_missing",
    "tls_required",
    "protocol",
    "closed",
    "auth",
    "select",
    "id",
)


class TransportFailure(Exception):
    """A failure with a stable ``kind``, the ``phase`` it happened in and the server's raw ``reply`` (if any).

    The message never contains a secret: it is built from the kind, the phase and the server's words only.
    """

    def __init__(self, kind: str, phase: str, reply: str | None = None, detail: str | None = None) -> None:
        if kind not in FAILURE_KINDS:
            raise ValueError(f"unknown failure kind {kind!r}")
        self.kind = kind
        self.phase = phase
        self.reply = reply
        self.detail = detail
        super().__init__(f"{kind} during {phase}: {reply or detail or ''}".rstrip(": "))
