"""The person profile a reader can trust: one row per relative with the relation read from the
profiled person's side, relation names in Chinese, a graph with one node and one edge per
neighbour paged by expansion, and a search by name that tells namesakes apart (masked, audited).
"""

from __future__ import annotations

import json
import re
from html import unescape

from sqlalchemy import select

from qingfeng.store.models import AuditLog
from qingfeng.web.queries import relation_graph
from subject_library_data import P
from test_web_people_subject_library import _graph, _search, world  # noqa: F401 (fixture)
from web_helpers import client_for, csrf_from, sign_in

ENGLISH_CODES = re.compile(
    r"\b(parent|child|sibling|spouse|grandparent|employed_by|legal_rep_of|shareholder_of|"
    r"household_member|transferred_to)\b|→"
)


def _relatives(html: str) -> list[dict[str, str]]:
    """The relatives table as the reader sees it: one dict per row, by column heading."""
    found = re.search(r'data-testid="lib-relatives">(.*?)</table>', html, re.S)
    assert found, "no relatives table"
    table = found.group(1)
    heads = [unescape(h) for h in re.findall(r"<th>(.*?)</th>", table)]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1], re.S):
        cells = [
            unescape(re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        rows.append(dict(zip(heads, cells, strict=True)))
    return rows


def test_one_row_per_relative_read_from_the_profiled_person(world):  # noqa: F811
    client = sign_in(client_for(world), "sup_hz")
    rows = _relatives(_search(client, P["zhang_min"]).text)
    names = [r["姓名"] for r in rows]
    assert len(names) == len(set(names)), names  # household members are not listed twice
    by_name = {r["姓名"]: r for r in rows}
    # 张敏 is the daughter of the head 张伟: her father shows as her parent, not her child
    assert by_name["张伟"]["与本人关系"] == "父母" and by_name["张伟"]["与户主关系"] == "户主"
    assert by_name["李芳"]["与本人关系"] == "父母"
    assert by_name["张强"]["与本人关系"] == "兄弟姐妹" and by_name["张强"]["亲等"] == "2 级"
    assert by_name["陈兰"]["与本人关系"] == "祖父母/外祖父母"
    # and from the father's side the same tie reads the other way
    father = {r["姓名"]: r for r in _relatives(_search(client, P["zhang_wei"]).text)}
    assert father["张敏"]["与本人关系"] == "子女" and father["李芳"]["与本人关系"] == "配偶"
    assert father["陈兰"]["与本人关系"] == "父母"


def test_household_roles_in_catalogue_codes_are_shown_in_chinese(world):  # noqa: F811
    client = sign_in(client_for(world), "sup_hz")
    rows = {r["姓名"]: r for r in _relatives(_search(client, P["zhao_da"]).text)}
    assert rows["赵刚"]["与本人关系"] == "父母" and rows["赵刚"]["与户主关系"] == "户主"
    assert rows["赵二"]["与户主关系"] == "子女"
    assert len(rows) == 4  # the parents, the brother and the brother's wife, once each


def test_graph_one_node_and_edge_per_neighbour_in_chinese(world):  # noqa: F811
    client = sign_in(client_for(world), "sup_hz")
    html = _search(client, P["zhang_min"]).text
    series = _graph(html)["series"][0]
    keys = [n["key"] for n in series["data"]]
    assert len(keys) == len(set(keys))
    assert len(series["links"]) == len(series["data"]) - 1
    labels = [link["value"] for link in series["links"]]
    assert not [x for x in labels if ENGLISH_CODES.search(x)], labels
    assert "父母" in labels and "法定代表人" in labels
    # a parent's edge points at the profiled person (the parent is hers), a company's away
    centre = series["data"][0]["id"]
    parent = next(link for link in series["links"] if link["value"] == "父母")
    assert parent["target"] == centre
    assert 'data-testid="graph-filter"' in html and "亲属" in html and "股东" in html
    assert P["zhang_min"] not in json.dumps(series)


def test_graph_expansion_is_capped_and_paged(world, monkeypatch):  # noqa: F811
    monkeypatch.setattr(relation_graph, "MAX_NEIGHBOURS", 2)
    client = sign_in(client_for(world), "sup_hz")
    html = _search(client, P["zhang_min"]).text
    series = _graph(html)["series"][0]
    more = [n for n in series["data"] if n.get("more")]
    people = [n for n in series["data"] if not n.get("more") and not n.get("centre")]
    assert len(people) == 2 and len(more) == 1
    assert more[0]["name"].startswith("更多")
    headers = {"X-CSRF-Token": csrf_from(html)}
    seen = {n["key"] for n in people}
    offset = more[0]["offset"]
    while True:
        r = client.post(
            "/people/graph", json={"node": more[0]["expand"], "offset": offset}, headers=headers
        )
        assert r.status_code == 200, r.text
        part = r.json()
        page = [n for n in part["nodes"] if not n.get("more")]
        assert len(page) <= 2 and not seen & {n["key"] for n in page}
        seen |= {n["key"] for n in page}
        nxt = [n for n in part["nodes"] if n.get("more")]
        if not nxt:
            break
        offset = nxt[0]["offset"]
    assert len(seen) == part["total"] >= 6
    bad = client.post(
        "/people/graph", json={"node": more[0]["expand"], "offset": -1}, headers=headers
    )
    assert bad.status_code == 422


def test_search_by_name_lists_namesakes_masked_and_audited(world):  # noqa: F811
    client = sign_in(client_for(world), "sup_hz")
    page = _search(client, "李明")
    assert page.status_code == 200, page.text
    html = page.text
    rows = re.findall(r'<tr data-testid="candidate">(.*?)</tr>', html, re.S)
    assert len(rows) == 2
    assert "1975" in rows[0] and "1979" in rows[1]  # oldest first, told apart by birth year
    for key in ("li_ming_1", "li_ming_2"):
        assert P[key] not in html and P[key][:4] + "**********" + P[key][-4:] in html
    token = re.search(r'name="pick" value="([^"]+)"', rows[1]).group(1)
    profile = client.post("/people", data={"csrf_token": csrf_from(html), "pick": token})
    assert profile.status_code == 200
    assert P["li_ming_2"][:4] + "**********" + P["li_ming_2"][-4:] in profile.text
    assert 'data-testid="person-id"' in profile.text
    with world.factory() as s:
        searches = s.scalars(select(AuditLog).where(AuditLog.action == "person.search")).all()
        assert [(a.actor, a.object_type, a.detail) for a in searches] == [
            ("sup_hz", "name", {"matches": 2})
        ]
        assert "李明" not in searches[0].object_id
        assert s.scalars(select(AuditLog).where(AuditLog.action == "person.view")).all()


def test_name_search_keeps_to_the_area_and_rejects_junk(world):  # noqa: F811
    far = sign_in(client_for(world), "sup_far")
    assert _search(far, "李明").status_code == 404
    client = sign_in(client_for(world), "sup_hz")
    assert _search(client, "李明123").status_code == 400
    token = csrf_from(client.get("/people").text)
    assert client.post("/people", data={"csrf_token": token, "pick": "forged"}).status_code == 404


def test_identity_codes_read_as_words(world):  # noqa: F811
    client = sign_in(client_for(world), "sup_hz")
    html = _search(client, P["zhao_da"]).text
    found = re.search(r'data-testid="lib-identity">(.*?)</dl>', html, re.S)
    assert found
    text = unescape(re.sub(r"<[^>]+>", " ", found.group(1)))
    assert "正常" in text and "子女" in text and "男" in text
    assert not re.search(r"\b(male|female|active|head|child|False|True)\b", text), text
