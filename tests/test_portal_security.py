"""Self-query and abuse resistance: only one's own rows, keyed-hash logging, the arithmetic
challenge (signed, single-use, expiring), per-address and per-person limits, code enumeration."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from portal_support import LI, WANG, ZHAO, make_env, publish_subsidy_roll, solve
from qingfeng.masking import mask_id, mask_name
from qingfeng.portal.challenge import ChallengeBook
from qingfeng.portal.errors import PortalError
from qingfeng.portal.keys import derive_key, keyed_hash
from qingfeng.portal.models import SelfQueryLog
from qingfeng.portal.ratelimit import TokenBuckets

SQLITE = "sqlite:///{}"


@pytest.fixture
def env(tmp_path, store_url):  # type: ignore[no-untyped-def]
    return make_env(tmp_path, store_url)


def query(client: TestClient, pid: int, person: dict, answer: str | None = None, headers=None):  # type: ignore[no-untyped-def]
    page = client.get(f"/public/query/{pid}", headers=headers or {})
    assert page.status_code == 200, page.text
    data = {
        "id_no": person["id_no"],
        "name": person["name"],
        "answer": person["account"][-4:] if answer is None else answer,
        **solve(page.text),
    }
    return client.post(f"/public/query/{pid}", data=data, headers=headers or {})


def _rows(html: str) -> list[str]:
    body = html.split('id="self-rows"')[1] if 'id="self-rows"' in html else ""
    return re.findall(r"<tr><td", body)


def test_self_query_shows_only_own_rows_and_logs_a_keyed_hash(env) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(env.app())
    pid = publish_subsidy_roll(client)["publication_id"]
    form = client.get(f"/public/query/{pid}").text
    assert "发放账号（银行卡号）后四位" in form
    r = query(client, pid, WANG)
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    assert len(_rows(r.text)) == 2  # 王小明 was paid twice
    assert mask_name(WANG["name"]) in r.text and mask_id(WANG["id_no"]) in r.text
    for other in (LI, ZHAO):
        assert mask_name(other["name"]) not in r.text and mask_id(other["id_no"]) not in r.text
    # Name in another form (spaces, lower-case x) still matches; wrong name/answer does not,
    # and both failures look the same.
    spaced = {**WANG, "name": " 王 小明 ", "id_no": WANG["id_no"].lower()}
    assert len(_rows(query(client, pid, spaced).text)) == 2
    wrong_answer = query(client, pid, WANG, answer="0000")
    wrong_name = query(client, pid, {**WANG, "name": "王晓明"})
    assert 'id="no-rows"' in wrong_answer.text and 'id="no-rows"' in wrong_name.text
    # Someone else's ID with my name: nothing.
    assert 'id="no-rows"' in query(client, pid, {**LI, "name": WANG["name"]}).text
    with env.factory() as s:
        logs = s.scalars(select(SelfQueryLog).order_by(SelfQueryLog.id)).all()
    assert [entry.outcome for entry in logs] == [
        "found",
        "found",
        "not_found",
        "not_found",
        "not_found",
    ]
    expected = keyed_hash(derive_key(env.settings.secret_key, "idlog"), WANG["id_no"])
    assert logs[0].id_hash == expected
    dump = repr([(e.id_hash, e.client_hash, e.outcome) for e in logs])
    assert WANG["id_no"] not in dump and WANG["id_no"][:14] not in dump


def test_self_query_rejects_malformed_input_clearly(env) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(env.app())
    pid = publish_subsidy_roll(client)["publication_id"]
    r = query(client, pid, {**WANG, "id_no": "52272319500101123"}, answer="")
    assert r.status_code == 422
    assert "身份证号格式或校验位不正确" in r.text and "请填写：发放账号" in r.text
    # A roll published without self-query offers no form.
    other = publish_subsidy_roll(client, self_query=False)["publication_id"]
    assert client.get(f"/public/query/{other}").status_code == 404


def test_self_query_brute_force_refused_per_address_and_per_person(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = make_env(
        tmp_path,
        SQLITE.format(tmp_path / "s.db"),
        trusted_proxies=("127.0.0.1",),
        trust_forwarded_for=True,
        query_burst=50,
        challenge_burst=100,
    )
    client = TestClient(env.app(), client=("127.0.0.1", 50000))  # behind the trusted proxy
    pid = publish_subsidy_roll(client)["publication_id"]
    ip1 = {"X-Forwarded-For": "203.0.113.1"}
    # Guessing the last 4 digits from one address: 5 misses, then refused, even a right guess.
    for guess in ("0001", "0002", "0003", "0004", "0005"):
        assert 'id="no-rows"' in query(client, pid, WANG, answer=guess, headers=ip1).text
    refused = query(client, pid, WANG, headers=ip1)
    assert refused.status_code == 429 and "请求过于频繁" in refused.text
    assert int(refused.headers["retry-after"]) > 0
    # Spreading guesses over many addresses: the person's own bucket closes after 5 misses/hour.
    for i in range(2, 7):
        hdr = {"X-Forwarded-For": f"203.0.113.{i}"}
        resp = query(client, pid, LI, answer=f"{i:04d}", headers=hdr)
        assert resp.status_code == 200
    blocked = query(client, pid, LI, headers={"X-Forwarded-For": "203.0.113.99"})
    assert blocked.status_code == 429
    # Another person from a fresh address is unaffected.
    ok = query(client, pid, ZHAO, headers={"X-Forwarded-For": "198.51.100.7"})
    assert len(_rows(ok.text)) == 1
    with env.factory() as s:
        outcomes = [e.outcome for e in s.scalars(select(SelfQueryLog))]
    assert outcomes.count("refused") == 2


def test_challenge_is_signed_single_use_and_expires(env) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(env.app())
    page = client.get("/public/complaints/new").text
    answer = solve(page)
    fields = {
        "division_code": "522723101201",
        "category": "other",
        "title": "测试标题",
        "content": "这是一条用于测试验证题的投诉内容。",
        "anonymous": "anonymous",
    }
    forged = {**answer, "token": answer["token"][:-3] + "abc"}
    assert "验证题无效" in client.post("/public/complaints", data={**fields, **forged}).text
    # One guess per challenge: a wrong answer spends it, the right answer then comes too late.
    wrong = {**answer, "challenge": str(int(answer["challenge"]) + 1)}
    r = client.post("/public/complaints", data={**fields, **wrong})
    assert r.status_code == 422 and "验证题答案不正确" in r.text
    late = client.post("/public/complaints", data={**fields, **answer})
    assert late.status_code == 422 and "验证题已使用过" in late.text
    answer = solve(client.get("/public/complaints/new").text)
    assert client.post("/public/complaints", data={**fields, **answer}).status_code == 200
    replay = client.post("/public/complaints", data={**fields, **answer})
    assert replay.status_code == 422 and "验证题已使用过" in replay.text
    # Expiry, checked on the service directly.
    book = ChallengeBook(env.settings.secret_key, ttl_seconds=-1)
    ch = book.issue()
    with env.factory() as s, pytest.raises(PortalError, match="已过期"):
        book.verify(s, ch.token, "0")
    # A token signed with another key is refused.
    alien = ChallengeBook("another-key").issue()
    with env.factory() as s, pytest.raises(PortalError, match="无效"):
        ChallengeBook(env.settings.secret_key).verify(s, alien.token, "1")


def test_tracking_code_enumeration_refused(env) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(env.app())
    page = client.get("/public/complaints/new").text
    data = {
        "division_code": "522723101201",
        "category": "other",
        "title": "测试标题",
        "content": "这是一条用于测试查询码枚举的投诉内容。",
        "anonymous": "anonymous",
        **solve(page),
    }
    code = re.search(
        r'id="tracking-code">([A-Z0-9-]+)<', client.post("/public/complaints", data=data).text
    )
    assert code
    for guess in (
        "AAAA-BBBB-CCCC-DDDD-EEEE",
        "2345-6789-ABCD-EFGH-JKLM",
        "x",
        "",
        "AAAA-BBBB-CCCC-DDDD-EEEF",
    ):
        assert client.post("/public/track", data={"code": guess}).status_code == 404
    refused = client.post("/public/track", data={"code": code.group(1)})
    assert refused.status_code == 429 and "Retry-After" in refused.headers


def test_complaint_flood_refused(env) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(env.app())
    fields = {
        "division_code": "522723101201",
        "category": "other",
        "title": "测试标题",
        "content": "这是一条用于测试提交频率的投诉内容。",
        "anonymous": "anonymous",
    }
    codes = []
    for _ in range(3):
        page = client.get("/public/complaints/new").text
        codes.append(client.post("/public/complaints", data={**fields, **solve(page)}).status_code)
    assert codes == [200, 200, 200]
    page = client.get("/public/complaints/new").text
    assert client.post("/public/complaints", data={**fields, **solve(page)}).status_code == 429


def test_page_rate_limit_and_security_headers(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = make_env(tmp_path, SQLITE.format(tmp_path / "s.db"), page_burst=5, page_rate=0.001)
    client = TestClient(env.app())
    statuses = [client.get("/public/disclosures").status_code for _ in range(7)]
    assert statuses == [200] * 5 + [429] * 2
    r = client.get("/public/track")
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    css = client.get("/public/static/portal.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert client.get("/public/static/..%2Fmodels.py").status_code == 404


def test_token_bucket_refills_and_forgets_old_keys() -> None:
    now = [0.0]
    b = TokenBuckets(max_keys=2, clock=lambda: now[0])
    assert [b.take("p", "a", 2, 1.0) for _ in range(3)] == [True, True, False]
    assert b.retry_after("p", "a", 2, 1.0) >= 1
    now[0] = 1.0
    assert b.take("p", "a", 2, 1.0) and not b.take("p", "a", 2, 1.0)
    b.take("p", "b", 2, 1.0)
    b.take("p", "c", 2, 1.0)  # evicts "a" (least recently used)
    assert b.has("p", "a", 2, 1.0, cost=2)


def test_templates_never_disable_escaping() -> None:
    from qingfeng.portal.context import TEMPLATES_DIR, templates

    assert templates().env.autoescape
    for path in TEMPLATES_DIR.glob("*.html"):
        text = path.read_text(encoding="utf-8")
        for unsafe in ("|safe", "| safe", "autoescape false", "Markup(", "<script"):
            assert unsafe not in text, f"{path.name} contains {unsafe!r}"


def _miss_tracking(client: TestClient, n: int, forwarded) -> list[int]:  # type: ignore[no-untyped-def]
    return [
        client.post(
            "/public/track",
            data={"code": f"AAAA-BBBB-CCCC-DDDD-{i:04d}"},
            headers={"X-Forwarded-For": forwarded(i)},
        ).status_code
        for i in range(n)
    ]


def test_forwarded_for_from_a_stranger_is_ignored(env) -> None:  # type: ignore[no-untyped-def]
    """No proxy configured: a client writing X-Forwarded-For gets no fresh bucket."""
    client = TestClient(env.app(), client=("198.51.100.20", 40000))
    codes = _miss_tracking(client, 30, lambda i: f"203.0.113.{i}")
    assert codes[:5] == [404] * 5 and set(codes[5:]) == {429}


def test_leftmost_forwarded_entry_written_by_the_client_is_ignored(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Behind a trusted proxy the client is the right-most untrusted hop, not what it wrote."""
    env = make_env(
        tmp_path,
        SQLITE.format(tmp_path / "s.db"),
        trusted_proxies=("10.0.0.0/8",),
        trust_forwarded_for=True,
    )
    proxy = TestClient(env.app(), client=("10.0.0.5", 50000))
    codes = _miss_tracking(proxy, 30, lambda i: f"192.0.2.{i}, 203.0.113.7, 10.0.0.9")
    assert codes[:5] == [404] * 5 and set(codes[5:]) == {429}
    # another real client behind the same proxy keeps its own allowance
    other = _miss_tracking(proxy, 1, lambda i: "203.0.113.8")
    assert other == [404]


