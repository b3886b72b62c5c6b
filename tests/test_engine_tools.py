"""Author tools: model packages (pack / unpack with checksums), structured matching rules and
their errors, and the testing helper."""

from __future__ import annotations

import json
import textwrap
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qingfeng.cli.app import app
from qingfeng.engine import ModelSpecError, load_models, parse_model_text
from qingfeng.engine.packaging import PackageError, pack_models, read_package, unpack_models
from qingfeng.engine.testing import assert_hits
from qingfeng.workspace import init_workspace


def test_pack_and_unpack_round_trip(tmp_path: Path) -> None:
    models = load_models()
    package = tmp_path / "share" / "models.zip"
    manifest = pack_models(models, ["subsidy_after_death", "dibao_owns_car"], package)
    assert [m["id"] for m in manifest["models"]] == ["subsidy_after_death", "dibao_owns_car"]
    read_manifest, files = read_package(package)
    assert read_manifest == manifest
    assert files["models/subsidy_after_death.yaml"] == (
        models.sources["subsidy_after_death"].read_bytes()
    )

    target = tmp_path / "other-region" / "models"
    assert unpack_models(package, target) == ["subsidy_after_death", "dibao_owns_car"]
    assert (target / "dibao_owns_car.yaml").read_bytes() == (
        models.sources["dibao_owns_car"].read_bytes()
    )
    # the same package again is a no-op; different content needs --force
    unpack_models(package, target)
    (target / "dibao_owns_car.yaml").write_text("# changed locally\n", encoding="utf-8")
    with pytest.raises(PackageError, match="--force"):
        unpack_models(package, target)
    unpack_models(package, target, force=True)
    assert load_models(target).errors == []


def _rewrite(package: Path, out: Path, change) -> None:  # type: ignore[no-untyped-def]
    with zipfile.ZipFile(package) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            name, data = change(info.filename, src.read(info.filename))
            if name:
                dst.writestr(name, data)


def test_unpack_refuses_tampered_or_foreign_packages(tmp_path: Path) -> None:
    package = tmp_path / "p.zip"
    pack_models(load_models(), ["subsidy_after_death"], package)
    target = tmp_path / "models"

    tampered = tmp_path / "tampered.zip"
    _rewrite(
        package,
        tampered,
        lambda n, d: (
            n,
            d.replace(b"default: 1000", b"default: 999999") if n != "manifest.json" else d,
        ),
    )
    with pytest.raises(PackageError, match="checksum"):
        unpack_models(tampered, target)

    escape = tmp_path / "escape.zip"
    _rewrite(package, escape, lambda n, d: ("../evil.yaml" if n != "manifest.json" else n, d))
    with pytest.raises(PackageError, match="unexpected member"):
        unpack_models(escape, target)

    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    with pytest.raises(PackageError, match="not a model package"):
        unpack_models(tmp_path / "junk.zip", target)

    # a spec that fails to compile here is refused, and nothing at all is written
    bad_spec = (
        load_models()
        .sources["subsidy_after_death"]
        .read_bytes()
        .replace(b"FROM deaths", b"FROM deaths_elsewhere")
    )
    broken = tmp_path / "broken.zip"

    def swap(name: str, data: bytes):  # type: ignore[no-untyped-def]
        if name == "manifest.json":
            manifest = json.loads(data)
            import hashlib

            manifest["models"][0]["sha256"] = hashlib.sha256(bad_spec).hexdigest()
            return name, json.dumps(manifest)
        return name, bad_spec

    _rewrite(package, broken, swap)
    with pytest.raises(PackageError, match="deaths_elsewhere"):
        unpack_models(broken, target)
    assert not target.exists()


