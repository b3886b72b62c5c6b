"""`qingfeng export ftm`: the user's scope as FollowTheMoney entities, validated by the
`followthemoney` package, masked unless an unmasking role asks, audited."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from qingfeng.cli import app
from qingfeng.settings import load_settings
from qingfeng.store.models import AuditLog
from qingfeng.subject_library import build_libraries
from qingfeng.subject_library.attach import libraries_dir
from qingfeng.workspace import init_workspace
from store_helpers import make_warning, migrated_factory, quick_user, tx
from test_close_kin import P, create_tables

followthemoney = pytest.importorskip(
    "followthemoney", reason="the optional ftm extra (PyICU) is not installed"
)
runner = CliRunner()
COMPANY = "91330102MA00000013"


def run(ws: Path, *args: str) -> str:
    result = runner.invoke(app, [*args, "-w", str(ws)])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def ws(store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("QINGFENG_STORE_URL", store_url)
    monkeypatch.delenv("QINGFENG_USER", raising=False)
    folder = init_workspace(tmp_path / "ws").workspace
    run(folder, "orgs", "add", "都匀市纪委监委", "--kind", "county", "--code", "522701")
    run(folder, "orgs", "add", "福泉市纪委监委", "--kind", "county", "--code", "522702")
    with tx(migrated_factory(store_url)) as s:
        quick_user(s, "sup", "supervisor", 1)
        quick_user(s, "lead", "leader", 1)
        text = f"关国栋的亲属关国梁（{P['guan_brother']}）是某公司的股东"
        make_warning(s, "522701001001", subject_id=P["guan"], subject_name="关国栋",
                     model_id="relative_company_wins_contract", explanation=text)  # fmt: skip
        make_warning(s, "522702001001", subject_id=P["guan_decoy"], subject_name="关国富")
    con = duckdb.connect()
    create_tables(con)
    con.execute(
        "CREATE TABLE companies AS SELECT ? AS uscc, '关氏建材有限公司' AS name, "
        "? AS legal_rep_id_no, '存续' AS status",
        [COMPANY, P["guan_brother"]],
    )
    con.execute(
        "CREATE TABLE shareholders AS SELECT ? AS uscc, ? AS shareholder_id_no, "
        "'关国梁' AS shareholder_name, 0.6 AS share_ratio, 600000 AS subscribed_capital",
        [COMPANY, P["guan_brother"]],
    )
    build_libraries(con, libraries_dir(load_settings(folder).lake_dir))
    return folder


def entities(path: Path) -> list[object]:
    from followthemoney import model

    # get_proxy validates: an unknown schema or property raises
    return [model.get_proxy(json.loads(line)) for line in path.read_text("utf-8").splitlines()]


def test_scope_masking_and_schemas(ws: Path, store_url: str) -> None:
    out = ws / "scope.ftm.json"
    printed = run(ws, "export", "ftm", "--as", "sup", "-o", str(out))
    assert "exported" in printed
    found = entities(out)
    by_schema: dict[str, list] = {}
    for e in found:
        by_schema.setdefault(e.schema.name, []).append(e)
    # the warning of the other county is not in scope, nor its subject
    assert len(by_schema["Note"]) == 1
    people = {p.first("idNumber"): p for p in by_schema["Person"]}
    assert all("*" in i for i in people), people
    assert P["guan"] not in out.read_text("utf-8") and P["guan_brother"] not in out.read_text(
        "utf-8"
    )
    assert "关国富" not in out.read_text("utf-8")
    guan = people[P["guan"][:4] + "*" * 10 + P["guan"][-4:]]
    assert guan.first("name") == "关*栋"
    note = by_schema["Note"][0]
    assert note.first("entity") == guan.id and "*" in note.first("description")
    family = {(f.first("relationship"), f.first("person")) for f in by_schema["Family"]}
    assert ("兄弟姐妹 sibling", guan.id) in family
    assert len(by_schema["Family"]) == 8  # the eight relatives of the subject in scope
    # the brother's company is one step from a relative, not from the subject: not exported
    assert "Ownership" not in by_schema and "Company" not in by_schema
    with tx(migrated_factory(store_url)) as s:
        (row,) = s.scalars(select(AuditLog).where(AuditLog.action == "ftm.export"))
        assert row.actor == "sup" and row.detail["masked"] is True
        assert row.detail["entities"]["Note"] == 1 and row.detail["warnings"] == 1


def test_unmasked_only_for_unmasking_roles(ws: Path) -> None:
    result = runner.invoke(app, ["export", "ftm", "--as", "lead", "--unmasked", "-w", str(ws)])
    assert result.exit_code != 0 and "may not export unmasked" in " ".join(result.output.split())
    out = ws / "clear.ftm.json"
    run(ws, "export", "ftm", "--as", "sup", "--unmasked", "-o", str(out))
    people = {p.first("idNumber") for p in entities(out) if p.schema.name == "Person"}
    assert P["guan"] in people and P["guan_brother"] in people


def test_ownership_and_directorship_of_a_subject(ws: Path, store_url: str) -> None:
    with tx(migrated_factory(store_url)) as s:
        make_warning(s, "522701001002", subject_id=P["guan_brother"], subject_name="关国梁")
    out = ws / "owner.ftm.json"
    run(ws, "export", "ftm", "--as", "sup", "-o", str(out))
    found = entities(out)
    (own,) = [e for e in found if e.schema.name == "Ownership"]
    (director,) = [e for e in found if e.schema.name == "Directorship"]
    (company,) = [e for e in found if e.schema.name == "Company"]
    assert own.first("asset") == company.id and own.first("percentage") == "60.0"
    assert director.first("organization") == company.id
    assert company.first("name") == "关氏建材有限公司"
