"""Parameter profiles (参数方案): the national profile states the models' own defaults; a county
picks a profile in qingfeng.toml and overrides single values; a run compiles with them and records
the profile and every value it used, which the model page shows."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from built_in_models import built_in_models
from qingfeng.engine import DuckDBEngine
from qingfeng.engine.dataspec_port import default_catalogue
from qingfeng.engine.engines.base import column_types_for
from qingfeng.model_library.profiles import ProfileError, load_profile, run_parameters
from qingfeng.operations.model_runs import run_models
from qingfeng.settings import load_settings
from qingfeng.store.db import make_engine, session_factory
from qingfeng.store.models import ModelRun
from qingfeng.workspace import init_workspace

PROVINCE = """\
id: some_province
extends: national
name: {zh: 某省（示例）, en: Some province (example)}
parameters:
  village_cash_or_round:
    cash_limit: 2000
  complaint_anomaly:
    max_open_days: 15
"""


def test_the_national_profile_states_each_models_own_default() -> None:
    profile = load_profile("national")
    models = built_in_models()
    assert profile.parameters, "the national profile lists the parameters that vary"
    for model_id, values in profile.parameters.items():
        spec = models.get(model_id)
        for name, value in values.items():
            assert str(spec.parameters[name].default) == str(value), (model_id, name)


def _workspace(tmp_path: Path, toml_extra: str):  # type: ignore[no-untyped-def]
    settings = init_workspace(tmp_path / "ws")
    (settings.workspace / "profiles").mkdir()
    (settings.workspace / "profiles" / "some_province.yaml").write_text(PROVINCE, encoding="utf-8")
    toml = settings.workspace / "qingfeng.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + toml_extra, encoding="utf-8")
    return load_settings(settings.workspace)


def test_a_county_picks_a_profile_and_overrides_one_value(tmp_path: Path) -> None:
    settings = _workspace(
        tmp_path,
        '\nmodel_profile = "some_province"\n'
        "\n[model_overrides.complaint_anomaly]\nmax_open_days = 30\n",
    )
    profile, values = run_parameters(settings, built_in_models().models)
    assert profile == "some_province"
    assert values["village_cash_or_round"]["cash_limit"] == 2000  # the province
    assert values["complaint_anomaly"]["max_open_days"] == 30  # the single override
    assert values["reception_over_standard"]["per_head_limit"] == 120  # national, inherited


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('\nmodel_profile = "nowhere"\n', "no such profile: nowhere"),
        (
            "\n[model_overrides.village_cash_or_round]\ncash_limt = 1\n",
            "has no parameter cash_limt",
        ),
        ("\n[model_overrides.no_such_model]\nx = 1\n", "unknown model no_such_model"),
    ],
)
def test_a_wrong_profile_or_override_is_named(tmp_path: Path, extra: str, message: str) -> None:
    settings = _workspace(tmp_path, extra)
    with pytest.raises(ProfileError, match=message):
        run_parameters(settings, built_in_models().models)


def test_a_run_uses_the_profile_and_records_what_it_used(tmp_path: Path) -> None:
    settings = _workspace(tmp_path, '\nmodel_profile = "some_province"\n')
    rows = [  # 3,000 yuan in cash: lawful nationally (5,000), over this province's 2,000
        {
            "voucher_no": "V1",
            "division_code": "522701001001",
            "entry_date": dt.date(2024, 3, 5),
            "payee_name": "某商店",
            "amount": Decimal("3000.50"),
            "pay_method": "cash",
            "purpose": "材料",
        },
    ]
    engine = DuckDBEngine()
    engine.register_rows(
        "village_ledgers", column_types_for("village_ledgers", rows, default_catalogue()), rows
    )
    summary = run_models(settings, ["village_cash_or_round"], engine=engine, write_report=False)
    assert summary.results[0].error is None and summary.results[0].hits == 1
    store = make_engine(settings.database_url)
    with session_factory(store)() as session:
        run = session.scalars(select(ModelRun)).one()
        assert run.profile == "some_province"
        used = json.loads(run.parameters)
        assert used["cash_limit"] == 2000 and str(used["round_unit"]) == "1000"
    store.dispose()


@pytest.mark.parametrize("province", ["guizhou", "zhejiang"])
def test_the_provincial_examples_extend_national_and_state_each_values_source(
    province: str,
) -> None:
    """Each built-in provincial example sets only values that differ from the national defaults,
    every one with its source or marked unverified (待核实)."""
    import yaml

    from qingfeng.model_library.profiles import BUILT_IN, check_against

    raw = yaml.safe_load((BUILT_IN / f"{province}.yaml").read_text(encoding="utf-8"))
    assert raw["extends"] == "national"
    profile = load_profile(province)
    check_against(profile, built_in_models().models, {})
    national = load_profile("national").parameters
    sources = raw["sources"]
    for model_id, values in raw["parameters"].items():
        for name, value in values.items():
            assert national.get(model_id, {}).get(name) != value, (model_id, name)
            assert profile.parameters[model_id][name] == value
            entry = sources[f"{model_id}.{name}"]
            assert entry["status"] in ("checked", "unverified")
            assert entry["status"] == "unverified" or entry.get("source"), (model_id, name)
    # values it does not set come from national
    assert profile.parameters["canteen_stockpiling"] == national["canteen_stockpiling"]
