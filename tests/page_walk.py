"""Walk every page a person can open, in both languages, and find what was left untranslated.

`seed(settings)` gives a demo county's store the things its pages show beyond warnings: a case
carried through the closed loop (dispatched, accepted, disposed, with a comment and a file), a
complaint with public and internal replies, a disclosure drafted from the lake, approved and
published, an API key for pre-payment screening. `pages(app, params)` lists every GET page of
the app's route table with real ids filled in, and the role that opens it; `findings(text, lang)`
names every code or identifier in a page's visible text.

The visible text is what a person reads: text nodes, tooltips (`title`), placeholders and
labels for screen readers, the text of buttons, and the words charts draw from their JSON
option (names, axis and legend labels); never scripts, styles or hidden form values, nor
`<code>` (a literal shown as such beside its label: a model's id, a parameter's name).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qingfeng.demo_users import DEMO_PASSWORD
from qingfeng.settings import Settings
from qingfeng.store.db import make_engine, session_factory
from qingfeng.store.models import Attachment, Organisation, User, Warning
from qingfeng.web.policy import rule_for
from qingfeng.web.roles import allows

# One demo account per role (qingfeng.demo_users).
ACCOUNTS = {
    "administrator": "admin",
    "supervisor": "jiandu",
    "verifier": "hecha",
    "leader": "lingdao",
    "model_builder": "jianmo",
    "data_officer": "shuju",
    "auditor": "shenji",
    "supervised_unit": "beijiandu",
}
# Words people typed rather than codes of the product: the demo's user names.
TYPED = frozenset({"admin", "jiandu", "hecha", "lingdao", "jianmo", "shuju", "shenji"}) | {
    "beijiandu",
    "xiangzhen",
    "demo",
    "testclient",  # the test client's address, as the audit log records it
}
# The query a page needs to be a page (a letter is of one kind).
QUERIES = {"/warnings/{warning_id}/letter": "?kind=supervision"}
# Pages that are not pages: files, JSON, the API, metrics.
NOT_PAGES = re.compile(
    r"^/api/|^/healthz$|^/metrics$|^/public/static/|\.csv$|\.xlsx$|/attachments/|^/data/screen/"
    r"|^/models/run/progress$|^/public$"
)

SNAKE = re.compile(r"(?<![\w./-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/-])")
DOTTED = re.compile(r"(?<![\w./@-])[a-z]+(?:\.[a-z_]+)+(?![\w/@-])")
ESCAPE = re.compile(r"\\u[0-9a-fA-F]{4}")
PYTHON = re.compile(r"\b(True|False|None|null|nan|NaN|NaT)\b")
# In the Chinese interface, a lower-case Latin word is a code (an enum value, a status, a
# relation) unless it is one of these: units, file kinds, the product's name.
LATIN = re.compile(r"(?<![\w@./:-])[a-z]{2,}(?![\w@./-])")
LATIN_OK = frozenset(
    {"qingfeng", "csv", "xlsx", "json", "pdf", "png", "jpg", "txt", "ms", "kb", "mb", "gb"}
    | {"api", "id", "https", "http", "www", "mod"}  # mod: arithmetic in a model's method
)
ABBREVIATIONS = frozenset({"e.g", "i.e"})


@dataclass
class Page:
    path: str  # with ids filled in
    role: str | None  # None: the public, not signed in


@dataclass
class Seeded:
    params: dict[str, str]
    extra: list[Page] = field(default_factory=list)  # query variants of the same routes


def _user(s: Session, username: str) -> User:
    return s.scalars(select(User).where(User.username == username)).one()


def seed(settings: Settings, app: Any) -> Seeded:
    """What the demo county lacks for its pages to show everything; returns the ids."""
    from qingfeng.loop.config import LoopConfig
    from qingfeng.loop.machine import ActionRequest
    from qingfeng.loop.service import act, actor_for, comment
    from qingfeng.portal.attachments import Upload
    from qingfeng.portal.complaints import ComplaintForm, file_complaint
    from qingfeng.portal.models import PortalDivision

    engine = make_engine(settings.database_url)
    factory = session_factory(engine)
    params: dict[str, str] = {}
    extra: list[Page] = []
    try:
        with factory() as s, s.begin():
            sup = _user(s, "jiandu")
            unit = _user(s, "beijiandu")
            cfg = LoopConfig()
            # One warning per model: each model's evidence has its own columns.
            firsts = s.execute(
                select(Warning.model_id, func.min(Warning.id))
                .where(Warning.present)
                .group_by(Warning.model_id)
            ).all()
            for model_id, wid in firsts:
                extra.append(Page(f"/warnings/{wid}", "supervisor"))
                extra.append(Page(f"/models/{model_id}", "model_builder"))
            person = s.scalar(
                select(Warning.id)
                .where(Warning.present, Warning.subject_type == "person")
                .order_by(Warning.amount.desc(), Warning.id)
            )
            org = s.scalar(
                select(Warning.id)
                .where(Warning.present, Warning.subject_type != "person")
                .order_by(Warning.id)
            )
            assert person and org, "the demo county has person and organisation warnings"
            extra.append(Page(f"/people/w/{org}", "supervisor"))
            # A case through the loop: dispatched to the unit, accepted, disposed, commented.
            actor = actor_for(s, sup, cfg)
            act(actor, person, "dispatch", ActionRequest(org_id=unit.org_id))
            act(actor_for(s, unit, cfg), person, "accept", ActionRequest())
            act(actor_for(s, unit, cfg), person, "submit", ActionRequest(note="经查属实"))
            act(
                actor_for(s, sup, cfg),
                person,
                "approve",
                ActionRequest(
                    finding="confirmed",
                    measures=["funds_recovered"],
                    funds_recovered="3600",
                    note="追回资金",
                ),
            )
            act(actor_for(s, unit, cfg), person, "feedback", ActionRequest(report="已整改"))
            comment(actor_for(s, sup, cfg), person, "请补充银行流水")
            # A file on it.
            data = b"evidence file"
            digest = hashlib.sha256(data).hexdigest()
            settings.attachments_dir.mkdir(parents=True, exist_ok=True)
            (settings.attachments_dir / digest).write_bytes(data)
            att = Attachment(
                warning_id=person, filename="流水.txt", content_type="text/plain",
                size=len(data), sha256=digest,
            )  # fmt: skip
            s.add(att)
            # A complaint, as the public form files it.
            village = s.scalar(
                select(Warning.division_code)
                .where(func.length(Warning.division_code) == 12)
                .order_by(Warning.division_code)
            )
            if s.get(PortalDivision, village) is None:
                s.add(PortalDivision(code=village, name="某村", level="village"))
                s.flush()
            complaint, code = file_complaint(
                s,
                ComplaintForm(
                    division_code=village,
                    category="livelihood_funds",
                    title="高龄补贴被冒领",
                    content="我父亲去年已去世，村里仍有人在领取他的高龄补贴。",
                    target_org="村委会",
                    anonymous=False,
                    complainant_name="李大民",
                    complainant_phone="13912345678",
                ),
                [Upload("现场.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64)],
                settings.attachments_dir,
                now=datetime(2026, 3, 1, 3, 27, tzinfo=UTC),
            )
            s.flush()
            params.update(
                warning_id=str(person),
                attachment_id=str(att.id),
                complaint_no=complaint.complaint_no,
                model_id=firsts[0][0],
            )
            complaint_warning = complaint.warning_id
            extra.append(Page(f"/people/w/{complaint_warning}", "supervisor"))
            extra.append(Page(f"/warnings/{complaint_warning}", "supervisor"))
            params["tracking_code"] = code
            county = s.scalar(select(Organisation).where(Organisation.kind == "county"))
            assert county is not None
            params["county_org"] = str(county.id)
    finally:
        engine.dispose()

    # Through the pages, as people do it: a disclosure, replies to the complaint, a key.
    officer = signed_in(app, "data_officer")
    token = csrf(officer)
    r = officer.post(
        "/portal/publications",
        data={
            "csrf_token": token,
            "kind": "subsidy_roll",
            "title": "2024年高龄补贴发放名册",
            "division_code": "",
            "columns": ["name", "id_no", "subsidy_type", "amount", "period"],
            "self_query": "1",
        },
    )
    assert r.status_code == 303, r.text[:2000]
    pub_id = r.headers["location"].rsplit("/", 1)[1]
    params["publication_id"] = pub_id
    admin = signed_in(app, "administrator")
    admin_token = csrf(admin)
    from qingfeng.portal.models import PublicationVersion

    engine = make_engine(settings.database_url)
    try:
        with session_factory(engine)() as s:
            vid = s.scalar(
                select(PublicationVersion.id).where(PublicationVersion.publication_id == pub_id)
            )
    finally:
        engine.dispose()
    params["version_id"] = str(vid)
    for step in ("approve", "publish"):
        r = admin.post(
            f"/portal/publications/versions/{vid}/{step}", data={"csrf_token": admin_token}
        )
        assert r.status_code == 303 and "error=" not in r.headers["location"], r.headers
    # A second draft left waiting for approval (its page shows the four-eyes note).
    r = officer.post(
        "/portal/publications",
        data={"csrf_token": token, "kind": "policy", "title": "低保政策解读", "body": "说明"},
    )
    assert r.status_code == 303, r.text[:2000]
    extra.append(Page(r.headers["location"], "data_officer"))
    sup = signed_in(app, "supervisor")
    sup_token = csrf(sup)
    no = params["complaint_no"]
    for path, data in (
        (f"/portal/complaints/{no}/reply", {"reply": "已转相关部门核查。"}),
        (f"/portal/complaints/{no}/note", {"note": "已电话联系投诉人"}),
    ):
        r = sup.post(path, data={"csrf_token": sup_token, **data})
        assert r.status_code == 303, (path, r.text[:500])
    r = admin.post(
        "/screen-keys",
        data={
            "csrf_token": admin_token,
            "name": "社保发放系统",
            "datasets": "subsidy_payments",
            "areas": "522701",
        },
    )
    assert r.status_code in (200, 303), r.text[:2000]
    # The list and its queues, in both densities; the audit log filtered to one kind.
    for query in (
        "queue=to_dispatch",
        "queue=overdue",
        "density=compact",
        "status=disposed",
        "sort=amount",
    ):
        extra.append(Page(f"/warnings?{query}", "supervisor"))
    # Every batch's rejected rows: each rule a row broke is named.
    batches = sorted(
        d.name.removeprefix("batch=") for d in (settings.lake_dir / "_quarantine").glob("batch=*")
    )
    assert batches, "the demo's ingest quarantined some rows"
    params["batch_id"] = batches[0]
    extra.extend(Page(f"/data/quarantine/{b}", "data_officer") for b in batches[1:])
    extra.append(Page("/warnings", "supervised_unit"))
    extra.append(Page("/supervision?busy=1", "leader"))
    extra.append(Page("/audit?action=person.view", "auditor"))
    extra.append(Page("/notifications?unread=1", "supervised_unit"))
    extra.append(Page(f"/public/track?code={params['tracking_code']}", None))
    return Seeded(params, extra)


def signed_in(app: Any, role: str) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    page = client.get("/login")
    r = client.post(
        "/login",
        data={
            "username": ACCOUNTS[role],
            "password": DEMO_PASSWORD,
            "csrf_token": _token(page.text),
        },
    )
    assert r.status_code == 303, (role, r.status_code, r.text[:300])
    return client


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _token(html: str) -> str:
    m = _CSRF.search(html)
    assert m, "no CSRF token in the page"
    return m.group(1)


def csrf(client: TestClient) -> str:
    return _token(client.get("/account/password").text)


def pages(app: Any, seeded: Seeded) -> list[Page]:
    """Every GET page of the route table, ids filled in, once per role that may open it (the
    first of them when several roles see the same), plus the seeded variants."""
    out: list[Page] = []
    for rc in iter_route_contexts(app.routes):
        path = rc.path
        if "GET" not in (getattr(rc, "methods", None) or ()) or NOT_PAGES.search(path):
            continue
        rule = rule_for("GET", path)
        assert rule is not None, path
        filled = re.sub(r"\{(\w+)\}", lambda m: seeded.params.get(m.group(1), m.group(0)), path)
        assert "{" not in filled, f"no id seeded for {path}"
        filled += QUERIES.get(path, "")
        if rule.permission is None:
            out.append(Page(filled, None))
            continue
        roles = [r for r in ACCOUNTS if allows(r, rule.permission)]
        assert roles, path
        for role in roles:
            out.append(Page(filled, role))
    return out + seeded.extra


# ------------------------------------------------------------------ visible text


class _Visible(HTMLParser):
    # `<code>` holds literals a person types elsewhere (a model's id for the command line, a
    # parameter's name and value for a parameter profile): shown as code, on purpose.
    SKIP = frozenset({"script", "style", "template", "noscript", "code"})
    SHOWN_ATTRS = ("title", "placeholder", "aria-label", "alt")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.charts: list[str] = []
        self._skip = 0
        self._json = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in self.SKIP:
            self._skip += 1
            self._json = tag == "script" and a.get("type") == "application/json"
            return
        for name in self.SHOWN_ATTRS:
            if a.get(name):
                self.parts.append(str(a[name]))
        if tag == "input" and a.get("type") in ("submit", "button") and a.get("value"):
            self.parts.append(str(a["value"]))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self._skip:
            self._skip -= 1
            self._json = False

    def handle_data(self, data: str) -> None:
        if self._skip:
            if self._json and data.strip():
                self.charts.append(data)
            return
        self.parts.append(data)


# Keys of a chart option (ECharts) whose strings are drawn as words on the chart.
DRAWN = frozenset({"name", "text", "subtext", "data", "categories", "label_text", "title"})


def _drawn_words(value: Any, key: str = "") -> Iterator[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _drawn_words(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _drawn_words(v, key)
    elif isinstance(value, str) and key in DRAWN:
        yield value


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    words = list(parser.parts)
    for raw in parser.charts:
        try:
            words.extend(_drawn_words(json.loads(raw)))
        except ValueError:
            words.append(raw)  # unreadable JSON is itself worth a look
    return " ".join(" ".join(words).split())


def findings(text: str, lang: str) -> list[str]:
    """Codes and identifiers in a page's visible text."""
    for word in TYPED:
        text = re.sub(rf"(?<![\w.]){word}(?![\w.])", " ", text)
    found = [f"identifier {m}" for m in SNAKE.findall(text)]
    found += [f"message key {m}" for m in DOTTED.findall(text) if m not in ABBREVIATIONS]
    found += [f"escape {m}" for m in ESCAPE.findall(text)]
    found += [f"Python value {m}" for m in PYTHON.findall(text)]
    if lang == "zh":
        found += [
            f"English word {m}"
            for m in LATIN.findall(SNAKE.sub(" ", DOTTED.sub(" ", text)))
            if m not in LATIN_OK
        ]
    return sorted(set(found))


def csv_findings(body: bytes, lang: str, codes: frozenset[str]) -> list[str]:
    """The same for a CSV export: its headers; and no cell holding a bare code of the label
    table (a status, a severity, a finding)."""
    text = body.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    found = findings(" ".join(rows[0]) if rows else "", lang)
    found += sorted({f"code in a cell: {c}" for r in rows[1:] for c in r if c in codes})
    return found
