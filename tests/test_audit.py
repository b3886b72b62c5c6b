"""The audit log: chained rows, refused edits, tampering detected and located, the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from qingfeng import audit
from qingfeng.cli import app
from qingfeng.store.db import make_engine
from qingfeng.workspace import init_workspace
from store_helpers import migrated_factory, tx


def _fill(factory, n: int = 5) -> None:  # type: ignore[no-untyped-def]
    with tx(factory) as s:
        for i in range(n):
            audit.append(s, "li", "warning.view", "warning", i, {"reveal": True, "n": i})


def _bypass_triggers(url: str) -> None:
    """What someone with database access could do: drop the append-only protection."""
    with make_engine(url).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        else:
            conn.execute(text("DROP TRIGGER audit_log_no_update"))
            conn.execute(text("DROP TRIGGER audit_log_no_delete"))


def test_chain_is_intact_after_appends(store_url: str) -> None:
    factory = migrated_factory(store_url)
    _fill(factory)
    with tx(factory) as s:
        assert audit.append_many(s, [audit.AuditEntry("wang", "x", "y", "1")] * 3) == [6, 7, 8]
    with tx(factory) as s:
        report = audit.verify(s)
    assert report.ok and report.rows == 8


def test_rolled_back_change_leaves_no_audit_row(store_url: str) -> None:
    factory = migrated_factory(store_url)
    _fill(factory, 2)
    with pytest.raises(RuntimeError), tx(factory) as s:
        audit.append(s, "li", "warning.dispatch", "warning", 9)
        raise RuntimeError("the change failed")
    with tx(factory) as s:
        report = audit.verify(s)
    assert report.ok and report.rows == 2


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"])
def test_database_refuses_edits(store_url: str, statement: str) -> None:
    factory = migrated_factory(store_url)
    _fill(factory, 1)
    with pytest.raises(DBAPIError, match="append-only"), tx(factory) as s:
        s.execute(text(statement))


def test_altered_row_is_named(store_url: str) -> None:
    factory = migrated_factory(store_url)
    _fill(factory)
    _bypass_triggers(store_url)
    with tx(factory) as s:
        s.execute(text("UPDATE audit_log SET actor = 'nobody' WHERE seq = 3"))
    with tx(factory) as s:
        report = audit.verify(s)
    assert not report.ok and report.first_broken_seq == 3 and "altered" in report.reason
    assert report.rows == 2


def test_rewritten_row_with_recomputed_hash_breaks_the_next_link(store_url: str) -> None:
    factory = migrated_factory(store_url)
    _fill(factory)
    _bypass_triggers(store_url)
    with tx(factory) as s:
        row = s.execute(text("SELECT prev_hash, at FROM audit_log WHERE seq = 2")).one()
        from qingfeng.store.models import AuditLog

        at = s.get_one(AuditLog, 2).at
        forged = audit.log.row_hash(row.prev_hash, 2, at, "li", "warning.view", "warning", "1", {})
        s.execute(
            text("UPDATE audit_log SET detail = :d, hash = :h WHERE seq = 2"),
            {"d": "{}", "h": forged},
        )
    with tx(factory) as s:
        report = audit.verify(s)
    assert not report.ok and report.first_broken_seq == 3 and "does not link" in report.reason


def test_deleted_middle_row_is_named(store_url: str) -> None:
    factory = migrated_factory(store_url)
    _fill(factory)
    _bypass_triggers(store_url)
    with tx(factory) as s:
        s.execute(text("DELETE FROM audit_log WHERE seq = 4"))
    with tx(factory) as s:
        report = audit.verify(s)
    assert not report.ok and report.first_broken_seq == 4 and "missing" in report.reason


def test_cut_off_tail_is_detected(store_url: str) -> None:
    factory = migrated_factory(store_url)
    _fill(factory)
    _bypass_triggers(store_url)
    with tx(factory) as s:
        s.execute(text("DELETE FROM audit_log WHERE seq >= 4"))
    with tx(factory) as s:
        report = audit.verify(s)
    assert (
        not report.ok and report.first_broken_seq == 4 and "removed from the end" in report.reason
    )


def test_cli_verify(tmp_path: Path) -> None:
    settings = init_workspace(tmp_path / "ws")
    factory = migrated_factory(settings.database_url)
    _fill(factory)
    runner = CliRunner()
    ok = runner.invoke(app, ["audit", "verify", "-w", str(settings.workspace)])
    assert ok.exit_code == 0, ok.output
    assert "5" in ok.output and "intact" in ok.output
    tail = runner.invoke(app, ["audit", "tail", "-w", str(settings.workspace), "-n", "2"])
    assert tail.exit_code == 0 and "warning.view" in tail.output
    _bypass_triggers(settings.database_url)
    with tx(factory) as s:
        s.execute(text("UPDATE audit_log SET detail = '{\"reveal\": false}' WHERE seq = 2"))
    bad = runner.invoke(app, ["audit", "verify", "-w", str(settings.workspace)])
    assert bad.exit_code == 2
    assert "row 2" in bad.output and "altered" in bad.output
