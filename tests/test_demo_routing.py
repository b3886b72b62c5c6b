"""Every warning of the demo county has an owner, as a new user would check it: each is visible to
the county administrator and to exactly the units its route names; a procurement warning can be
dispatched; the procurement filter shows them; the models page counts each run's leads. On SQLite
and, when configured, PostgreSQL."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from built_in_models import built_in_models
from demo_county import DemoCounty
from qingfeng.cli import app as cli_app
from qingfeng.demo import DemoResult
from qingfeng.demo_users import DEMO_PASSWORD
from qingfeng.store.db import make_engine, session_factory
from qingfeng.store.findings import store_warnings
from qingfeng.store.models import ModelRun, Warning, WarningLine
from qingfeng.synth.truth import Truth
from qingfeng.web.app import create_app
from store_helpers import BACKENDS, assert_routed_visibility, shared_store_url
from web_helpers import sign_in

pytestmark = pytest.mark.slow  # the demo county (asked for inside the `demo` fixture)


def procurement() -> tuple[str, ...]:
    """The models of the field the list calls 招标采购 (工程招投标 in the model specs)."""
    return tuple(s.id for s in built_in_models().select(None, "工程招投标"))


def planted_procurement(demo: DemoResult) -> tuple[str, ...]:
    """The procurement models the demo county plants cases for (the trading centre's OCDS
    indicators are planted in their own export, not among the county's files)."""
    planted = {p.model for p in Truth.read(demo.truth_file).planted if p.kind == "case"}
    return tuple(m for m in procurement() if m in planted)


@pytest.fixture(scope="module", params=BACKENDS)
def demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoResult]:
    """The demo county's workspace; on PostgreSQL its store side (users, units, every model's
    run and sync) is run again into a fresh schema, the lake side being the same. The county is
    asked for once the store is there (no county is made for a skipped PostgreSQL run)."""
    folder = tmp_path_factory.mktemp("demo-routing")
    urls = shared_store_url(request.param, folder)
    url = next(urls)
    demo_county: DemoCounty = request.getfixturevalue("demo_county")
    with pytest.MonkeyPatch.context() as mp:
        if url.startswith("sqlite"):
            yield demo_county.copy(folder / "ws")
        else:
            mp.setenv("QINGFENG_STORE_URL", url)
            yield demo_county.on_store(folder / "ws", url)
    for _ in urls:  # drops the PostgreSQL schema
        pass


@pytest.fixture(scope="module")
def factory(demo: DemoResult):  # type: ignore[no-untyped-def]
    engine = make_engine(demo.settings.database_url)
    yield session_factory(engine)
    engine.dispose()


def test_every_warning_is_visible_to_the_county_and_exactly_its_routed_units(demo, factory) -> None:  # type: ignore[no-untyped-def]
    with factory() as s, s.begin():
        assert assert_routed_visibility(s) > 100
        # officials, tenders, schools, receptions and trips are routed too, not only persons
        by_model = set(s.scalars(select(Warning.model_id).distinct()))
        assert set(planted_procurement(demo)) <= by_model
        s.rollback()


def test_admin_dispatches_a_procurement_warning(demo: DemoResult, factory) -> None:  # type: ignore[no-untyped-def]
    with factory() as s:
        wid = s.scalar(select(func.min(Warning.id)).where(Warning.model_id == "bid_price_anomaly"))
    args = ["warnings", "act", str(wid), "dispatch", "--as", "admin", "--org", "522701"]
    result = CliRunner().invoke(cli_app, [*args, "--workspace", str(demo.settings.workspace)])
    assert result.exit_code == 0, result.output
    with factory() as s:
        w = s.get(Warning, wid)
        assert w.status == "dispatched"


def _client(demo: DemoResult) -> TestClient:
    client = TestClient(create_app(demo.settings), follow_redirects=False)
    return sign_in(client, "admin", DEMO_PASSWORD)