def test_cli_pack_and_unpack(tmp_path: Path) -> None:
    settings = init_workspace(tmp_path / "ws")
    runner = CliRunner()
    package = tmp_path / "all.zip"
    result = runner.invoke(app, ["model", "pack", str(package), "--all"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["model", "unpack", str(package), "-w", str(settings.workspace)])
    assert result.exit_code == 0, result.output
    assert sorted(p.stem for p in settings.models_dir.glob("*.yaml")) == sorted(
        load_models().models
    )
    result = runner.invoke(app, ["model", "pack", str(package)])
    assert result.exit_code == 1 and "no models to pack" in result.output


MATCH = textwrap.dedent(
    """\
    id: payroll_car
    version: "1.0"
    name: {zh: 财政供养人员名下营运车辆}
    field: 公职人员
    description: 在职期间名下登记营运车辆。
    legal_basis: [{document: 《公职人员政务处分法》}]
    inputs: [public_payroll, vehicles]
    parameters:
      kinds: {type: string, default: 营运}
    logic:
      match:
        left: {table: public_payroll, where: [{column: end_date, op: is_null}]}
        right: {table: vehicles, where: [{column: use_type, op: "=", param: kinds}]}
        keys: [{left: id_no, right: owner_id_no}]
        conditions:
          - {column: right.register_date, op: ">=", other: left.start_date, days: 30}
        select: [left.id_no, left.name, right.plate_no, right.register_date AS reg]
    subject: {type: person, id: id_no, name: name}
    period: plate_no
    severity: [{level: yellow}]
    evidence: [plate_no, reg]
    explanation: "{subject_name}入职后于{reg}登记营运车辆{plate_no}"
    """
)


def test_structured_rule_runs_without_sql() -> None:
    spec = parse_model_text(MATCH, "m.yaml")
    payroll = [
        {"id_no": "A", "name": "甲", "start_date": "2020-01-01", "end_date": None},
        {"id_no": "B", "name": "乙", "start_date": "2020-01-01", "end_date": "2021-01-01"},
    ]
    vehicles = [
        {"plate_no": "P1", "owner_id_no": "A", "use_type": "营运", "register_date": "2020-03-01"},
        {"plate_no": "P2", "owner_id_no": "A", "use_type": "营运", "register_date": "2020-01-15"},
        {"plate_no": "P3", "owner_id_no": "A", "use_type": "非营运", "register_date": "2022-01-01"},
        {"plate_no": "P4", "owner_id_no": "B", "use_type": "营运", "register_date": "2020-06-01"},
    ]
    for row in payroll:
        for key in ("start_date", "end_date"):
            row[key] = row[key] and __import__("datetime").date.fromisoformat(row[key])
    for row in vehicles:
        row["register_date"] = __import__("datetime").date.fromisoformat(row["register_date"])
    hits = assert_hits(
        spec,
        tables={"public_payroll": payroll, "vehicles": vehicles},
        expected=[
            {"subject_id": "A", "period": "P1", "explanation": "甲入职后于2020-03-01登记营运车辆P1"}
        ],
    )
    assert hits[0].evidence == {"plate_no": "P1", "reg": "2020-03-01"}
    with pytest.raises(AssertionError, match="unexpected hit: subject A period P1"):
        assert_hits(spec, tables={"public_payroll": payroll, "vehicles": vehicles}, expected=[])


def test_anti_join_finds_rows_without_a_match() -> None:
    text = MATCH.replace("keys: [", "join: anti\n    keys: [").replace(
        "select: [left.id_no, left.name, right.plate_no, right.register_date AS reg]",
        "select: [left.id_no, left.name, left.start_date]",
    )
    text = text.replace(
        '    conditions:\n      - {column: right.register_date, op: ">=", '
        "other: left.start_date, days: 30}\n",
        "",
    )
    text = (
        text.replace("period: plate_no", "period: start_date")
        .replace("evidence: [plate_no, reg]", "evidence: []")
        .replace('"{subject_name}入职后于{reg}登记营运车辆{plate_no}"', '"{subject_name}"')
    )
    spec = parse_model_text(text, "m.yaml")
    d = __import__("datetime").date
    tables = {
        "public_payroll": [
            {"id_no": "A", "name": "甲", "start_date": d(2020, 1, 1), "end_date": None},
            {"id_no": "C", "name": "丙", "start_date": d(2020, 1, 1), "end_date": None},
        ],
        "vehicles": [
            {
                "plate_no": "P1",
                "owner_id_no": "A",
                "use_type": "营运",
                "register_date": d(2020, 3, 1),
            }
        ],
    }
    assert_hits(spec, tables=tables, expected=[{"subject_id": "C", "period": "2020-01-01"}])


def test_malformed_matching_rule_lists_every_error() -> None:
    text = MATCH.replace(
        "{column: end_date, op: is_null}", "{column: end_date, op: is_null, value: 1}"
    )
    text = text.replace('right.register_date, op: ">="', 'middle.register_date, op: ">="')
    text = text.replace("keys: [{left: id_no, right: owner_id_no}]", "keys: []")
    text = text.replace("param: kinds", "param: nope")
    with pytest.raises(ModelSpecError) as info:
        parse_model_text(text, "m.yaml")
    problems = [str(p) for p in info.value.problems]
    joined = "\n".join(problems)
    assert "m.yaml:12: logic.match.left.where.0" in joined and "takes no operand" in joined
    assert "m.yaml:14: logic.match.keys" in joined and "at least one key" in joined
    # pydantic stops at the shape errors above; fix them and the references are checked
    text = text.replace(", value: 1}", "}").replace(
        "keys: []", "keys: [{left: id_no, right: owner_id_no}]"
    )
    with pytest.raises(ModelSpecError) as info:
        parse_model_text(text, "m.yaml")
    joined = "\n".join(str(p) for p in info.value.problems)
    assert "logic.match.conditions.0" in joined and "middle.register_date" in joined
    assert "unknown parameter :nope" in joined


def test_a_workspace_model_replaces_the_built_in_one(tmp_path: Path) -> None:
    built_in = load_models()
    text = built_in.sources["subsidy_after_death"].read_text(encoding="utf-8")
    local = tmp_path / "subsidy_after_death.yaml"
    shipped = built_in.get("subsidy_after_death").version
    local.write_text(text.replace(f'version: "{shipped}"', 'version: "99.0.0"'), encoding="utf-8")
    models = load_models(tmp_path)
    assert models.get("subsidy_after_death").version == "99.0.0"
    assert models.sources["subsidy_after_death"] == local
    (tmp_path / "wrong_name.yaml").write_text(text, encoding="utf-8")
    errors = [str(e) for e in load_models(tmp_path).errors]
    assert len(errors) == 1 and "file name must be the model id" in errors[0]
