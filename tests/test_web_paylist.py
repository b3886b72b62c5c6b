"""发放前比对 on the data page: a data officer uploads a pay list, sees the totals per decision
and per reason, downloads the xlsx and JSON reports; nothing reaches the lake; other roles are
refused; a file that is not a pay list is answered with a clear error."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from typing import Any

import pytest
from python_calamine import CalamineWorkbook
from sqlalchemy import select

from qingfeng.lake import Lake
from qingfeng.store.models import AuditLog
from screening_support import publish, valid_id
from web_helpers import client_for, csrf_from, make_world, sign_in

pytestmark = pytest.mark.filterwarnings("ignore:.*expression-based index")

ALIVE = valid_id("52270119400101001")
DEAD = valid_id("52270119410202002")
HEADER = "发放单号,身份证号,姓名,补贴类型,发放年月,金额,银行账号,行政区划代码\n"
PAYLIST = (
    HEADER
    + f"GL001,{ALIVE},甲老,高龄津贴,2026年12月,200元,6217001,522701001001\n"
    + f"GL002,{DEAD},乙故,高龄补贴,2026年12月,200元,6217002,522701001001\n"
)


@pytest.fixture
def world(tmp_path):  # type: ignore[no-untyped-def]
    w = make_world(tmp_path)
    lake = w.settings.lake_dir
    publish(lake, "household_registry", [
        {"id_no": ALIVE, "name": "甲老", "birth_date": dt.date(1940, 1, 1), "status": "active",
         "household_no": "H1", "division_code": "522701001001"},
    ])  # fmt: skip
    publish(lake, "deaths", [
        {"id_no": DEAD, "name": "乙故", "death_date": dt.date(2026, 9, 1), "source": "cremation"},
    ])  # fmt: skip
    return w


def _upload(client: Any, name: str, body: str) -> Any:
    token = csrf_from(client.get("/data").text)
    files = {"file": (name, io.BytesIO(body.encode("utf-8-sig")), "text/csv")}
    return client.post("/data/screen", data={"csrf_token": token}, files=files)


def test_a_pay_list_is_screened_with_totals_and_both_downloads(world) -> None:  # type: ignore[no-untyped-def]
    client = sign_in(client_for(world), "data")
    assert 'data-testid="paylist-form"' in client.get("/data").text
    batches = len(Lake(world.settings.lake_dir).batches())
    answer = _upload(client, "十二月高龄津贴发放名单.csv", PAYLIST)
    assert answer.status_code == 200, answer.text
    page = answer.text
    assert "十二月高龄津贴发放名单.csv：共 2 行" in page
    block = re.search(r'data-decision="block"><td>阻断</td><td>(\d+)</td>', page)
    allow = re.search(r'data-decision="allow"><td>放行</td><td>(\d+)</td>', page)
    assert block and block.group(1) == "1" and allow and allow.group(1) == "1"
    assert "死亡人员仍领取补贴" in page
    link = re.search(r'href="(/data/screen/[0-9a-f]{16})/xlsx"', page)
    assert link
    report = client.get(f"{link.group(1)}/json")
    assert report.status_code == 200
    data = json.loads(report.content)
    assert data["totals"]["decisions"]["block"] == 1
    assert data["flagged"][0]["reasons"][0]["model_id"] == "subsidy_after_death"
    xlsx = client.get(f"{link.group(1)}/xlsx")
    assert xlsx.status_code == 200
    path = world.settings.workspace / "check.xlsx"
    path.write_bytes(xlsx.content)
    assert CalamineWorkbook.from_path(str(path)).sheet_names == ["汇总", "明细", "拒收"]
    # screened, never published
    assert len(Lake(world.settings.lake_dir).batches()) == batches
    with world.factory() as s:
        actions = {a.action for a in s.scalars(select(AuditLog))}
    assert {"screen.paylist", "screen.paylist_download"} <= actions


def test_bad_files_and_other_roles(world) -> None:  # type: ignore[no-untyped-def]
    client = sign_in(client_for(world), "data")
    notes = _upload(client, "会议纪要.csv", "议题,结论\n预算,通过\n")
    assert notes.status_code == 400 and "no rows of a screened dataset" in notes.text
    kind = _upload(client, "名单.exe", PAYLIST)
    assert kind.status_code == 400 and "不是支持的文件类型" in kind.text
    assert client.get("/data/screen/zzzz/json").status_code == 404
    assert client.get("/data/screen/0123456789abcdef/json").status_code == 404
    supervisor = sign_in(client_for(world), "sup_a")
    token = csrf_from(supervisor.get("/warnings").text)
    refused = supervisor.post(
        "/data/screen",
        data={"csrf_token": token},
        files={"file": ("a.csv", io.BytesIO(PAYLIST.encode()), "text/csv")},
    )
    assert refused.status_code == 403
