"""Computes the quality measures in DuckDB over the published lake (one query per measure)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from qingfeng.dataspec import DatasetSpec, load_catalogue
from qingfeng.lake import Lake, connect
from qingfeng.lake.location import lake_root

if TYPE_CHECKING:
    from qingfeng.settings import Settings


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass
class FieldQuality:
    field: str
    required: bool
    filled: int  # non-empty values in the standard table
    completeness: float  # filled / rows
    invalid: int  # values rejected into quarantine for this field
    validity: float  # filled / (filled + invalid)


@dataclass
class BatchQuality:
    batch_id: str
    source: str
    created_at: str
    read: int
    loaded: int
    quarantined: int
    duplicates: int
    quarantine_rate: float
    required_completeness: float  # mean completeness of required fields in this batch


@dataclass
class DatasetQuality:
    dataset: str
    zh: str
    rows: int
    batches: int
    quarantined: int
    duplicates_removed: int
    unique_key: list[str]
    key_duplicates: int  # rows sharing a unique key with an earlier row (across batches)
    uniqueness: float  # distinct keys / rows with a full key
    timeliness_field: str | None
    latest: str | None  # latest value of the timeliness field
    days_since_latest: int | None
    last_batch_at: str | None
    fields: list[FieldQuality] = field(default_factory=list)
    trend: list[BatchQuality] = field(default_factory=list)


@dataclass
class CrossCheck:
    check: str
    zh: str
    en: str
    status: str  # ok | found | skipped
    count: int = 0
    checked: int = 0
    reason: str = ""


@dataclass
class QualityReport:
    generated_at: str
    as_of: str
    datasets: list[DatasetQuality] = field(default_factory=list)
    cross_checks: list[CrossCheck] = field(default_factory=list)
    report_path: Path | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "generated_at": self.generated_at,
            "as_of": self.as_of,
            "datasets": [asdict(d) for d in self.datasets],
            "cross_checks": [asdict(c) for c in self.cross_checks],
        }

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
        path = folder / f"quality-{stamp}.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(path)
        self.report_path = path
        return path


# Cross-source consistency checks: (id, zh, en, datasets needed, SQL giving (found, checked)).
CROSS_CHECKS: list[tuple[str, str, str, tuple[str, ...], str]] = [
    (
        "deaths_alive_in_registry",
        "火化/死亡记录中的人员在户籍中仍为正常状态",
        "people in death or cremation records whom the registry still shows as active",
        ("deaths", "household_registry"),
        "SELECT count(DISTINCT d.id_no) FILTER (WHERE h.status = 'active'), "
        "count(DISTINCT d.id_no) FROM deaths d LEFT JOIN household_registry h ON h.id_no = d.id_no",
    ),
    (
        "registry_deceased_without_death_record",
        "户籍已注销死亡但无任何死亡/火化记录",
        "registry entries marked deceased with no death or cremation record",
        ("deaths", "household_registry"),
        "SELECT count(*) FILTER (WHERE d.id_no IS NULL), count(*) FROM household_registry h "
        "LEFT JOIN (SELECT DISTINCT id_no FROM deaths) d ON d.id_no = h.id_no "
        "WHERE h.status = 'deceased'",
    ),
    (
        "payroll_not_in_registry",
        "财政供养人员不在户籍库中",
        "public-payroll staff missing from the household registry",
        ("public_payroll", "household_registry"),
        "SELECT count(DISTINCT p.id_no) FILTER (WHERE h.id_no IS NULL), count(DISTINCT p.id_no) "
        "FROM public_payroll p LEFT JOIN (SELECT DISTINCT id_no FROM household_registry) h "
        "ON h.id_no = p.id_no",
    ),
    (
        "subsidy_recipients_not_in_registry",
        "补贴领取人不在户籍库中",
        "subsidy recipients missing from the household registry",
        ("subsidy_payments", "household_registry"),
        "SELECT count(DISTINCT s.id_no) FILTER (WHERE h.id_no IS NULL), count(DISTINCT s.id_no) "
        "FROM subsidy_payments s LEFT JOIN (SELECT DISTINCT id_no FROM household_registry) h "
        "ON h.id_no = s.id_no",
    ),
    (
        "dibao_members_not_in_registry",
        "低保成员不在户籍库中",
        "dibao household members missing from the household registry",
        ("dibao_members", "household_registry"),
        "SELECT count(DISTINCT m.id_no) FILTER (WHERE h.id_no IS NULL), count(DISTINCT m.id_no) "
        "FROM dibao_members m LEFT JOIN (SELECT DISTINCT id_no FROM household_registry) h "
        "ON h.id_no = m.id_no",
    ),
]


def _ratio(a: int, b: int) -> float:
    return round(a / b, 4) if b else 1.0


def _dataset_quality(
    con: duckdb.DuckDBPyConnection, lake: Lake, spec: DatasetSpec, as_of: dt.date
) -> DatasetQuality:
    fields = spec.stored_fields
    view = _q(spec.id)
    counts = (
        con.execute(
            "SELECT count(*), "
            + ", ".join(f"count({_q(f.name)})" for f in fields)
            + f" FROM {view}"
        ).fetchone()
        or ()
    )
    rows, filled = int(counts[0]), [int(c) for c in counts[1:]]
    rule_rows = con.execute(
        "SELECT r, count(*) FROM (SELECT unnest(string_split(rules, ';')) AS r FROM quarantine "
        "WHERE dataset = ?) GROUP BY r",
        [spec.id],
    ).fetchall()
    invalid: dict[str, int] = {}
    for rule, n in rule_rows:
        fname, _, code = str(rule).partition(":")
        if code not in ("required", "required_one"):
            invalid[fname] = invalid.get(fname, 0) + int(n)
    batches = lake.batches(spec.id)
    out = DatasetQuality(
        dataset=spec.id,
        zh=spec.zh,
        rows=rows,
        batches=len(batches),
        quarantined=sum(b.counts.get("quarantined", 0) for b in batches),
        duplicates_removed=sum(b.counts.get("duplicate", 0) for b in batches),
        unique_key=spec.unique_key,
        key_duplicates=0,
        uniqueness=1.0,
        timeliness_field=spec.timeliness_field,
        latest=None,
        days_since_latest=None,
        last_batch_at=max((b.created_at for b in batches), default=None),
    )
    for f, n in zip(fields, filled, strict=True):
        bad = invalid.get(f.name, 0)
        out.fields.append(
            FieldQuality(
                field=f.name,
                required=f.required,
                filled=n,
                completeness=_ratio(n, rows),
                invalid=bad,
                validity=_ratio(n, n + bad),
            )
        )
    key = [k for k in spec.unique_key if k in {f.name for f in fields}]
    if key and rows:
        cols = ", ".join(_q(k) for k in key)
        # A key is "full" when its first part is present (later parts may legitimately be empty).
        keyed, distinct = con.execute(
            f"SELECT count(*), count(DISTINCT ({cols})) FROM {view} WHERE {_q(key[0])} IS NOT NULL"
        ).fetchone() or (0, 0)
        out.key_duplicates = int(keyed) - int(distinct)
        out.uniqueness = _ratio(int(distinct), int(keyed))
    if spec.timeliness_field and rows:
        latest = con.execute(f"SELECT max({_q(spec.timeliness_field)}) FROM {view}").fetchone()
        if latest and latest[0] is not None:
            value = latest[0]
            day = value.date() if isinstance(value, dt.datetime) else value
            out.latest = day.isoformat()
            out.days_since_latest = (as_of - day).days
    required = [f.name for f in fields if f.required]
    per_batch: dict[str, float] = {}
    if rows and required:
        comp = " + ".join(f"count({_q(r)})" for r in required)
        for batch_id, value in con.execute(
            f"SELECT _batch_id, ({comp}) / ({len(required)} * count(*)) FROM {view} GROUP BY 1"
        ).fetchall():
            per_batch[str(batch_id)] = round(float(value), 4)
    for b in sorted(batches, key=lambda b: b.created_at):
        read = b.counts.get("read", 0)
        out.trend.append(
            BatchQuality(
                batch_id=b.batch_id,
                source=b.source,
                created_at=b.created_at,
                read=read,
                loaded=b.counts.get("loaded", 0),
                quarantined=b.counts.get("quarantined", 0),
                duplicates=b.counts.get("duplicate", 0),
                quarantine_rate=_ratio(b.counts.get("quarantined", 0), read) if read else 0.0,
                required_completeness=per_batch.get(b.batch_id, 1.0),
            )
        )
    return out


def assess(
    settings: Settings, *, as_of: dt.date | None = None, datasets: list[str] | None = None
) -> QualityReport:
    """Measure every dataset with published batches (or those named) and run the cross checks."""
    as_of = as_of or dt.date.today()
    lake = Lake(lake_root(settings))
    specs = load_catalogue()
    published = set(lake.datasets())
    report = QualityReport(
        generated_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        as_of=as_of.isoformat(),
    )
    con = connect(settings)
    try:
        for ds in datasets or sorted(published & set(specs)):
            report.datasets.append(_dataset_quality(con, lake, specs[ds], as_of))
        for check_id, zh, en, needs, sql in CROSS_CHECKS:
            missing = [d for d in needs if d not in published]
            if missing:
                report.cross_checks.append(
                    CrossCheck(check_id, zh, en, "skipped", reason=f"no data: {', '.join(missing)}")
                )
                continue
            found, checked = con.execute(sql).fetchone() or (0, 0)
            status = "found" if found else "ok"
            report.cross_checks.append(
                CrossCheck(check_id, zh, en, status, count=int(found), checked=int(checked))
            )
    finally:
        con.close()
    return report
