"""`qingfeng screen FILE` (a pay list before payment) and `qingfeng screen keys ...`."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from python_calamine import CalamineWorkbook
from typer.testing import CliRunner

from qingfeng.cli.app import app
from qingfeng.workspace import init_workspace
from screening_support import publish, valid_id

pytestmark = pytest.mark.filterwarnings("ignore:.*expression-based index")

ALIVE = valid_id("52270119400101001")
DEAD = valid_id("52270119410202002")
HEADER = "发放单号,身份证号,姓名,补贴类型,发放年月,金额,银行账号,行政区划代码\n"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Any:
    settings = init_workspace(tmp_path_factory.mktemp("cli") / "ws")
    publish(settings.lake_dir, "household_registry", [
        {"id_no": ALIVE, "name": "甲老", "birth_date": dt.date(1940, 1, 1), "status": "active",
         "household_no": "H1", "division_code": "522701001001"},
    ])  # fmt: skip
    publish(settings.lake_dir, "deaths", [
        {"id_no": DEAD, "name": "乙故", "death_date": dt.date(2026, 9, 1), "source": "cremation"},
    ])  # fmt: skip
    return settings


def _invoke(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def test_a_pay_list_with_a_dead_recipient_exits_non_zero_with_both_reports(
    workspace: Any, tmp_path: Path
) -> None:
    paylist = tmp_path / "十二月高龄津贴发放名单.csv"
    paylist.write_text(
        HEADER
        + f"GL001,{ALIVE},甲老,高龄津贴,2026年12月,200元,6217001,522701001001\n"
        + f"GL002,{DEAD},乙故,高龄补贴,2026年12月,200元,6217002,522701001001\n"
        + "GL003,4401,无效,高龄津贴,2026年12月,200元,6217003,522701001001\n",
        encoding="utf-8-sig",
    )
    out = tmp_path / "report"
    result = _invoke("screen", str(paylist), "-o", str(out), "-w", str(workspace.workspace))
    assert result.exit_code == 3, result.output
    assert "阻断 1" in result.output and "拒收 1" in result.output
    report = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    assert report["rows"] == 2
    assert report["totals"]["decisions"] == {"allow": 1, "review": 0, "block": 1, "error": 1}
    assert report["totals"]["reasons"]["subsidy_after_death"]["rows"] == 1
    (flagged,) = report["flagged"]
    assert flagged["row"] == 3 and flagged["decision"] == "block"
    assert flagged["reasons"][0]["sentence"].startswith("乙故于2026-09-01死亡")
    (refused,) = report["refused"]
    assert refused["row"] == 4 and "id_no" in refused["rules"]
    assert report["snapshot"]["batches"] == 2
    book = CalamineWorkbook.from_path(str(out.with_suffix(".xlsx")))
    assert book.sheet_names == ["汇总", "明细", "拒收"]
    detail = book.get_sheet_by_name("明细").to_python()
    assert detail[1][2] == "阻断" and detail[1][3] == "死亡人员仍领取补贴"


def test_a_clean_pay_list_exits_zero(workspace: Any, tmp_path: Path) -> None:
    paylist = tmp_path / "clean.csv"
    paylist.write_text(
        HEADER + f"GL001,{ALIVE},甲老,高龄津贴,2026-12,200,6217001,522701001001\n",
        encoding="utf-8",
    )
    result = _invoke(
        "screen", str(paylist), "-o", str(tmp_path / "r"), "-w", str(workspace.workspace)
    )
    assert result.exit_code == 0, result.output


def test_a_file_of_another_dataset_is_refused_clearly(workspace: Any, tmp_path: Path) -> None:
    other = tmp_path / "车辆.csv"
    other.write_text("号牌号码,车辆识别代号,所有人身份证号,所有人,车辆类型\n贵J1,V1,"
                     f"{ALIVE},甲老,小型轿车\n", encoding="utf-8")  # fmt: skip
    result = _invoke("screen", str(other), "-w", str(workspace.workspace))
    assert result.exit_code == 1
    assert "no rows of a screened dataset" in result.output


def test_keys_are_created_listed_rotated_and_revoked(workspace: Any) -> None:
    ws = str(workspace.workspace)
    made = _invoke("screen", "keys", "create", "--name", "民政一卡通", "--dataset",
                   "subsidy_payments", "--area", "522701", "-w", ws)  # fmt: skip
    assert made.exit_code == 0, made.output
    token = next(w for w in made.output.split('"') if w.startswith("qfs_"))
    prefix = token.split("_")[1]
    listed = _invoke("screen", "keys", "list", "-w", ws)
    assert f"{prefix}  active" in listed.output and token not in listed.output
    rotated = _invoke("screen", "keys", "rotate", prefix, "-w", ws)
    assert rotated.exit_code == 0 and "qfs_" in rotated.output
    assert f"{prefix}  revoked" in _invoke("screen", "keys", "list", "-w", ws).output
    bad = _invoke("screen", "keys", "create", "--name", "x", "--dataset", "subsidy_payments",
                  "--area", "52270", "-w", ws)  # fmt: skip
    assert bad.exit_code == 1 and "division-code prefix" in bad.output
    gone = _invoke("screen", "keys", "revoke", "nosuch", "-w", ws)
    assert gone.exit_code == 1 and "no API key nosuch" in gone.output
