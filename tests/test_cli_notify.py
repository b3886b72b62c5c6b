"""`qingfeng warnings remind | ranking | letter` and `qingfeng users email`, end to end, on SQLite
and PostgreSQL, e-mail to a real local SMTP server."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from mail_helpers import smtp_server
from qingfeng.cli import app
from qingfeng.store.models import AuditLog, User, Warning, utcnow
from qingfeng.workspace import init_workspace
from store_helpers import make_warning, migrated_factory, quick_user, tx

runner = CliRunner()


def run(ws: Path, *args: str) -> str:
    result = runner.invoke(app, [*args, "-w", str(ws)])
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def fails(ws: Path, *args: str) -> str:
    result = runner.invoke(app, [*args, "-w", str(ws)])
    assert result.exit_code != 0, result.output
    return " ".join(result.output.split())


@pytest.fixture
def ws(store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("QINGFENG_STORE_URL", store_url)
    monkeypatch.delenv("QINGFENG_USER", raising=False)
    folder = init_workspace(tmp_path / "ws").workspace
    run(folder, "orgs", "add", "都匀市纪委监委", "--kind", "county", "--code", "522701")
    run(folder, "orgs", "add", "广惠街道纪工委", "--kind", "township", "--code", "522701001",
        "--parent", "522701")  # fmt: skip
    factory = migrated_factory(store_url)
    now = utcnow()
    with tx(factory) as s:
        quick_user(s, "sup", "supervisor", 1)
        quick_user(s, "ver", "verifier", 2)
        late = make_warning(s, "522701001001", status="verifying", org_id=2,
                            due_at=now - timedelta(days=1))  # fmt: skip
        make_warning(s, "522701001001", status="dispatched", org_id=2,
                     due_at=now + timedelta(hours=1))  # fmt: skip
    return folder, factory, late.id


def _row(out: str, label: str, count: int) -> bool:
    """A line of the command's summary table: the label, then the count."""
    return re.search(re.escape(label) + rf"\W*{count}\b", out) is not None


def _settings(folder: Path, text: str) -> None:
    path = folder / "qingfeng.toml"
    path.write_text(path.read_text(encoding="utf-8") + "\n" + text, encoding="utf-8")


def test_remind_daily_in_app_without_mail_then_by_mail(ws) -> None:  # type: ignore[no-untyped-def]
    folder, factory, _late = ws
    out = run(folder, "warnings", "remind")
    assert "no mail server configured" in out and "reminders in the app only" in out
    assert _row(out, "站内通知 / notifications", 2)
    assert _row(out, "邮件已发送 / e-mails sent", 0)
    assert _row(out, "此前已提醒 / reminded before", 0)
    again = run(folder, "warnings", "remind")
    assert _row(again, "站内通知 / notifications", 0) and _row(
        again, "此前已提醒 / reminded before", 2
    )

    run(folder, "users", "email", "ver", "ver@jw.example.gov.cn")
    with factory() as s:
        assert s.scalars(select(User.email).where(User.username == "ver")).one() == (
            "ver@jw.example.gov.cn"
        )
        (row,) = s.scalars(select(AuditLog).where(AuditLog.action == "user.email")).all()
        assert row.detail["email"] == "ver@jw.example.gov.cn"
    assert "not an e-mail address" in fails(folder, "users", "email", "ver", "ver at jw")
    with smtp_server() as (inbox, port):
        _settings(
            folder, f'[mail]\nhost = "127.0.0.1"\nport = {port}\nsender = "qf@jw.example.gov.cn"\n'
        )
        # a new warning overdue: the next run reminds of it, by e-mail too
        with tx(factory) as s:
            fresh = make_warning(s, "522701001001", status="verifying", org_id=2,
                                 due_at=utcnow() - timedelta(hours=1)).id  # fmt: skip
        out = run(folder, "warnings", "remind")
        assert _row(out, "邮件已发送 / e-mails sent", 1) and "no mail server" not in out
    ((_sender, rcpt, msg),) = inbox.messages
    assert rcpt == ["ver@jw.example.gov.cn"]
    assert msg["Subject"].startswith("【清风】预警提醒：超期 1 条")
    assert f"预警 {fresh}" in msg.get_content()


def test_bad_mail_settings_name_the_file_and_field(ws) -> None:  # type: ignore[no-untyped-def]
    folder, _factory, _late = ws
    _settings(folder, '[mail]\nhost = "smtp.x.cn"\nport = 70000\nsender = "a@x.cn"\n')
    out = fails(folder, "warnings", "remind")
    assert "qingfeng.toml" in out and "mail.port" in out


def test_ranking_and_letter(ws, tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder, factory, late = ws
    out = run(folder, "warnings", "ranking", "--as", "sup")
    assert "广惠街道纪工委" in out and "都匀市纪委监委" in out
    assert out.index("广惠街道纪工委") < out.index("都匀市纪委监委")  # it holds the late one
    assert "may not see the ranking" in fails(folder, "warnings", "ranking", "--as", "ver")
    target = tmp_path / "letters" / "r.html"
    out = run(folder, "warnings", "letter", str(late), "--kind", "reminder", "-o", str(target),
              "--as", "sup")  # fmt: skip
    html = target.read_text(encoding="utf-8")
    with factory() as s:
        subject_id = s.get_one(Warning, late).subject_id
    assert "<h1>提醒函</h1>" in html and "广惠街道纪工委：" in html
    assert subject_id not in html and "已超期" in html
    assert "letter kind" in fails(folder, "warnings", "letter", str(late), "--kind", "memo",
                                  "--as", "sup")  # fmt: skip
    with factory() as s:
        assert s.scalars(
            select(AuditLog.actor).where(AuditLog.action == "warning.letter")
        ).all() == ["sup"]
