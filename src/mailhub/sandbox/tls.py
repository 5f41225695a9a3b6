"""The sandbox's own certificate authority: created on first start, it signs one server certificate that
covers every edition's host names plus ``localhost`` and ``127.0.0.1``, so a client that trusts the CA file
can keep TLS name checks on while real provider host names are pointed at the sandbox.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
import weakref
from collections.abc import Iterable
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_LOCAL_NAMES = ("localhost", "127.0.0.1", "::1")
_VALIDITY = dt.timedelta(days=3650)

# SNI names clients asked for, by the SSLObject of their connection (read after the handshake).
_requested_names: weakref.WeakKeyDictionary[object, str] = weakref.WeakKeyDictionary()


def requested_server_name(ssl_object: object | None) -> str | None:
    """The host name the client sent in SNI for this connection (``writer.get_extra_info("ssl_object")``)."""
    if ssl_object is None:
        return None
    return _requested_names.get(ssl_object)


def _record_sni(ssl_object: object, server_name: str | None, _context: ssl.SSLContext) -> None:
    if server_name:
        _requested_names[ssl_object] = server_name.lower()


def _write_private(path: Path, data: bytes) -> None:
    """Write atomically with mode 0600 (a key file must never be readable by others, even briefly)."""
    tmp = path.with_suffix(path.suffix + f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _san(names: Iterable[str]) -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = []
    for name in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(entries)


class CertificateAuthority:
    """Files in ``directory``: ``ca.pem`` (give it to clients), ``ca-key.pem``, ``server.pem``, ``server-key.pem``."""

    def __init__(self, directory: Path, hostnames: Iterable[str] = ()) -> None:
        self.directory = Path(directory)
        self.hostnames = sorted({*(h.lower() for h in hostnames), *_LOCAL_NAMES})
        self._server_context: ssl.SSLContext | None = None

    @property
    def ca_file(self) -> Path:
        """The CA certificate clients must trust; created on first access."""
        self._ensure()
        return self.directory / "ca.pem"

    def server_context(self) -> ssl.SSLContext:
        """A TLS server context (TLS 1.2+) with the sandbox certificate; records each client's SNI name."""
        if self._server_context is None:
            self._ensure()
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            context.load_cert_chain(self.directory / "server.pem", self.directory / "server-key.pem")
            context.sni_callback = _record_sni
            self._server_context = context
        return self._server_context

    def client_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts only this CA (for tests and tools)."""
        return ssl.create_default_context(cafile=str(self.ca_file))

    def _ensure(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        ca_cert_path, ca_key_path = self.directory / "ca.pem", self.directory / "ca-key.pem"
        if not (ca_cert_path.exists() and ca_key_path.exists()):
            self._create_ca(ca_cert_path, ca_key_path)
        if not self._server_cert_covers_hostnames():
            self._issue_server_certificate(ca_cert_path, ca_key_path)

    def _create_ca(self, cert_path: Path, key_path: Path) -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mailhub sandbox local CA")])
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + _VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        _write_private(key_path, _key_pem(key))
        _write_private(cert_path, cert.public_bytes(serialization.Encoding.PEM))

    def _server_cert_covers_hostnames(self) -> bool:
        cert_path = self.directory / "server.pem"
        if not (cert_path.exists() and (self.directory / "server-key.pem").exists()):
            return False
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        present = {n.lower() for n in san.get_values_for_type(x509.DNSName)}
        present |= {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}
        return set(self.hostnames) <= present

    def _issue_server_certificate(self, ca_cert_path: Path, ca_key_path: Path) -> None:
        ca_cert = x509.load_pem_x509_certificate(ca_cert_path.read_bytes())
        ca_key = serialization.load_pem_private_key(ca_key_path.read_bytes(), password=None)
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mailhub sandbox")]))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + _VALIDITY)
            .add_extension(_san(self.hostnames), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        _write_private(self.directory / "server-key.pem", _key_pem(key))
        _write_private(self.directory / "server.pem", cert.public_bytes(serialization.Encoding.PEM))
        self._server_context = None
