"""A trial certificate authority and the broker's certificate for ``docker compose``: Apache
Kafka serves SASL_SSL with them, the services trust the CA (``SSL_CERT_FILE``). A city uses
its own PKI or Strimzi's cluster CA instead (docs/security.md).

``appeals-stack kafka-certs --state-dir DIR`` writes, once, into ``DIR/kafka-tls``:
``ca.crt`` (the CA), ``kafka.pem`` (the broker's PKCS#8 key and certificate chain, a PEM
keystore) and ``kafka_server_jaas.conf`` (SCRAM on the broker's SASL listener).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from appeals_runtime.clock import Clock

JAAS = "KafkaServer {\n  org.apache.kafka.common.security.scram.ScramLoginModule required;\n};\n"
VALID_DAYS = 825


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Open Appeals (trial)"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def write_broker_tls(directory: Path, hosts: tuple[str, ...] = ("kafka", "localhost")) -> Path:
    """Make the CA and the broker's key and certificate in ``directory`` unless they are there."""
    directory.mkdir(parents=True, exist_ok=True)
    if (directory / "kafka.pem").exists() and (directory / "ca.crt").exists():
        return directory
    now = Clock().now()
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("open-appeals trial CA")).issuer_name(_name("open-appeals trial CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=VALID_DAYS))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                       key_encipherment=False, data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName(h) for h in hosts] + [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (x509.CertificateBuilder().subject_name(_name(hosts[0])).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=VALID_DAYS))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    (directory / "ca.crt").write_bytes(_pem(ca))
    (directory / "kafka.pem").write_bytes(private + _pem(cert) + _pem(ca))
    (directory / "kafka_server_jaas.conf").write_text(JAAS, "ascii")
    for path in directory.iterdir():  # the broker's image runs as an unprivileged user
        path.chmod(0o644)
    return directory