def test_trust_forwarded_for_without_proxies_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from qingfeng.portal.config import PortalConfig
    from qingfeng.settings import load_settings

    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "qingfeng.toml").write_text("[portal]\ntrust_forwarded_for = true\n")
    with pytest.raises(ValueError, match="trusted_proxies"):
        PortalConfig.from_settings(load_settings(ws))


def test_self_query_asks_for_a_second_item_by_default(env) -> None:  # type: ignore[no-untyped-def]
    """Published with self-query but no verification chosen: ID number and name are not enough."""
    client = TestClient(env.app())
    pid = publish_subsidy_roll(client, verification=None)["publication_id"]
    assert "发放账号（银行卡号）后四位" in client.get(f"/public/query/{pid}").text
    no_answer = query(client, pid, WANG, answer="")
    assert no_answer.status_code == 422 and 'id="self-rows"' not in no_answer.text
    assert 'id="no-rows"' in query(client, pid, WANG, answer="1234").text
    assert len(_rows(query(client, pid, WANG).text)) == 2


def test_self_query_refused_for_data_without_a_secret_item(env) -> None:  # type: ignore[no-untyped-def]
    from portal_support import OFFICER_A, VILLAGE_A

    client = TestClient(env.app())
    r = client.post(
        "/api/v1/publications",
        json={
            "kind": "village_ledger",
            "division_code": VILLAGE_A,
            "title": "村集体财务",
            "filters": {"division_prefix": VILLAGE_A},
            "self_query": True,
        },
        headers=OFFICER_A,
    )
    assert r.status_code in (400, 422) and "只有本人知道的核验项" in r.text
