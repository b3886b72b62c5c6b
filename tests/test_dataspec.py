"""The catalogue: valid YAML for every dataset the architecture names, docs generated from it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qingfeng.cli import app
from qingfeng.dataspec import CatalogueError, get_dataset, load_catalogue
from qingfeng.dataspec.docs import render_markdown
from qingfeng.dataspec.loader import load_catalogue_from

ROOT = Path(__file__).resolve().parents[1]


def _architecture_table() -> dict[str, list[str]]:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = text.split("## Standard datasets", 1)[1].split("\n## ", 1)[0]
    out: dict[str, list[str]] = {}
    for line in section.splitlines():
        m = re.match(r"\| `([a-z_]+)` \| [^|]+ \| (.+) \|$", line)
        if m:
            fields = [re.split(r"[ (]", f.strip())[0] for f in m.group(2).split(",")]
            out[m.group(1)] = fields
    return out


def test_every_dataset_of_the_architecture_has_a_catalogue_file_with_its_key_fields() -> None:
    table = _architecture_table()
    assert len(table) >= 17
    specs = load_catalogue()
    assert set(table) == set(specs)
    for ds, fields in table.items():
        names = {f.name for f in specs[ds].fields}
        missing = [f for f in fields if f not in names]
        assert not missing, f"{ds}: {missing}"


def test_every_field_is_classified_and_described() -> None:
    for spec in load_catalogue().values():
        assert any(f.required for f in spec.fields), spec.id
        for f in spec.fields:
            assert f.zh and f.en and f.sensitivity, (spec.id, f.name)
        ids = [f for f in spec.fields if f.type == "id_no"]
        assert all(f.sensitivity == "sensitive" for f in ids), spec.id


def test_data_spec_page_is_generated_from_the_catalogue() -> None:
    page = (ROOT / "docs" / "data-spec.md").read_text(encoding="utf-8")
    assert page == render_markdown(), "run: qingfeng catalogue docs"
    assert "公民身份号码" in page and "禁止采集" in page


def test_catalogue_cli(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "spec.md"
    assert runner.invoke(app, ["catalogue", "docs", "-o", str(out)]).exit_code == 0
    assert runner.invoke(app, ["catalogue", "docs", "--check", "-o", str(out)]).exit_code == 0
    out.write_text("stale", encoding="utf-8")
    stale = runner.invoke(app, ["catalogue", "docs", "--check", "-o", str(out)])
    assert stale.exit_code == 1
    shown = runner.invoke(app, ["catalogue", "show", "deaths"])
    assert shown.exit_code == 0 and "火化" in shown.output
    assert runner.invoke(app, ["catalogue", "show", "nope"]).exit_code == 1


def test_broken_catalogue_files_are_all_reported(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("id: a\nzh: x\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("id: b\n  bad: [", encoding="utf-8")
    with pytest.raises(CatalogueError) as err:
        load_catalogue_from(tmp_path)
    assert "a.yaml" in str(err.value) and "b.yaml" in str(err.value)


def test_unknown_dataset_lists_known_ones() -> None:
    with pytest.raises(CatalogueError, match="household_registry"):
        get_dataset("nope")
