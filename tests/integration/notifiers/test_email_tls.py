"""The e-mail notifier over TLS (STARTTLS and SMTPS) against aiosmtpd, with certificates made here."""

from __future__ import annotations

import datetime
import ipaddress
import logging
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import aiohttp
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from fithub.notifiers.email import EmailNotifier
from fithub.plugins import (
    DeliveryGaveUp,
    NotifierContext,
    NotifierError,
    Recipient,
    RenderedMessage,
)
from fithub.plugins.testing import assert_notifier_contract

from .smtp_server import PASSWORD, SMTPServer

# aiosmtpd counts only STARTTLS as TLS, so the SMTPS relay "requires AUTH without TLS" and warns.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

MESSAGE = RenderedMessage(
    title="New record: squat 120 kg",
    text="You squatted 120 kg, a new record.",
    locale="en",
    idempotency_key="delivery-42-email-tls",
)
RECIPIENT = Recipient(channel="email", address="ada@people.example")
Security = Literal["starttls", "tls"]


@dataclass(frozen=True)
class Certificate:
    """A self-signed certificate (its own CA) for 127.0.0.1, as PEM files."""

    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context


def make_certificate(directory: Path, name: str) -> Certificate:
    """A fresh key and self-signed CA certificate for 127.0.0.1 and localhost, valid for a day."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    found = Certificate(directory / f"{name}.crt", directory / f"{name}.key")
    found.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    found.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return found


@pytest.fixture(scope="module")
def relay_cert(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return make_certificate(tmp_path_factory.mktemp("relay-pki"), "relay")


@pytest.fixture(scope="module")
def stranger_cert(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return make_certificate(tmp_path_factory.mktemp("stranger-pki"), "stranger")


@pytest.fixture(params=["starttls", "tls"])
def smtp(request: pytest.FixtureRequest, relay_cert: Certificate) -> Iterator[SMTPServer]:
    security: Security = request.param
    context = relay_cert.server_context()
    with SMTPServer(security=security, tls_context=context, ca_file=str(relay_cert.cert)) as server:
        yield server


async def send(settings: dict[str, str], timeout_s: float = 2.0) -> str:
    async with aiohttp.ClientSession() as session:
        context = NotifierContext(settings, session, logging.getLogger("t"), timeout_s)
        notifier = EmailNotifier(context)
        result = await notifier.send(MESSAGE, RECIPIENT)
    return result.provider_message_id


async def test_the_mail_and_the_login_travel_over_tls(smtp: SMTPServer) -> None:
    message_id = await send(dict(smtp.settings()))
    [mail] = smtp.mails
    assert mail["Message-ID"] == message_id
    assert smtp.logins == [True], "the login was not protected by TLS"
    assert smtp.encrypted == [True], "the mail was not protected by TLS"


async def test_a_login_is_never_sent_in_clear_to_a_starttls_relay(
    relay_cert: Certificate,
) -> None:
    context = relay_cert.server_context()
    with SMTPServer(security="starttls", tls_context=context) as smtp:
        # the relay offers AUTH only after STARTTLS: a notifier told not to use TLS cannot log in
        with pytest.raises(DeliveryGaveUp) as caught:
            await send({**smtp.settings(), "security": "none"})
        assert PASSWORD not in repr(caught.value)
        assert smtp.logins == [] and smtp.mails == []


@pytest.mark.parametrize("trust", ["system", "another CA"])
async def test_a_certificate_the_notifier_does_not_trust_gives_up_before_the_login(
    smtp: SMTPServer, stranger_cert: Certificate, trust: str
) -> None:
    settings = dict(smtp.settings())
    del settings["ca_file"]
    if trust == "another CA":
        settings["ca_file"] = str(stranger_cert.cert)
    with pytest.raises(DeliveryGaveUp, match="certificate is not trusted") as caught:
        await send(settings)
    assert PASSWORD not in repr(caught.value)
    assert smtp.logins == [] and smtp.mails == []


async def test_validate_certs_false_accepts_an_unknown_certificate(smtp: SMTPServer) -> None:
    settings = {**smtp.settings(), "validate_certs": "false"}
    del settings["ca_file"]
    await send(settings)
    assert smtp.encrypted == [True]


def test_a_ca_file_that_is_not_there_is_refused_at_start(tmp_path: Path) -> None:
    settings = {"from": "coach@fithub.example", "ca_file": str(tmp_path / "missing.pem")}
    with pytest.raises(NotifierError, match="FITHUB_NOTIFIER_EMAIL_CA_FILE"):
        EmailNotifier(NotifierContext(settings, None, logging.getLogger("t")))  # type: ignore[arg-type]


async def test_the_email_notifier_keeps_the_contract_over_tls(smtp: SMTPServer) -> None:
    report = await assert_notifier_contract(EmailNotifier, smtp)
    assert set(report.errors) == {"refused_recipient", "unavailable", "timeout", "auth"}
    assert smtp.encrypted and all(smtp.encrypted)
