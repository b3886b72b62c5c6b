"""Chinese everywhere: every page of the back office and the portal, opened by each role that
may open it, in Chinese and in English, shows no code or identifier (snake_case names, message
keys, `\\u673a` escapes, True/False/None, English enum values in the Chinese interface), and
the CSV export has labelled headers and no bare codes.

The pages come from the app's own route table (tests/page_walk.py), with real ids from the demo
county's store: a warning per model (each model's evidence has its own columns), a case through
the closed loop, a person, an organisation and a complaint profiled, a disclosure drafted,
approved and published, each quarantined batch, the audit log after all of it. A route added
without an id to open it fails here by name.
"""

from __future__ import annotations

import pytest
import yaml

from page_walk import ACCOUNTS, csv_findings, findings, pages, seed, signed_in, visible_text
from qingfeng.web.app import create_app
from qingfeng.web.i18n import MESSAGES_FILE


@pytest.fixture(scope="module")
def walk(tmp_path_factory, demo_county):  # type: ignore[no-untyped-def]
    demo = demo_county.copy(tmp_path_factory.mktemp("walk") / "ws")
    app = create_app(demo.settings)
    seeded = seed(demo.settings, app)
    clients = {role: signed_in(app, role) for role in ACCOUNTS}
    from fastapi.testclient import TestClient

    clients[None] = TestClient(app, follow_redirects=False)  # type: ignore[index]
    return app, seeded, clients


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_reads_in_its_language(walk, lang) -> None:  # type: ignore[no-untyped-def]
    app, seeded, clients = walk
    problems: list[str] = []
    walked = pages(app, seeded)
    assert len(walked) > 100, len(walked)  # every route, every role, each model and batch
    for page in walked:
        sep = "&" if "?" in page.path else "?"
        r = clients[page.role].get(f"{page.path}{sep}lang={lang}")
        who = page.role or "public"
        if r.status_code == 303 and r.headers["location"].startswith("/"):
            r = clients[page.role].get(r.headers["location"])  # home: the role's first page
        if r.status_code != 200:
            problems.append(f"{page.path} as {who}: HTTP {r.status_code}")
            continue
        for finding in findings(visible_text(r.text), lang):
            problems.append(f"{page.path} as {who}: {finding}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_csv_export_is_labelled(walk, lang) -> None:  # type: ignore[no-untyped-def]
    _app, _seeded, clients = walk
    catalogue = yaml.safe_load(MESSAGES_FILE.read_text(encoding="utf-8"))
    codes = frozenset(
        key.split(".", 1)[1]
        for key in catalogue
        if key.split(".")[0] in ("status", "severity", "finding")
    )
    r = clients["supervisor"].get(f"/warnings/export.csv?lang={lang}")
    assert r.status_code == 200
    assert not csv_findings(r.content, lang, codes)


def test_the_walker_catches_what_it_should() -> None:
    """The detector itself: each kind of leftover is named, people's words are not."""
    page = (
        '<p title="case_no">状态 new · 亲属 child · {"单位": "\\u673a关"} · True</p>'
        "<script>var a_b = 1;</script><code>subsidy_after_death</code>"
        '<script type="application/json">{"series": [{"name": "employed_by"}]}</script>'
    )
    found = findings(visible_text(page), "zh")
    assert "identifier case_no" in found and "identifier employed_by" in found
    assert "English word new" in found and "English word child" in found
    assert "escape \\u673a" in found and "Python value True" in found
    assert not any("a_b" in f or "subsidy_after_death" in f for f in found)
    assert findings(visible_text("<p>共 3 条 · 导出 CSV · 登录人 jiandu</p>"), "zh") == []