def test_procurement_filter_shows_the_procurement_leads(demo: DemoResult, factory) -> None:  # type: ignore[no-untyped-def]
    with factory() as s:
        total = s.scalar(select(func.count()).where(Warning.model_id.in_(procurement())))
    planted = planted_procurement(demo)
    assert len(planted) >= 7 and total and total >= 5 * len(planted)
    page = _client(demo).get("/warnings?field=procurement&per_page=100")
    assert page.status_code == 200
    assert "招标采购" in page.text
    assert f"共 {total} 条预警" in page.text
    assert page.text.count('href="/warnings/') >= total


def test_models_page_counts_the_leads_each_run_made(demo: DemoResult, factory) -> None:  # type: ignore[no-untyped-def]
    page = _client(demo).get("/models")
    assert page.status_code == 200
    cells = re.findall(
        r'href="/warnings\?model=([a-z_]+)">([\d,]+)</a></td>\s*'
        r'<td class="num" data-testid="model-hits">([\d,]+)</td>',
        page.text,
    )
    shown = {m: int(n.replace(",", "")) for m, n, _h in cells}
    hits = {m: int(h.replace(",", "")) for m, _n, h in cells}
    with factory() as s:
        runs = {r.model_id: r for r in s.scalars(select(ModelRun))}
    lines = Counter(
        m for m, _s, _p in store_warnings(demo.settings.database_url, present_only=False)
    )
    assert shown, "no model rows on the page"
    for model_id, run in runs.items():
        if run.hits == 0:
            continue
        assert shown.get(model_id) == run.new_warnings, model_id  # one lead per subject
        assert lines[model_id] == run.hits, model_id  # every hit is a line of a lead
        assert hits.get(model_id) == run.hits, model_id  # 命中数 as the run log's 命中
    assert shown["bid_price_anomaly"] == runs["bid_price_anomaly"].hits == 5
    # one dead person paid for months is one lead of several hits: the two columns differ
    assert any(hits[m] > shown[m] for m in shown)
    assert "线索数" in page.text and "命中数" in page.text


def test_detail_page_shows_lines_and_merges_related_leads(demo: DemoResult, factory) -> None:  # type: ignore[no-untyped-def]
    with factory() as s:
        lead = s.scalar(
            select(Warning)
            .join(WarningLine, WarningLine.warning_id == Warning.id)
            .group_by(Warning.id)
            .having(func.count(WarningLine.id) > 1)
            .order_by(Warning.id)
            .limit(1)
        )
        assert lead is not None
        n = s.scalar(select(func.count()).where(WarningLine.warning_id == lead.id))
    client = _client(demo)
    page = client.get(f"/warnings/{lead.id}")
    assert page.status_code == 200
    assert f"线索明细（{n} 条）" in page.text
    assert page.text.count("<tr><td>") >= n


def test_money_lead_shows_its_path_with_each_transfer(demo: DemoResult, factory) -> None:  # type: ignore[no-untyped-def]
    """A lead of the approver-kin money model draws the money's path: one edge per transfer,
    labelled with its date and amount, accounts masked for a reader without the reveal."""
    with factory() as s:
        lead = s.scalar(
            select(Warning)
            .where(Warning.model_id == "subsidy_money_reaches_approver_kin")
            .order_by(Warning.id)
            .limit(1)
        )
        assert lead is not None
    page = _client(demo).get(f"/warnings/{lead.id}")
    assert page.status_code == 200
    assert 'data-testid="money-path"' in page.text
    island = page.text.split('id="chart-money-path">', 1)[1].split("</script>", 1)[0]
    option = json.loads(island)
    links = option["series"][0]["links"]
    assert links and all("元" in link["label"]["formatter"] for link in links)
    assert option["series"][0]["data"][0]["name"] == "领款账户"
    assert all("*" in n["name"] for n in option["series"][0]["data"][1:])  # masked accounts
