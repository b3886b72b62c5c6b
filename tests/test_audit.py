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


# --- keyed chain: someone holding the database cannot rewrite it unseen -------------------------

AUDIT_KEY = "k" * 32


def _forge_without(url: str, action: str) -> int:
    """The attack on an unkeyed chain: drop the triggers, delete every `action` row, renumber
    and recompute every hash from the first row, and move the head. Returns rows left."""
    from qingfeng.store.models import AuditLog

    _bypass_triggers(url)
    factory = migrated_factory(url)
    with tx(factory) as s:
        kept = [
            (r.at, r.actor, r.action, r.object_type, r.object_id, r.detail, r.mac)
            for r in s.query(AuditLog).order_by(AuditLog.seq)
            if r.action != action
        ]
        s.execute(text("DELETE FROM audit_log"))
        prev = audit.GENESIS_HASH
        for seq, (at, actor, act, otype, oid, detail, mac) in enumerate(kept, start=1):
            digest = audit.log.row_hash(prev, seq, at, actor, act, otype, oid, detail)
            s.add(
                AuditLog(
                    seq=seq,
                    at=at,
                    actor=actor,
                    action=act,
                    object_type=otype,
                    object_id=oid,
                    detail=detail,
                    prev_hash=prev,
                    hash=digest,
                    mac=mac,
                )
            )
            prev = digest
        s.flush()
        s.execute(text("UPDATE audit_head SET seq = :n, hash = :h"), {"n": len(kept), "h": prev})
    return len(kept)


def _fill_with_reveals(factory) -> None:  # type: ignore[no-untyped-def]
    with tx(factory) as s:
        for i in range(20):
            action = "person.unmask" if i % 3 == 0 else "warning.view"
            audit.append(s, "li", action, "person", i, {"n": i})


def test_recomputed_chain_passes_unkeyed_but_not_keyed(store_url: str) -> None:
    from qingfeng.audit.keys import register_key

    register_key(store_url, AUDIT_KEY)
    factory = migrated_factory(store_url)
    _fill_with_reveals(factory)
    with tx(factory) as s:
        assert audit.verify(s, key=AUDIT_KEY.encode()).ok
        assert s.execute(text("SELECT count(*) FROM audit_log WHERE mac IS NULL")).scalar() == 0
    left = _forge_without(store_url, "person.unmask")
    assert left == 13
    with tx(factory) as s:
        assert audit.verify(s).ok  # the unkeyed chain alone is fooled
        report = audit.verify(s, key=AUDIT_KEY.encode())
    assert not report.ok and report.first_broken_seq == 1
    assert "without the audit key" in report.reason


def test_stripped_macs_are_refused(store_url: str) -> None:
    from qingfeng.audit.keys import register_key

    register_key(store_url, AUDIT_KEY)
    factory = migrated_factory(store_url)
    _fill(factory)
    _bypass_triggers(store_url)
    with tx(factory) as s:
        s.execute(text("UPDATE audit_log SET mac = NULL WHERE seq = 4"))
        report = audit.verify(s, key=AUDIT_KEY.encode())
    assert not report.ok and report.first_broken_seq == 4 and "no audit-key MAC" in report.reason


def test_checkpoint_catches_a_cut_tail_with_a_moved_head(store_url: str, tmp_path: Path) -> None:
    from qingfeng.audit import checkpoints
    from qingfeng.audit.keys import register_key

    register_key(store_url, AUDIT_KEY)
    key = AUDIT_KEY.encode()
    factory = migrated_factory(store_url)
    _fill(factory, 6)
    path = tmp_path / "cp.jsonl"
    with tx(factory) as s:
        seq, head_hash = audit.head(s)  # type: ignore[misc]
    checkpoints.write(path, key, seq, head_hash)
    _bypass_triggers(store_url)
    with tx(factory) as s:
        prev = s.execute(text("SELECT hash FROM audit_log WHERE seq = 4")).scalar()
        s.execute(text("DELETE FROM audit_log WHERE seq > 4"))
        s.execute(text("UPDATE audit_head SET seq = 4, hash = :h"), {"h": prev})
        assert audit.verify(s, key=key).ok  # rows and head agree: only the witness knows
        report = audit.verify(s, key=key, checkpoints=checkpoints.read(path, key))
    assert not report.ok and "signed checkpoint records row 6" in report.reason
    # a checkpoint edited by hand is refused, not trusted
    path.write_text(path.read_text().replace('"seq": 6', '"seq": 4'))
    with pytest.raises(checkpoints.CheckpointError, match="not signed"):
        checkpoints.read(path, key)


def test_unkeyed_rows_before_a_checkpoint_are_accepted(store_url: str, tmp_path: Path) -> None:
    """Keying an existing chain: rows written before the key are bound by the first checkpoint."""
    from qingfeng.audit import checkpoints
    from qingfeng.audit.keys import register_key

    factory = migrated_factory(store_url)
    _fill(factory, 3)  # no key yet: no MACs
    key = AUDIT_KEY.encode()
    with tx(factory) as s:
        assert not audit.verify(s, key=key).ok
        seq, head_hash = audit.head(s)  # type: ignore[misc]
    witnessed = [checkpoints.write(tmp_path / "cp.jsonl", key, seq, head_hash)]
    register_key(store_url, AUDIT_KEY)
    _fill(factory, 2)
    with tx(factory) as s:
        report = audit.verify(s, key=key, checkpoints=witnessed)
    assert report.ok and report.rows == 5


def test_cli_verify_keyed_detects_forged_chain(tmp_path: Path) -> None:
    settings = init_workspace(tmp_path / "ws")
    assert len(settings.audit_key) >= 32
    assert settings.audit_key not in (tmp_path / "ws" / "qingfeng.db").read_bytes().decode(
        "latin-1"
    )
    factory = migrated_factory(settings.database_url)
    _fill_with_reveals(factory)
    runner = CliRunner()
    ok = runner.invoke(app, ["audit", "verify", "-w", str(settings.workspace)])
    assert ok.exit_code == 0, ok.output
    assert settings.checkpoint_path.exists()
    _forge_without(settings.database_url, "person.unmask")
    bad = runner.invoke(app, ["audit", "verify", "-w", str(settings.workspace)])
    assert bad.exit_code == 2, bad.output
    assert "broken" in bad.output


def test_cli_seal_keys_an_existing_chain(tmp_path: Path) -> None:
    settings = init_workspace(tmp_path / "ws")
    toml = settings.workspace / "qingfeng.toml"
    key_line = next(line for line in toml.read_text().splitlines() if line.startswith("audit_key"))
    toml.write_text(toml.read_text().replace(key_line, ""))  # a workspace from before keys
    from qingfeng.settings import load_settings

    unkeyed = load_settings(settings.workspace)
    assert unkeyed.audit_key == ""
    factory = migrated_factory(unkeyed.database_url)
    _fill(factory, 4)
    runner = CliRunner()
    toml.write_text(toml.read_text() + "\n" + key_line + "\n")
    before = runner.invoke(app, ["audit", "verify", "-w", str(settings.workspace)])
    assert before.exit_code == 2 and "no audit-key MAC" in before.output
    sealed = runner.invoke(app, ["audit", "seal", "-w", str(settings.workspace)])
    assert sealed.exit_code == 0, sealed.output
    keyed = load_settings(settings.workspace)
    _fill(migrated_factory(keyed.database_url), 2)
    after = runner.invoke(app, ["audit", "verify", "-w", str(settings.workspace)])
    assert after.exit_code == 0, after.output
    assert "6" in after.output
