"""A profile (数字画像) as a report to file or print: one workbook, in the reader's language.

The report holds what the page shows and nothing more: ID numbers masked (first 4 and last 4
digits), birth dates as the year, relations, statuses and codes through the label table, times
in the workspace's zone. Every cell is text or a number, never a formula (qingfeng.cells). The
route that serves it audits the export (`person.export`).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, tzinfo
from typing import Any

from qingfeng.cells import neutralise
from qingfeng.localtime import format_time
from qingfeng.masking import birth_year, mask_id
from qingfeng.web.i18n import Translator
from qingfeng.web.labels import value_label
from qingfeng.web.queries.people import Profile
from qingfeng.web.queries.profile import LibraryProfile

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The library's sections and their columns, as the profile page shows them.
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("relatives", ("name", "id_no", "relation", "degree", "relation_to_head")),
    ("employment", ("org_name", "uscc", "detail")),
    ("companies", ("relation", "org_name", "uscc", "detail")),
    ("vehicles", ("kind", "plate_no", "vehicle_type", "use_type", "register_date", "status")),
    ("properties", ("property_type", "is_resettlement", "project_name", "address", "area")),
    ("subsidies", ("subsidy_type", "payments", "amount", "first_period", "last_period")),
)


def _library_cell(t: Translator, column: str, value: Any) -> Any:
    if value is None or value == "":
        return "—"
    if column == "id_no":
        return mask_id(str(value))
    if column in ("relation", "relation_to_head"):
        return t.maybe(f"relation.{value}", str(value))
    if column == "degree":
        return t("people.lib.degree_n", n=value)
    if column == "status":
        return t.maybe(f"people.lib.status.{value}", str(value))
    if column == "gender":
        return t.maybe(f"people.gender.{value}", str(value))
    if column in ("birth_date",):
        return birth_year(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return value_label(t, column, value)


def build_report(
    t: Translator,
    profile: Profile,
    lib: LibraryProfile | None,
    *,
    model_name: Callable[[str], str],
    region_name: Callable[[str | None], str],
    viewer: str,
    zone: tzinfo,
    now: datetime,
) -> bytes:
    """The workbook's bytes: a summary sheet, the warnings, then each library section."""
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False})
    bold = book.add_format({"bold": True})
    head = book.add_format({"bold": True, "bg_color": "#E8EEF4", "border": 1})
    title = book.add_format({"bold": True, "font_size": 14})

    def sheet(name: str, rows: Iterable[Sequence[Any]], header: Sequence[str]) -> None:
        ws = book.add_worksheet(name[:31])
        for c, text in enumerate(header):
            ws.write_string(0, c, text, head)
        widths = [max(8, len(h) * 2) for h in header]
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row):
                value = neutralise(value)
                if isinstance(value, int | float) and not isinstance(value, bool):
                    ws.write_number(r, c, value)
                else:
                    text = "" if value is None else str(value)
                    ws.write_string(r, c, text)
                    widths[c] = min(60, max(widths[c], len(text) * 2))
        for c, w in enumerate(widths):
            ws.set_column(c, c, w)
        ws.freeze_panes(1, 0)

    # -- summary
    ws = book.add_worksheet(t("people.report.summary")[:31])
    ws.write_string(0, 0, t("people.report.title", name=profile.name or profile.masked), title)
    facts: list[tuple[str, Any]] = [
        (t("people.kind"), t(f"people.kind.{profile.kind}")),
        (t("people.lib.f.name"), profile.name or "—"),
    ]
    if profile.kind == "person":
        facts.append((t("people.lib.f.id_no"), profile.masked))
        if profile.birth_date:
            facts.append((t("people.birth"), birth_year(profile.birth_date)))
        if profile.gender:
            facts.append((t("people.gender"), t.maybe(f"people.gender.{profile.gender}", "—")))
    else:
        facts.append((t("people.report.identifier"), profile.identifier))
    facts += [
        (t("dash.warnings"), len(profile.warnings)),
        (t("col.amount"), float(profile.amount)),
        (t("people.risk_total"), profile.risk_total),
        (t("people.report.by"), viewer),
        (t("people.report.at"), format_time(now, zone, "minute")),
    ]
    for r, (label, value) in enumerate(facts, start=2):
        ws.write_string(r, 0, label, bold)
        if isinstance(value, int | float):
            ws.write_number(r, 1, value)
        else:
            ws.write_string(r, 1, str(neutralise(value)))
    ws.write_string(len(facts) + 3, 0, t("people.report.masked_note"))
    ws.set_column(0, 0, 24)
    ws.set_column(1, 1, 40)

    # -- warnings
    sheet(
        t("people.warnings"),
        (
            (
                w.id,
                model_name(w.model_id),
                t.maybe(f"severity.{w.severity}", w.severity),
                t.maybe(f"period.{w.period}", w.period or ""),
                float(w.amount or 0),
                t.maybe(f"status.{w.status}", w.status),
                region_name(w.division_code),
                format_time(w.created_at, zone, "day"),
            )
            for w in profile.warnings
        ),
        [
            "#",
            t("col.model"),
            t("col.severity"),
            t("col.period"),
            t("col.amount"),
            t("col.status"),
            t("col.region"),
            t("col.found"),
        ],
    )
    # -- the libraries: relatives, work, companies, vehicles, property, subsidies
    if lib is not None:
        for key, columns in SECTIONS:
            rows = getattr(lib, key)
            sheet(
                t(f"people.lib.{key}"),
                ([_library_cell(t, c, row.get(c)) for c in columns] for row in rows),
                [t(f"people.lib.f.{c}") for c in columns],
            )
    book.close()
    return out.getvalue()
