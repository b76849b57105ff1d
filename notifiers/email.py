"""A notifier that sends e-mail over SMTP (aiosmtplib): multipart text and HTML, one-click unsubscribe.

Settings (``FITHUB_NOTIFIER_EMAIL_*``, keyed in lower case without the prefix):

- ``from`` (required): the sender address; ``from_name``: its display name;
- ``host`` (default ``localhost``), ``port`` (default by ``security``: 587, 465 or 25);
- ``security``: ``starttls`` (default), ``tls`` (implicit TLS) or ``none`` (a local relay);
- ``username`` and ``password``: SMTP AUTH, when both are set;
- ``validate_certs``: ``false`` accepts any server certificate (a test relay), default ``true``;
- ``ca_file``: a PEM file of the CA certificates to trust instead of the system's (a private CA).

A server certificate that is not trusted gives up the delivery (retrying cannot fix fithub's trust
settings); a relay that cannot be reached is retried later.

The ``Message-ID`` is derived from the idempotency key, so every attempt of one delivery carries
the same one (receivers and mail clients drop the duplicates), and is the provider message id.
When ``message.data`` holds an ``unsubscribe_url`` (HTTPS), the mail carries ``List-Unsubscribe``
and ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058).
"""

from __future__ import annotations

import hashlib
import os
import ssl
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from typing import ClassVar, Literal

import aiosmtplib

from fithub.plugins import (
    DeliveryGaveUp,
    DeliveryResult,
    DeliveryRetryLater,
    Notifier,
    NotifierChannel,
    NotifierContext,
    NotifierError,
    PluginHost,
    Recipient,
    RecipientInvalid,
    RenderedMessage,
    hookimpl,
)

IDEMPOTENCY_HEADER = "Fithub-Idempotency-Key"
Security = Literal["starttls", "tls", "none"]
DEFAULT_PORTS: dict[Security, int] = {"starttls": 587, "tls": 465, "none": 25}


def _setting_error(message: str) -> NotifierError:
    return NotifierError(f"e-mail notifier: {message}")


def _untrusted_certificate(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is a failed check of the relay's certificate."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLCertVerificationError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


class EmailNotifier:
    """Sends one mail per delivery through the configured SMTP relay."""

    name: ClassVar[str] = "email"
    display_name: ClassVar[str] = "E-mail (SMTP)"
    channel: ClassVar[NotifierChannel] = "email"

    def __init__(self, context: NotifierContext) -> None:
        settings = context.settings
        self.context = context
        self.sender = settings.get("from", "")
        if "@" not in self.sender or any(c in self.sender for c in "\r\n<>"):
            raise _setting_error("set FITHUB_NOTIFIER_EMAIL_FROM to the sender's address")
        self.sender_name = settings.get("from_name") or None
        security = settings.get("security", "starttls").lower()
        if security not in DEFAULT_PORTS:
            raise _setting_error("FITHUB_NOTIFIER_EMAIL_SECURITY is starttls, tls or none")
        self.security: Security = security  # narrowed to a Security by the check above
        self.host = settings.get("host", "localhost")
        try:
            self.port = int(settings.get("port") or DEFAULT_PORTS[self.security])
        except ValueError:
            raise _setting_error("FITHUB_NOTIFIER_EMAIL_PORT is not a number") from None
        self.username = settings.get("username") or None
        self.password = settings.get("password") or None
        self.validate_certs = settings.get("validate_certs", "true").lower() != "false"
        self.ca_file = settings.get("ca_file") or None
        if self.ca_file is not None and not os.path.isfile(self.ca_file):
            raise _setting_error("FITHUB_NOTIFIER_EMAIL_CA_FILE is not a file")
        self.domain = self.sender.rsplit("@", 1)[1]

    def message_id(self, idempotency_key: str) -> str:
        """The Message-ID of every attempt of the delivery with ``idempotency_key``."""
        digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
        return f"<{digest}@{self.domain}>"

    def compose(self, message: RenderedMessage, recipient: Recipient) -> EmailMessage:
        """The mail for ``message``: text and (when given) HTML alternatives, with its headers."""
        address = recipient.address
        if address.count("@") != 1 or any(c.isspace() or c in '<>,;"' for c in address):
            raise RecipientInvalid("the recipient is not an e-mail address")
        mail = EmailMessage()
        try:
            mail["From"] = formataddr((self.sender_name or "", self.sender))
            mail["To"] = formataddr((recipient.display_name or "", address))
            mail["Subject"] = message.title
            mail["Date"] = formatdate(usegmt=True)
            mail["Message-ID"] = self.message_id(message.idempotency_key)
            mail[IDEMPOTENCY_HEADER] = message.idempotency_key
            unsubscribe = message.data.get("unsubscribe_url")
            if isinstance(unsubscribe, str) and unsubscribe.startswith("https://"):
                mail["List-Unsubscribe"] = f"<{unsubscribe}>"
                mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        except ValueError:  # a CR or LF in a header value: never let it inject headers
            raise DeliveryGaveUp("the message has a header value with a line break") from None
        mail.set_content(message.text)
        if message.html is not None:
            mail.add_alternative(message.html, subtype="html")
        mail["Content-Language"] = message.locale  # after the body: it moves Content-* headers
        return mail

    async def send(self, message: RenderedMessage, recipient: Recipient) -> DeliveryResult:
        """Hand the mail to the relay; the relay's answer decides the error (never its text)."""
        mail = self.compose(message, recipient)
        try:
            await aiosmtplib.send(
                mail,
                sender=self.sender,
                recipients=[recipient.address],
                hostname=self.host,
                port=self.port,
                username=self.username,
                password=self.password,
                use_tls=self.security == "tls",
                start_tls=self.security == "starttls",
                validate_certs=self.validate_certs,
                cert_bundle=self.ca_file,
                timeout=self.context.timeout_s,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [refused.code for refused in exc.recipients]
            if codes and all(400 <= code < 500 for code in codes):
                raise DeliveryRetryLater(f"the relay deferred the recipient ({codes[0]})") from None
            raise RecipientInvalid(f"the relay refused the recipient ({codes[0]})") from None
        except aiosmtplib.SMTPAuthenticationError as exc:
            raise DeliveryGaveUp(f"the relay refused fithub's login ({exc.code})") from None
        except aiosmtplib.SMTPResponseException as exc:
            what = type(exc).__name__
            if 400 <= exc.code < 500:
                raise DeliveryRetryLater(f"the relay said try later ({what} {exc.code})") from None
            raise DeliveryGaveUp(f"the relay refused the mail ({what} {exc.code})") from None
        except (aiosmtplib.SMTPTimeoutError, TimeoutError):
            raise DeliveryRetryLater("the relay did not answer in time") from None
        except (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPServerDisconnected, OSError) as exc:
            if _untrusted_certificate(exc):
                raise DeliveryGaveUp("the relay's certificate is not trusted") from None
            raise DeliveryRetryLater(f"could not reach the relay ({type(exc).__name__})") from None
        except aiosmtplib.SMTPException as exc:  # e.g. STARTTLS or AUTH not offered: settings
            raise DeliveryGaveUp(f"the relay cannot take the mail ({type(exc).__name__})") from None
        message_id = mail["Message-ID"]
        self.context.logger.info("e-mail sent: %s", message_id)
        return DeliveryResult(provider_message_id=message_id)


@hookimpl
def register_notifiers(host: PluginHost) -> list[type[Notifier]]:
    return [EmailNotifier]
