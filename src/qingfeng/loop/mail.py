"""E-mail over SMTP for reminders: settings (`[mail]` in qingfeng.toml) and sending.

    [mail]
    host = "smtp.example.gov.cn"
    port = 587
    sender = "清风平台 <qingfeng@example.gov.cn>"
    starttls = true                  # upgrade a plain connection (port 587)
    ssl = false                      # or connect over TLS from the start (port 465)
    user = "qingfeng"                # sign in, when the server asks for it
    password_env = "QINGFENG_MAIL_PASSWORD"   # or password = "…" (keep the file private)
    base_url = "https://qingfeng.example.gov.cn"  # links in the messages

Without a `[mail]` table (or without `host`) reminders stay in the app, and the reminder job
says so.
"""

from __future__ import annotations

import os
import smtplib
import ssl as ssl_lib
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid, parseaddr
from pathlib import Path

from pydantic import BaseModel, Field, field_validator, model_validator

from qingfeng.loop.config import load_table


class MailConfig(BaseModel):
    host: str = Field(default="", description="SMTP server; empty: no e-mail, reminders in-app.")
    port: int = Field(default=25, ge=1, le=65535)
    sender: str = Field(default="", description="From address, e.g. 清风平台 <qf@example.gov.cn>")
    starttls: bool = False
    ssl: bool = False
    user: str = ""
    password: str = ""
    password_env: str = Field(default="", description="Environment variable with the password.")
    base_url: str = Field(default="", description="Address of the back office, for links.")
    timeout: float = Field(default=30, gt=0)

    @field_validator("sender")
    @classmethod
    def _address(cls, value: str) -> str:
        if value and "@" not in parseaddr(value)[1]:
            raise ValueError(f"sender {value!r} is not an e-mail address")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> MailConfig:
        if self.starttls and self.ssl:
            raise ValueError("starttls and ssl exclude each other: ssl for port 465, starttls 587")
        if self.host and not self.sender:
            raise ValueError("host is set but sender is not: name the From address")
        return self

    @property
    def enabled(self) -> bool:
        return bool(self.host)

    def secret(self) -> str:
        if self.password_env:
            return os.environ.get(self.password_env, "")
        return self.password


class MailConfigError(ValueError):
    pass


def load_mail_config(settings_file: Path) -> MailConfig:
    """The `[mail]` table of a qingfeng.toml (e-mail off when the file or table is absent)."""
    return load_table(settings_file, "mail", MailConfig, MailConfigError)


@dataclass(frozen=True)
class Mail:
    to: str  # one recipient address
    to_name: str
    subject: str
    body: str  # plain text


@dataclass(frozen=True)
class Sent:
    ok: list[int]  # indexes of the mails the server accepted
    failed: dict[int, str]  # index → why (the server's answer)


def _message(config: MailConfig, mail: Mail) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = config.sender
    msg["To"] = formataddr((mail.to_name, mail.to)) if mail.to_name else mail.to
    msg["Subject"] = mail.subject
    msg["Message-ID"] = make_msgid(domain=parseaddr(config.sender)[1].split("@")[-1] or None)
    msg.set_content(mail.body, charset="utf-8")
    return msg


def send_all(config: MailConfig, mails: Iterable[Mail]) -> Sent:
    """Send each mail over one connection; a refused recipient does not stop the others.
    Raises OSError / smtplib.SMTPException when the server cannot be reached or refuses us."""
    batch = list(mails)
    ok: list[int] = []
    failed: dict[int, str] = {}
    if not batch:
        return Sent(ok, failed)
    context = ssl_lib.create_default_context()
    smtp: smtplib.SMTP
    if config.ssl:
        smtp = smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout, context=context)
    else:
        smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
    with smtp:
        if config.starttls:
            smtp.starttls(context=context)
        if config.user:
            smtp.login(config.user, config.secret())
        for i, mail in enumerate(batch):
            try:
                refused = smtp.send_message(_message(config, mail))
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as exc:
                failed[i] = f"{type(exc).__name__}: {exc}"
                continue
            if refused:
                failed[i] = f"refused: {refused}"
            else:
                ok.append(i)
    return Sent(ok, failed)
