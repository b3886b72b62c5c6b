"""Concurrent small requests screened together answer exactly what each alone would."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from qingfeng.screening.candidates import RowError
from qingfeng.screening.coalesce import Coalescer
from qingfeng.screening.engine import Screener, ScreeningError
from qingfeng.workspace import init_workspace
from screening_support import publish, valid_id

pytestmark = pytest.mark.filterwarnings("ignore:.*expression-based index")

TODAY = dt.date(2026, 12, 7)
ALIVE, DEAD = valid_id("52270119400101001"), valid_id("52270119410202002")


@pytest.fixture(scope="module")
def screener(tmp_path_factory: pytest.TempPathFactory) -> Any:
    settings = init_workspace(Path(tmp_path_factory.mktemp("co")) / "ws")
    publish(settings.lake_dir, "household_registry", [
        {"id_no": ALIVE, "name": "甲老", "birth_date": dt.date(1940, 1, 1), "status": "active",
         "household_no": "H1", "division_code": "522701001001"},
        {"id_no": DEAD, "name": "乙故", "birth_date": dt.date(1941, 2, 2), "status": "active",
         "household_no": "H2", "division_code": "522701001001"},
    ])  # fmt: skip
    publish(settings.lake_dir, "deaths", [
        {"id_no": DEAD, "name": "乙故", "death_date": dt.date(2026, 9, 1), "source": "cremation"},
    ])  # fmt: skip
    found = Screener(settings)
    yield found
    found.close()


def _pay(i: int, id_no: str, name: str, **extra: Any) -> dict[str, Any]:
    return {
        "payment_no": f"P{i}", "id_no": id_no, "name": name, "subsidy_type": "高龄津贴",
        "period": "2026-12", "amount": "200.00", "account_no": f"62170{i}",
        "division_code": "522701001001", **extra,
    }  # fmt: skip


REQUESTS = [
    [_pay(1, DEAD, "乙故")],
    [_pay(2, ALIVE, "甲老"), _pay(3, ALIVE, "甲老改")],  # a name that differs from the registry
    [_pay(4, "4401", "坏号")],  # a malformed row: its own error
    [_pay(5, ALIVE, "甲老"), "not an object"],
    [_pay(6, DEAD, "乙故"), _pay(7, ALIVE, "甲老")],
]
REFUSED = {3: {0: [RowError(0, "division_code", "out_of_scope", "outside")]}}


def _plain(outcome: Any) -> list[dict[str, Any]]:
    return [r.to_json() for r in outcome.results]


def test_requests_screened_together_get_their_own_answers(screener: Any) -> None:
    alone = [
        _plain(screener.screen("subsidy_payments", r, today=TODAY, refused=REFUSED.get(i)))
        for i, r in enumerate(REQUESTS)
    ]
    calls: list[int] = []
    real = screener.screen
    gate = threading.Event()

    def counted(dataset: str, candidates: list[Any], **kwargs: Any) -> Any:
        calls.append(len(candidates))
        gate.wait(5)  # the first call waits until every request has queued behind it
        return real(dataset, candidates, **kwargs)

    coalescer = Coalescer(screener)
    coalescer.screener = type("S", (), {"screen": staticmethod(counted)})()  # type: ignore[assignment]
    answers: dict[int, Any] = {}

    def one(i: int) -> None:
        outcome = coalescer.screen(
            "subsidy_payments", REQUESTS[i], today=TODAY, refused=REFUSED.get(i)
        )
        answers[i] = _plain(outcome)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(REQUESTS))]
    threads[0].start()
    while not calls:
        time.sleep(0.01)
    for t in threads[1:]:
        t.start()
    while sum(len(line.queue) for line in coalescer._lines.values()) < len(REQUESTS) - 1:
        time.sleep(0.01)
    gate.set()
    for t in threads:
        t.join(60)
    assert [answers[i] for i in range(len(REQUESTS))] == alone
    assert calls == [1, sum(len(r) for r in REQUESTS[1:])]  # the first alone, the rest together
    assert alone[0][0]["decision"] == "block" and alone[2][0]["decision"] == "error"
    assert alone[3][0]["errors"][0]["code"] == "out_of_scope"


def test_a_refusal_reaches_every_request_of_the_batch(screener: Any) -> None:
    coalescer = Coalescer(screener)
    with pytest.raises(ScreeningError, match="no model screens"):
        coalescer.screen("contracts", [{}], today=TODAY)
    # the line is free again
    outcome = coalescer.screen("subsidy_payments", REQUESTS[0], today=TODAY)
    assert outcome.results[0].decision == "block"
