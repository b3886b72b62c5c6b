"""Codes through the one translation table: the audit log's actions, object types and details
read as words in either language, never as `auth.sign_in` or `\\u673a` escapes; and a walk over
the leader's and auditor's pages finds no identifier in the visible text."""

from __future__ import annotations

import html
import re

import pytest

from qingfeng.web.i18n import Translator
from qingfeng.web.labels import audit_action, readable_json
from web_helpers import client_for, make_world, sign_in

SNAKE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")
DOTTED = re.compile(r"\b[a-z]+\.[a-z_]+\b")


@pytest.fixture
def world(tmp_path):
    return make_world(tmp_path)


def visible_text(page: str) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<(input|select|textarea)\b[^>]*>", " ", page)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def test_audit_actions_read_as_words_and_details_as_chinese(world):
    sign_in(client_for(world), "leader")  # an audited sign-in
    auditor = sign_in(client_for(world), "auditor")
    page = auditor.get("/audit").text
    text = visible_text(page)
    assert "登录" in text and "auth.sign_in" not in text
    assert "\\u" not in text
    english = visible_text(auditor.get("/audit?lang=en").text)
    assert "Signed in" in english and "auth.sign_in" not in english


def test_closed_loop_steps_and_json_in_both_languages():
    zh, en = Translator("zh"), Translator("en")
    assert audit_action(zh, "warning.dispatch") == "预警办理：分办"
    assert audit_action(en, "warning.accept") == "Warning: accept and verify"
    assert audit_action(zh, "warning.send_back") == "预警办理：退回补充"
    assert audit_action(zh, "something.new") == "something.new"  # shown as is, never hidden
    assert readable_json({"单位": "机关"}) == '{"单位": "机关"}'


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(
    ("user", "path"),
    [
        ("leader", "/dashboard"),
        ("leader", "/dashboard/screen"),
        ("auditor", "/audit"),
    ],
)
def test_page_walk_finds_no_identifiers(world, user, path, lang):
    client = sign_in(client_for(world), user)
    sign_in(client_for(world), "sup_a")  # something in the audit log
    page = client.get(f"{path}?lang={lang}")
    assert page.status_code == 200
    # User names are what people typed, not codes of the product.
    text = re.sub(r"\b(sup_a|sup_b|ver_a|leader|auditor)\b", " ", visible_text(page.text))
    assert not SNAKE.findall(text), SNAKE.findall(text)
    assert not DOTTED.findall(text), DOTTED.findall(text)


def test_a_complaint_is_profiled_as_a_complaint_with_nothing_to_reveal(world):
    from qingfeng.store.models import Warning

    with world.factory() as s, s.begin():
        w = s.get(Warning, world.warnings["county_a"][0])
        w.subject_type, w.subject_id, w.subject_name = "complaint", "TS20240001", "投诉件"
    client = sign_in(client_for(world), "sup_a")
    page = client.get(f"/people/w/{w.id}")
    assert page.status_code == 200
    text = visible_text(page.text)
    assert "投诉" in text and "自然人" not in text and "单位" not in text.split("类型")[1][:10]
    assert 'data-action="unmask"' not in page.text
    from web_helpers import csrf_from

    refused = client.post(
        f"/people/w/{w.id}",
        data={"csrf_token": csrf_from(page.text), "unmask": "1", "reason": "核查需要"},
    )
    assert refused.status_code == 400
