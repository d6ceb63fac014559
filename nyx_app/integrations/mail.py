"""Outgoing e-mail through the operator's SMTP server (``NYX_SMTP_*``), or into the log without one.

Python's own ``smtplib`` (no extra dependency): one connection per message, run in a thread so the
event loop never waits on the server, with ``NYX_SMTP_TIMEOUT_SECONDS`` on every socket operation.
``NYX_SMTP_SECURITY``: ``starttls`` (port 587) upgrades the connection before logging in, ``tls``
(port 465) speaks TLS from the start, ``none`` is for a relay on loopback. The server is the
operator's choice, never a user's, so this is not one of the user-aimed outbound paths that
``net_guard`` guards.

Without ``NYX_SMTP_HOST`` nothing is sent: the message, link included, is written to the log at
WARNING under the logger ``nyx_app.integrations.mail`` with the words "not sent", for an operator to
read and pass on (README, "Password reset").
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from nyx_app.settings import get_settings

log = logging.getLogger(__name__)


class MailError(Exception):
    """The SMTP server could not be reached or refused the message."""


@dataclass(frozen=True, slots=True)
class Mail:
    to: str
    subject: str
    text: str


def _message(mail: Mail) -> EmailMessage:
    settings = get_settings()
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=settings.smtp_from.rsplit("@", 1)[-1].strip("> ") or None)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.text)
    return message


def _send(message: EmailMessage) -> None:
    settings = get_settings()
    host, port, timeout = settings.smtp_host or "", settings.smtp_port, settings.smtp_timeout_seconds
    context = ssl.create_default_context()
    try:
        client: smtplib.SMTP = (
            smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
            if settings.smtp_security == "tls"
            else smtplib.SMTP(host, port, timeout=timeout)
        )
        with client:
            if settings.smtp_security == "starttls":
                client.starttls(context=context)
            if settings.smtp_username:
                password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
                client.login(settings.smtp_username, password)
            client.send_message(message)
    except (OSError, smtplib.SMTPException) as failed:
        raise MailError(f"{type(failed).__name__}: {failed}") from None


async def send(mail: Mail) -> bool:
    """Send one message; True if the SMTP server took it, False if it was only logged (no server
    configured). Raises MailError when the server fails."""
    message = _message(mail)
    if not get_settings().smtp_host:
        log.warning(
            "E-mail not sent (no SMTP server configured, NYX_SMTP_HOST); its text follows.\n%s", message.as_string()
        )
        return False
    await asyncio.to_thread(_send, message)
    return True
