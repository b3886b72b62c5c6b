"""Languages, the message catalogue, and the offline rule (no CDN) of the back office."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qingfeng.web.i18n import LANG_COOKIE, CatalogueError, load_catalogue
from web_helpers import client_for, make_world, sign_in

WEB = Path(__file__).parents[1] / "src" / "qingfeng" / "web"
TEMPLATES = sorted((WEB / "templates").rglob("*.html"))


def test_chinese_by_default_english_on_request_and_remembered(tmp_path):
    client = client_for(make_world(tmp_path))
    assert "登录" in client.get("/login").text
    english = client.get("/login?lang=en")
    assert "Sign in" in english.text and "登录" not in english.text
    assert english.cookies.get(LANG_COOKIE) == "en" or LANG_COOKIE in english.headers["set-cookie"]
    assert "Sign in" in client.get("/login").text  # the cookie remembers
    assert "登录" in client.get("/login?lang=zh").text
    assert "登录" in client.get("/login?lang=fr").text or "Sign in" in client.get("/login").text


def test_signed_in_pages_in_english(tmp_path):
    client = sign_in(client_for(make_world(tmp_path)), "sup_a")
    page = client.get("/warnings?lang=en")
    assert "Warnings" in page.text and "Supervisor" in page.text
    assert "预警管理" not in page.text


def test_every_template_key_is_in_the_catalogue():
    catalogue = load_catalogue()
    used = set()
    for path in TEMPLATES:
        used |= set(re.findall(r"""\bt\(\s*["']([a-z0-9_.]+)["']""", path.read_text("utf-8")))
    missing = sorted(
        k
        for k in used
        if k not in catalogue and not (k.endswith(".") and any(c.startswith(k) for c in catalogue))
    )
    assert not missing, f"message keys used in templates but not in messages.yaml: {missing}"


def test_every_data_driven_label_is_in_the_catalogue():
    from qingfeng.hits import SEVERITIES
    from qingfeng.loop.machine import FINDINGS, MEASURES, STATES, TRANSITIONS
    from qingfeng.store.models import ROLES
    from qingfeng.web.model_index import FIELDS
    from qingfeng.web.pages.warnings import STATUSES
    from qingfeng.web.queries.warnings import SORTS

    catalogue = load_catalogue()
    wanted = (
        [f"severity.{s}" for s in SEVERITIES]
        + [f"role.{r}" for r in ROLES]
        + [f"field.{f}" for f in FIELDS]
        + [f"status.{s}" for s in STATUSES]
        + [f"sort.{s}" for s in SORTS]
        + [f"status.{s}" for s in STATES]
        + [f"action.{a}" for a in TRANSITIONS]
        + [f"finding.{f}" for f in FINDINGS]
        + [f"measure.{m}" for m in MEASURES]
    )
    assert [k for k in wanted if k not in catalogue] == []


def test_catalogue_rejects_a_key_without_english(tmp_path):
    bad = tmp_path / "messages.yaml"
    bad.write_text("a.b: {zh: 中文}\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"'a\.b' has no 'en'"):
        load_catalogue.__wrapped__(bad)


_REMOTE = re.compile(r"""(?:src|href)\s*=\s*["']\s*(?:https?:)?//""", re.I)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_templates_load_nothing_from_the_network(path):
    text = path.read_text("utf-8")
    assert not _REMOTE.search(text), f"{path.name} references a remote script, style or image"
    assert "cdn" not in text.lower()


def test_vendored_assets_are_served_with_their_licences(tmp_path):
    client = client_for(make_world(tmp_path))
    for asset in ("vendor/htmx/htmx.min.js", "vendor/echarts/echarts.min.js", "app.css", "app.js"):
        assert client.get(f"/static/{asset}").status_code == 200, asset
    for licence in ("vendor/htmx/LICENSE", "vendor/echarts/LICENSE"):
        assert (WEB / "static" / licence).read_text("utf-8").strip()


def test_content_security_policy_allows_only_this_site(tmp_path):
    r = client_for(make_world(tmp_path)).get("/login")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "http" not in csp
    assert r.headers["x-frame-options"] == "DENY"


def test_no_swagger_ui_since_it_loads_from_a_cdn(tmp_path):
    client = client_for(make_world(tmp_path))
    assert client.get("/api/docs").status_code == 404
    assert client.get("/docs").status_code == 404
    assert client.get("/api/v1/openapi.json").status_code == 200
