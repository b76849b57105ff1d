"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives: the e-mail channel's fake."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any, ClassVar, Literal, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from fithub.plugins.notifier import NotifierChannel, Recipient
from fithub.plugins.testing import ChannelServer, Delivered

USERNAME = "fithub-relay"
PASSWORD = "s3cret-relay-password-7f1c"
REFUSED = "nobody@refused.example"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SMTPServer(ChannelServer):
    """aiosmtpd on 127.0.0.1 requiring AUTH; refuses :data:`REFUSED` with a 550.

    ``security`` is ``none`` (AUTH in clear, loopback only), ``starttls`` (STARTTLS required
    before MAIL or AUTH, with ``tls_context``) or ``tls`` (implicit TLS, SMTPS, with
    ``tls_context``); ``ca_file`` goes into :meth:`settings` for a notifier to trust the server.
    ``logins`` and ``encrypted`` say, per login and per accepted mail, whether TLS protected it.

    Faults: ``auth`` fails the next login (535), ``unavailable`` answers DATA with a 451,
    ``timeout`` holds DATA ``hang_s`` seconds.
    """

    channel: ClassVar[NotifierChannel] = "email"

    def __init__(
        self,
        *,
        security: Literal["none", "starttls", "tls"] = "none",
        tls_context: ssl.SSLContext | None = None,
        ca_file: str | None = None,
    ) -> None:
        super().__init__()
        if (security == "none") != (tls_context is None):
            raise ValueError("a TLS context goes with security starttls or tls, and only then")
        self.port = free_port()
        self.security = security
        self.ca_file = ca_file
        self.mails: list[EmailMessage] = []
        self.logins: list[bool] = []
        self.encrypted: list[bool] = []
        self._refused_sessions: set[int] = set()
        tls: dict[str, Any] = {"auth_require_tls": False}
        if security == "starttls":
            tls = {"tls_context": tls_context, "require_starttls": True, "auth_require_tls": True}
        elif security == "tls":  # aiosmtpd counts only STARTTLS as TLS for auth_require_tls
            tls["ssl_context"] = tls_context
        self.controller = Controller(
            self,
            hostname="127.0.0.1",
            port=self.port,
            authenticator=self._authenticate,
            auth_required=True,
            **tls,
        )

    def start(self) -> Self:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def settings(self) -> Mapping[str, str]:
        return {
            "host": "127.0.0.1",
            "port": str(self.port),
            "security": self.security,
            "username": USERNAME,
            "password": PASSWORD,
            "from": "coach@fithub.example",
            "from_name": "fithub",
        } | ({"ca_file": self.ca_file} if self.ca_file else {})

    @property
    def secrets(self) -> tuple[str, ...]:
        return (PASSWORD,)

    def recipient(self) -> Recipient:
        return Recipient(channel="email", address="ada@people.example", display_name="Ada")

    def refused_recipient(self) -> Recipient:
        return Recipient(channel="email", address=REFUSED)

    # -- aiosmtpd hooks (run on the server's thread) ----------------------------------------------

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        self.logins.append(_over_tls(server))
        # A client tries each mechanism the server offers: a refused login refuses them all.
        if id(session) in self._refused_sessions or self.take_fault("auth") is not None:
            self._refused_sessions.add(id(session))
            return AuthResult(success=False, handled=False)
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            USERNAME.encode(),
            PASSWORD.encode(),
        )
        return AuthResult(success=ok)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address == REFUSED:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        fault = self.take_fault("unavailable", "timeout")
        if fault == "timeout":
            await asyncio.sleep(self.hang_s)
        if fault is not None:
            return "451 4.3.0 try again later"
        raw = envelope.original_content or b""
        mail = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(mail, EmailMessage)
        self.mails.append(mail)
        self.encrypted.append(_over_tls(server))
        for address in envelope.rcpt_tos:
            self.record(
                Delivered(
                    address=address,
                    provider_message_id=str(mail["Message-ID"]),
                    idempotency_key=mail.get("Fithub-Idempotency-Key"),
                    raw=raw,
                )
            )
        return "250 Message accepted for delivery"


def _over_tls(server: SMTP) -> bool:
    """Whether the SMTP session ``server`` serves runs over TLS (STARTTLS or implicit)."""
    transport = server.transport
    return transport is not None and transport.get_extra_info("ssl_object") is not None
