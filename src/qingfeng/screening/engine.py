"""Screening: the models that declare `screens:` run on candidates, against the current lake.

Per model the compiled hit query (the same tree a batch run renders) is rewritten once: every
read of the screened dataset (and of the child datasets a candidate carries) reads the
candidates instead — or the lake's rows and the candidates together for a model that
`keep_lake`s (already paid in the period) — and each hit keeps the candidates its `match`
columns equal. The hits become reasons (model, sentence, evidence, legal basis) with the decision
the deployment gives the model (`[screening]`).

Requests of at most LITE_ROWS candidates are answered through SQLite (`qingfeng.screening.lite`:
the snapshot's tables indexed, each model's query translated), larger ones through DuckDB, one
statement per model over all the candidates; the tests hold both to the batch run's verdicts.

The lake is opened once and reopened when `lake/_catalogue.json` changes: a batch is screened
against as soon as it is published. Each call works on a cursor of its own (its candidates are
temp tables of that cursor), so calls may run in parallel threads.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlglot import exp

from qingfeng.engine.compiler import HIT_FIELDS, CompiledModel, compile_model
from qingfeng.engine.compiler import _parse_expr as parse_expr  # the compiler's own parser
from qingfeng.engine.engines.base import Columns, Engine
from qingfeng.engine.errors import ModelSpecError
from qingfeng.engine.loader import load_models
from qingfeng.engine.results import columns_to_hits, json_value
from qingfeng.engine.spec import ModelSpec
from qingfeng.hits import Hit
from qingfeng.screening.candidates import PARENT, REF, Prepared, Preparer, RowError, children_of
from qingfeng.screening.config import Decision, ScreeningConfig, strictest
from qingfeng.screening.lite import (
    LiteStore,
    LiteUnsupported,
    converter,
    hoist,
    sqlite_value,
    translate,
    translate_expr,
)
from qingfeng.screening.warm import WARM, WarmPlan, materialise, referenced_columns, warm_name
from qingfeng.settings import Settings

CANDIDATES = "__cand"  # temp tables of the normalised candidates: __cand_<dataset>
ONLY = "__scr"  # views: the candidates alone, __scr_<dataset>
WITH_LAKE = "__scrl"  # views: the lake's rows and the candidates, __scrl_<dataset>
MATCH = "__m_"
REFS = "__refs"
WARM_PREFIX = WARM + "_"
HIT = "__hit"
LITE_ROWS = 64  # requests of at most this many candidates go through SQLite


class ScreeningError(ValueError):
    """The request cannot be screened at all (unknown dataset, no model screens it)."""


@dataclass(frozen=True)
class Snapshot:
    """The lake a screening read: its catalogue's digest and the newest publication."""

    id: str
    published_at: str | None
    batches: int

    def to_json(self, now: dt.datetime | None = None) -> dict[str, Any]:
        age = None
        if self.published_at:
            published = dt.datetime.fromisoformat(self.published_at.replace("Z", "+00:00"))
            now = now or dt.datetime.now(dt.UTC)
            age = max(0, int((now - published).total_seconds()))
        return {
            "id": self.id,
            "published_at": self.published_at,
            "age_seconds": age,
            "batches": self.batches,
        }


@dataclass
class Reason:
    model_id: str
    model_version: str
    model_name: str
    model_name_en: str
    decision: Decision
    severity: str
    sentence: str
    period: str
    amount: Decimal | None
    evidence: dict[str, Any]
    legal_basis: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {
            "model_id": self.model_id,
            "model_version": self.model_version,
            "model_name": self.model_name,
            "model_name_en": self.model_name_en,
            "decision": self.decision,
            "severity": self.severity,
            "sentence": self.sentence,
            "period": self.period,
            "amount": None if self.amount is None else format(self.amount, "f"),
            "evidence": self.evidence,
            "legal_basis": self.legal_basis,
        }


@dataclass
class CandidateResult:
    index: int
    ref: str | None
    decision: Decision | None  # None: the candidate could not be screened (see errors)
    reasons: list[Reason] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "ref": self.ref,
            "decision": self.decision if self.decision else "error",
            "reasons": [r.to_json() for r in self.reasons],
            "errors": [e.to_json() for e in self.errors],
        }


@dataclass
class Outcome:
    dataset: str
    snapshot: Snapshot
    results: list[CandidateResult]
    models: list[str]
    duration_ms: float = 0.0

    def totals(self) -> dict[str, Any]:
        per_decision = dict.fromkeys(("allow", "review", "block", "error"), 0)
        per_reason: dict[str, dict[str, Any]] = {}
        for r in self.results:
            per_decision[r.decision or "error"] += 1
            for reason in r.reasons:
                entry = per_reason.setdefault(
                    reason.model_id,
                    {"model_name": reason.model_name, "decision": reason.decision, "candidates": 0},
                )
                entry["candidates"] += 1
        return {"decisions": per_decision, "reasons": per_reason}


@dataclass
class _ScreenModel:
    spec: ModelSpec
    compiled: CompiledModel
    sql: str  # the screening query over the candidates' temp tables and views
    tree: exp.Expression  # its hit rows (with the __m_ match columns), before the refs


@dataclass
class _LiteModel:
    """A model's screening query in SQLite's SQL, with its result columns' DuckDB types."""

    sql: str
    names: list[str]
    types: list[str]
    convert: list[Any]


def _substitute(compiled: CompiledModel, substituted: dict[str, str]) -> exp.Expression:
    """The hit query reading `substituted` tables (dataset -> view), with the values of its
    `match` columns (__m_<i>)."""
    spec = compiled.spec
    assert spec.screens is not None
    tree = compiled.tree.copy()
    for table in list(tree.find_all(exp.Table)):
        if table.args.get("db") or table.name not in substituted:
            continue
        if not table.alias:
            table.set("alias", exp.TableAlias(this=exp.to_identifier(table.name)))
        table.set("this", exp.to_identifier(substituted[table.name]))
    for i, column in enumerate(spec.screens.match):
        tree.select(exp.column(column, table="m").as_(f"{MATCH}{i}"), copy=False)
    return tree


def _with_refs(spec: ModelSpec, tree: exp.Expression, candidates: str) -> str:
    """The hit rows of `tree` that some candidate's `match` values equal, with the refs of
    those candidates (DuckDB)."""
    assert spec.screens is not None
    conditions = []
    for i, text in enumerate(spec.screens.match.values()):
        problems: Any = type("P", (), {"add": lambda *a, **k: None})()
        expr = parse_expr(text, ("screens",), problems)
        assert expr is not None  # checked by the compiler
        expr = expr.transform(
            lambda n: exp.column(n.name, table="c") if isinstance(n, exp.Column) else n
        )
        conditions.append(exp.EQ(this=exp.column(f"{MATCH}{i}", table="h"), expression=expr))
    refs = (
        exp.select(f"list(DISTINCT c.{REF})")
        .from_(exp.to_table(candidates).as_("c"))
        .where(exp.and_(*conditions))
    )
    outer = exp.select("h.*", exp.alias_(exp.Subquery(this=refs), REFS)).from_(
        exp.Subquery(this=tree, alias=exp.TableAlias(this=exp.to_identifier("h")))
    )
    final = exp.select("*").from_(outer.subquery("s")).where(f"len({REFS}) > 0")
    return final.sql("duckdb")


class Screener:
    """The models that screen, compiled once, over a lake connection kept fresh."""

    def __init__(
        self, settings: Settings, config: ScreeningConfig | None = None, *, warm: bool = True
    ) -> None:
        """`warm`: hold the lake tables the models read in memory per snapshot (a service
        answering many calls); False reads them where they are (one batch, then done)."""
        from qingfeng.screening.config import load_screening_config
        from qingfeng.settings import SETTINGS_FILE

        self.settings = settings
        self.config = config or load_screening_config(settings.workspace / SETTINGS_FILE)
        self._lock = threading.Lock()
        self._local = threading.local()
        self._engine: Engine | None = None
        self._stamp: tuple[int, int] | None = None
        self.snapshot = Snapshot(id="", published_at=None, batches=0)
        self.models: dict[str, list[_ScreenModel]] = {}
        self.warm = warm
        self.warm_plan = WarmPlan()
        self.warm_rows: dict[str, int] = {}
        self.hoisted: dict[str, exp.Expression] = {}  # lake-only parts, once per snapshot
        # the snapshot's tables in SQLite and the models translated (small requests)
        self._lite: tuple[LiteStore | None, dict[str, _LiteModel]] = (None, {})
        self.lite_problems: dict[str, str] = {}  # model id -> why it is answered by DuckDB
        self.load_errors: list[str] = []
        self.memos: dict[str, Any] = {}  # candidate value memos per dataset, for every thread
        models = load_models(settings.models_dir)
        self.load_errors = [str(e) for e in models.errors]
        for spec in models.select():
            if spec.screens is None:
                continue
            try:
                compiled = compile_model(spec)
            except ModelSpecError as exc:
                self.load_errors.append(str(exc))
                continue
            dataset = spec.screens.dataset
            carried = [k.id for k in children_of(dataset) if k.id in spec.inputs]
            prefix = WITH_LAKE if spec.screens.keep_lake else ONLY
            substituted = {d: f"{prefix}_{d}" for d in [dataset, *carried]}
            if spec.screens.keep_lake:  # the lake's rows of the candidates' keys only
                substituted[dataset] = f"{WITH_LAKE}_{spec.id}"
            self._plan_warm(spec, compiled, substituted)
            for name in spec.inputs:  # the other inputs: the lake's, held in memory
                substituted.setdefault(name, warm_name(name))
            tree = _substitute(compiled, substituted)
            reads = {v for k, v in substituted.items() if not v.startswith(WARM_PREFIX)}
            tree, hoisted = hoist(tree, spec.id, reads)
            self.hoisted.update(hoisted)
            sql = _with_refs(spec, tree, f"{CANDIDATES}_{dataset}")
            self.models.setdefault(dataset, []).append(_ScreenModel(spec, compiled, sql, tree))

    def _plan_warm(
        self, spec: ModelSpec, compiled: CompiledModel, substituted: dict[str, str]
    ) -> None:
        """The lake tables and columns this model reads beside the candidates."""
        assert spec.screens is not None
        match_columns: list[str] = []
        for text in spec.screens.match.values():
            parsed: exp.Expression = exp.maybe_parse(text, dialect="duckdb")
            match_columns += [column.name for column in parsed.find_all(exp.Column)]
        names = referenced_columns(compiled.tree, [*spec.screens.match, *match_columns])
        lake_read = [d for d in spec.inputs if d not in substituted]
        if spec.screens.keep_lake:
            lake_read.append(spec.screens.dataset)
        for dataset in lake_read:
            self.warm_plan.add(dataset, names)
            if match_columns:
                self.warm_plan.order.setdefault(dataset, match_columns[0])

    # ---- the lake -----------------------------------------------------------------------
    def _catalogue_stamp(self) -> tuple[int, int]:
        from qingfeng.lake.location import lake_root

        return lake_root(self.settings).stamp("_catalogue.json")

    def engine(self) -> tuple[Engine, Snapshot]:
        """The lake engine, reopened when a batch was published or rolled back since."""
        stamp = self._catalogue_stamp()
        with self._lock:
            if self._engine is None or stamp != self._stamp:
                from qingfeng.engine.engines.duckdb_engine import DuckDBEngine

                # an older engine is left to its cursors (a call may still be reading it)
                engine = DuckDBEngine.for_lake(self.settings)
                self.warm_rows = materialise(
                    engine.con,
                    self.warm_plan,
                    copy=self.warm,
                )
                for name, query in self.hoisted.items():
                    engine.con.execute(  # type: ignore[attr-defined]
                        f'CREATE OR REPLACE TABLE "{name}" AS {query.sql("duckdb")}'
                    )
                lite: tuple[LiteStore | None, dict[str, _LiteModel]] = (None, {})
                if self.warm:
                    # this thread's session, planned once: result types, the memo, later calls
                    session = _Session(engine, self.memos)
                    for dataset in self.models:
                        self._ready(session, dataset)
                    lite = self._build_lite(engine, session)
                    self._teach(session)
                    self._local.session = session
                self._engine = engine
                self._stamp = stamp
                self.snapshot = self._read_snapshot()
                old, self._lite = self._lite, lite
                if old[0] is not None:
                    old[0].close()  # its connections stay usable by calls still reading it
            return self._engine, self.snapshot

    # ---- small requests through SQLite ----------------------------------------------------
    def _build_lite(
        self, engine: Engine, session: _Session
    ) -> tuple[LiteStore | None, dict[str, _LiteModel]]:
        """The snapshot's warm and hoisted tables in SQLite and each model translated; a
        model that does not translate is answered by DuckDB (`lite_problems` says why)."""
        con = engine.con  # type: ignore[attr-defined]
        problems: dict[str, str] = {}
        lake_tables = set(self.hoisted) | {warm_name(d) for d in self.warm_plan.columns}
        described = {
            str(name): [(str(c), str(t)) for c, t in cols]
            for name, cols in con.execute(
                "SELECT table_name, list((column_name, data_type) ORDER BY ordinal_position) "
                "FROM information_schema.columns GROUP BY table_name"
            ).fetchall()
        }
        tables = {name: described[name] for name in sorted(lake_tables) if name in described}
        indexes: dict[str, set[str]] = {}
        for models in self.models.values():
            for model in models:
                _join_columns(model.tree, tables, indexes)
                screens = model.spec.screens
                assert screens is not None
                if screens.keep_lake:  # the lake's rows of a candidate's key, by index
                    for column in screens.match:
                        indexes.setdefault(warm_name(screens.dataset), set()).add(column)
        try:
            store = LiteStore(con, tables, indexes)
        except Exception as exc:
            self.lite_problems = {"*": f"{type(exc).__name__}: {exc}"}
            return None, {}
        types = {
            model.spec.id: [
                (str(r[0]), str(r[1]))
                for r in session.con.execute(f"DESCRIBE {model.tree.sql('duckdb')}").fetchall()
            ]
            for models in self.models.values()
            for model in models
        }
        out: dict[str, _LiteModel] = {}
        for dataset, models in self.models.items():
            schema = dict(store.schema) | self._candidate_schema(dataset)
            for model in models:
                try:
                    sql = translate(model.tree, schema)
                    names = [n for n, _ in types[model.spec.id]]
                    kinds = [t for _, t in types[model.spec.id]]
                    lite = _LiteModel(
                        self._lite_sql(model, sql), names, kinds, [converter(t) for t in kinds]
                    )
                    con_lite = store.connection()
                    self._lite_views(con_lite, dataset, store)
                    con_lite.execute(f"EXPLAIN {lite.sql}")  # SQLite accepts it
                    out[model.spec.id] = lite
                except (LiteUnsupported, sqlite3.Error, KeyError) as exc:
                    problems[model.spec.id] = f"{type(exc).__name__}: {exc}"
        self.lite_problems = problems
        return store, out

    def _teach(self, session: _Session, per_field: int = 1000) -> None:
        """The candidate memos taught the lake's most frequent values of each field the memo
        cannot take as canonical (benefits, villages, amounts, periods), so that a paying
        system's first requests skip the normalisation query too."""
        from qingfeng.dataspec import load_catalogue

        con, preparer = session.con, session.preparer
        today = dt.date.today()
        have = {
            str(t): {str(c) for c in cols}
            for t, cols in con.execute(
                "SELECT table_name, list(column_name) FROM information_schema.columns "
                "GROUP BY table_name"
            ).fetchall()
        }
        for dataset in self.models:
            for d in [dataset, *[k.id for k in children_of(dataset)]]:
                normaliser = preparer.normaliser(d)
                values: dict[str, list[str]] = {}
                for f in load_catalogue()[d].stored_fields:
                    if f.name in normaliser.memo.fast or f.name not in have.get(d, ()):
                        continue
                    values[f.name] = [
                        str(v)
                        for (v,) in con.execute(
                            f'SELECT CAST("{f.name}" AS VARCHAR) AS v FROM "{d}" '
                            f"WHERE v IS NOT NULL GROUP BY v ORDER BY count(*) DESC, v "
                            f"LIMIT {int(per_field)}"
                        ).fetchall()
                    ]
                normaliser.teach(values, today)

    def _candidate_schema(self, dataset: str) -> dict[str, dict[str, str]]:
        """The candidate views' columns and DuckDB types (the catalogue's storage types)."""
        from qingfeng.dataspec import load_catalogue

        out: dict[str, dict[str, str]] = {}
        for d in [dataset, *[k.id for k in children_of(dataset)]]:
            spec = load_catalogue()[d]
            cols = {f.name: f.storage_type for f in spec.stored_fields}
            cols |= {"_batch_id": "VARCHAR", "_source_row": "BIGINT"}
            out[f"{ONLY}_{d}"] = cols
            out[f"{WITH_LAKE}_{d}"] = cols
        for model in self.models.get(dataset, []):
            out[f"{WITH_LAKE}_{model.spec.id}"] = out[f"{ONLY}_{dataset}"]
        return out

    def _lite_sql(self, model: _ScreenModel, sql: str) -> str:
        """The hit rows joined to the candidates whose `match` values they carry."""
        screens = model.spec.screens
        assert screens is not None
        on = " AND ".join(
            f'h."{MATCH}{i}" = ({translate_expr(text, "c")})'
            for i, text in enumerate(screens.match.values())
        )
        table = f"{CANDIDATES}_{screens.dataset}"
        return (
            f'SELECT h.*, c."{REF}" FROM (SELECT *, row_number() OVER () AS "{HIT}" '
            f'FROM ({sql})) AS h JOIN temp."{table}" AS c ON {on}'
        )

    def _lite_views(self, con: sqlite3.Connection, dataset: str, store: LiteStore) -> None:
        """This connection's candidate tables and views for `dataset` (once)."""
        ready: set[str] = con.ready  # type: ignore[attr-defined]
        if dataset in ready:
            return
        from qingfeng.dataspec import load_catalogue

        datasets = [dataset, *[k.id for k in children_of(dataset)]]
        for d in datasets:
            spec = load_catalogue()[d]
            cols = [f.name for f in spec.stored_fields] + ["_batch_id", "_source_row"]
            table = f"{CANDIDATES}_{d}"
            defs = ", ".join(f'"{c}"' for c in [REF, PARENT, *cols])
            con.execute(f'CREATE TEMP TABLE IF NOT EXISTS "{table}" ({defs})')
            listed = ", ".join(f'"{c}"' for c in cols)
            con.execute(f'CREATE TEMP VIEW IF NOT EXISTS "{ONLY}_{d}" AS '
                        f'SELECT {listed} FROM temp."{table}"')  # fmt: skip
            lake = warm_name(d)
            have = store.schema.get(lake)
            if have is not None:
                lake_cols = ", ".join(f'"{c}"' if c in have else f'NULL AS "{c}"' for c in cols)
                con.execute(
                    f'CREATE TEMP VIEW IF NOT EXISTS "{WITH_LAKE}_{d}" AS SELECT {lake_cols} '
                    f'FROM main."{lake}" UNION ALL SELECT {listed} FROM temp."{table}"'
                )
            if d != dataset or have is None:
                continue
            for model in self.models.get(dataset, []):
                screens = model.spec.screens
                assert screens is not None
                if not screens.keep_lake:
                    continue
                same = " AND ".join(
                    f"({translate_expr(t, 'l2')}) = ({translate_expr(t, 'c')})"
                    for t in screens.match.values()
                )
                con.execute(
                    f'CREATE TEMP VIEW IF NOT EXISTS "{WITH_LAKE}_{model.spec.id}" AS '
                    f'SELECT {lake_cols} FROM main."{lake}" WHERE rowid IN ('
                    f'SELECT l2.rowid FROM temp."{table}" AS c JOIN main."{lake}" AS l2 '
                    f'ON {same}) UNION ALL SELECT {listed} FROM temp."{table}"'
                )
        ready.add(dataset)

    def _read_snapshot(self) -> Snapshot:
        from qingfeng.lake.location import lake_root

        raw = lake_root(self.settings).read_bytes("_catalogue.json")
        if raw is None:
            return Snapshot(id="empty", published_at=None, batches=0)
        try:
            batches = json.loads(raw).get("batches", [])
        except (ValueError, AttributeError):
            batches = []
        times = [
            str(b["created_at"]) for b in batches if isinstance(b, dict) and b.get("created_at")
        ]
        return Snapshot(
            id=hashlib.sha256(raw).hexdigest()[:16],
            published_at=max(times) if times else None,
            batches=len(batches),
        )

    def close(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.close()
                self._engine = None

    # ---- screening ----------------------------------------------------------------------
    def datasets(self) -> list[str]:
        return sorted(self.models)

    def screen(
        self,
        dataset: str,
        candidates: list[Any],
        *,
        today: dt.date | None = None,
        refused: dict[int, list[RowError]] | None = None,
    ) -> Outcome:
        """Screen `candidates` of `dataset`; `refused`: candidates the caller turned away
        already (outside the key's areas), answered with those errors."""
        started = time.perf_counter()
        models = self.models.get(dataset)
        if not models:
            raise ScreeningError(
                f"没有模型筛查数据集 {dataset} / no model screens the dataset {dataset!r} "
                f"(screened: {', '.join(self.datasets()) or 'none'})"
            )
        engine, snapshot = self.engine()
        store, lite = self._lite
        if (
            store is not None
            and len(candidates) <= LITE_ROWS
            and all(m.spec.id in lite for m in models)
        ):
            session = self._thread_session(engine)
            prepared = session.preparer.prepare(dataset, candidates, today=today, python=True)
            for index, errors in (refused or {}).items():
                prepared.errors.setdefault(index, []).extend(errors)
            reasons = self._evaluate_lite(store, lite, dataset, models, prepared)
        else:
            session, snapshot = self._session(dataset)
            prepared = session.preparer.prepare(dataset, candidates, today=today)
            for index, errors in (refused or {}).items():
                prepared.errors.setdefault(index, []).extend(errors)
            self._drop_errors(session.con, prepared)
            reasons = self._evaluate(session.con, models, prepared_statements=True)
        results = []
        for i, candidate in enumerate(candidates):
            ref = candidate.get("ref") if isinstance(candidate, dict) else None
            if i in prepared.errors:
                results.append(CandidateResult(i, _ref(ref), None, [], prepared.errors[i]))
                continue
            found = reasons.get(i, [])
            decision = strictest([r.decision for r in found])
            results.append(CandidateResult(i, _ref(ref), decision, found))
        return Outcome(
            dataset=dataset,
            snapshot=snapshot,
            results=results,
            models=[m.spec.id for m in models],
            duration_ms=(time.perf_counter() - started) * 1000,
        )

    def _thread_session(self, engine: Engine) -> _Session:
        session = getattr(self._local, "session", None)
        if session is None or session.engine is not engine:
            session = _Session(engine, self.memos)
            self._local.session = session
        return session

    def _session(self, dataset: str) -> tuple[_Session, Snapshot]:
        """This thread's cursor on the current lake, its tables, views and prepared
        statements for `dataset` made at first use."""
        engine, snapshot = self.engine()
        session = self._thread_session(engine)
        self._ready(session, dataset)
        return session, snapshot

    def _ready(self, session: _Session, dataset: str) -> None:
        """The session's candidate tables, views and prepared statements for `dataset`."""
        if dataset in session.ready:
            return
        con = session.con
        tables = {}
        for d in [dataset, *[k.id for k in children_of(dataset)]]:
            normaliser = session.preparer.normaliser(d)
            normaliser.plan()
            tables[d] = normaliser.table
        self._views(con, Prepared(dataset=dataset, tables=tables))
        self._keyed_views(con, dataset, tables[dataset])
        for model in self.models[dataset]:
            con.execute(f"PREPARE {_statement(model)} AS {model.sql}")
        session.ready.add(dataset)

    def _evaluate_lite(
        self,
        store: LiteStore,
        lite: dict[str, _LiteModel],
        dataset: str,
        models: list[_ScreenModel],
        prepared: Prepared,
    ) -> dict[int, list[Reason]]:
        """The models over the candidates in SQLite (`prepared.rows`)."""
        con = store.connection()
        self._lite_views(con, dataset, store)
        bad = prepared.errors
        for d, rows in (prepared.rows or {}).items():
            table = f"{CANDIDATES}_{d}"
            con.execute(f'DELETE FROM temp."{table}"')
            keep = [tuple(map(sqlite_value, r)) for r in rows if r[1] not in bad]
            if keep:
                marks = ", ".join("?" for _ in keep[0])
                con.executemany(f'INSERT INTO temp."{table}" VALUES ({marks})', keep)
        reasons: dict[int, list[Reason]] = {}
        for model in models:
            lm = lite[model.spec.id]
            hits: dict[Any, tuple[Any, list[int]]] = {}
            for row in con.execute(lm.sql).fetchall():
                entry = hits.setdefault(row[-2], (row[:-2], []))
                entry[1].append(int(row[-1]))
            if not hits:
                continue
            rows = [
                (*(f(v) for f, v in zip(lm.convert, values, strict=True)), refs)
                for values, refs in hits.values()
            ]
            for index, reason in self._reasons(
                model, [*lm.names, REFS], [*lm.types, "BIGINT[]"], rows
            ):
                reasons.setdefault(index, []).append(reason)
        return reasons

    def _evaluate(
        self, con: Any, models: list[_ScreenModel], *, prepared_statements: bool = False
    ) -> dict[int, list[Reason]]:
        reasons: dict[int, list[Reason]] = {}
        for model in models:
            sql = f"EXECUTE {_statement(model)}" if prepared_statements else model.sql
            for index, reason in self._run(con, model, sql):
                reasons.setdefault(index, []).append(reason)
        return reasons

    def screen_files(
        self, dataset: str, files: dict[str, list[str]], *, today: dt.date | None = None
    ) -> tuple[Snapshot, dict[int, list[Reason]], Any]:
        """Screen rows already normalised by ingest (Parquet files per dataset, e.g. a pay list
        ingested into a scratch lake). A candidate's ref is its position in the files
        (`_batch_id`, `_source_row` of each ref in the returned DuckDB relation's rows)."""
        models = self.models.get(dataset)
        if not models:
            raise ScreeningError(f"no model screens the dataset {dataset!r}")
        today = today or dt.date.today()
        engine, snapshot = self.engine()
        con = engine.con.cursor()  # type: ignore[attr-defined]
        try:
            main = f"{CANDIDATES}_{dataset}"
            con.execute(
                f'CREATE OR REPLACE TEMP TABLE "{main}" AS SELECT '
                f"CAST(row_number() OVER () - 1 AS BIGINT) AS {REF}, "
                f"CAST(row_number() OVER () - 1 AS BIGINT) AS {PARENT}, "
                f"* {_date_default(dataset, today)}, CAST([] AS VARCHAR[]) AS __problems "
                f"FROM {_scan(files[dataset])}"
            )
            tables = {dataset: main}
            for kid in children_of(dataset):
                if kid.id not in files or kid.parent is None:
                    continue
                table = f"{CANDIDATES}_{kid.id}"
                on = " AND ".join(f'c."{a}" = p."{b}"' for a, b in kid.parent.link.items())
                con.execute(
                    f'CREATE OR REPLACE TEMP TABLE "{table}" AS SELECT '
                    f"CAST(row_number() OVER () - 1 AS BIGINT) AS {REF}, p.{REF} AS {PARENT}, "
                    f"c.*, CAST([] AS VARCHAR[]) AS __problems FROM {_scan(files[kid.id])} AS c "
                    f'LEFT JOIN "{main}" AS p ON {on}'
                )
                tables[kid.id] = table
            count = con.execute(f'SELECT count(*) FROM "{main}"').fetchone()[0]
            prepared = Prepared(dataset=dataset, tables=tables, count=int(count))
            self._views(con, prepared)
            self._keyed_views(con, dataset, main)
            reasons = self._evaluate(con, models)
            rows = con.execute(
                f'SELECT {REF}, _batch_id, _source_row FROM "{main}" ORDER BY {REF}'
            ).fetchnumpy()
        finally:
            con.close()
        return snapshot, reasons, rows

    def _drop_errors(self, con: Any, prepared: Prepared) -> None:
        """Candidates with an error are answered with it, never screened."""
        bad = sorted(prepared.errors)
        if not bad:
            return
        for dataset, table in prepared.tables.items():
            column = REF if dataset == prepared.dataset else PARENT
            con.execute(f'DELETE FROM "{table}" WHERE "{column}" IN ({", ".join(map(str, bad))})')

    def _views(self, con: Any, prepared: Prepared) -> None:
        for dataset, table in prepared.tables.items():
            cols = "* EXCLUDE (__ref, __parent, __problems)"
            con.execute(
                f'CREATE OR REPLACE TEMP VIEW "{ONLY}_{dataset}" AS SELECT {cols} FROM "{table}"'
            )
            con.execute(
                f'CREATE OR REPLACE TEMP VIEW "{WITH_LAKE}_{dataset}" AS '
                f'SELECT * FROM "{self._lake_table(dataset)}" '
                f'UNION ALL BY NAME SELECT {cols} FROM "{table}"'
            )

    def _lake_table(self, dataset: str) -> str:
        """The in-memory copy of a lake table when the snapshot holds one, else its view."""
        return warm_name(dataset) if dataset in self.warm_rows else dataset

    def _keyed_views(self, con: Any, dataset: str, table: str) -> None:
        """For a model that keeps the lake's rows: those rows whose `match` expressions equal a
        candidate's, beside the candidates. A hit of such a model depends only on rows of its
        own key (already paid: the person, benefit and period; a shared account: the account
        and period), so the rest of the lake is never aggregated."""
        cols = "* EXCLUDE (__ref, __parent, __problems)"
        for model in self.models.get(dataset, []):
            screens = model.spec.screens
            assert screens is not None
            if not screens.keep_lake:
                continue
            same = " AND ".join(
                f"({_qualified(text, 'l')}) = ({_qualified(text, 'c')})"
                for text in screens.match.values()
            )
            con.execute(
                f'CREATE OR REPLACE TEMP VIEW "{WITH_LAKE}_{model.spec.id}" AS '
                f'SELECT l.* FROM "{self._lake_table(dataset)}" AS l '
                f'SEMI JOIN "{table}" AS c ON {same} '
                f'UNION ALL BY NAME SELECT {cols} FROM "{table}"'
            )

    def _run(self, con: Any, model: _ScreenModel, sql: str) -> list[tuple[int, Reason]]:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description or []]
        types = [str(d[1]) for d in cursor.description or []]
        rows = cursor.fetchall()
        if not rows:
            return []
        return self._reasons(model, names, types, rows)

    def _reasons(
        self, model: _ScreenModel, names: list[str], types: list[str], rows: list[Any]
    ) -> list[tuple[int, Reason]]:
        """Hit rows (with the refs of the candidates each matches) as reasons per candidate."""
        keep = [i for i, n in enumerate(names) if n != REFS and not n.startswith(MATCH)]
        refs_at = names.index(REFS)
        sid, per = names.index(HIT_FIELDS["subject_id"]), names.index(HIT_FIELDS["period"])
        owners: dict[tuple[str, str], set[int]] = {}
        for row in rows:
            owners.setdefault((str(row[sid]), str(row[per])), set()).update(row[refs_at])
        columns = Columns(
            [names[i] for i in keep],
            [[row[i] for row in rows] for i in keep],
            frozenset(names[i] for i in keep if types[i] == "VARCHAR"),
        )
        hits, _ = columns_to_hits(model.compiled, columns)
        decision = self.config.decision_for(model.spec.id)
        spec = model.spec
        basis = [b.model_dump(exclude_none=True) for b in spec.legal_basis]
        out = []
        for hit in hits:
            for index in sorted(owners.get((hit.subject_id, hit.period), ())):
                out.append((index, _reason(spec, hit, decision, basis)))
        return out


def _qualified(text: str, table: str) -> str:
    """A match expression over the columns of `table`."""
    problems: Any = type("P", (), {"add": lambda *a, **k: None})()
    expr = parse_expr(text, ("screens",), problems)
    assert expr is not None  # checked by the compiler
    return expr.transform(
        lambda n: exp.column(n.name, table=table) if isinstance(n, exp.Column) else n
    ).sql("duckdb")


class _Session:
    """One thread's cursor on one lake engine: candidate tables, views, prepared statements."""

    def __init__(self, engine: Engine, memos: dict[str, Any] | None = None) -> None:
        self.engine = engine
        self.con = engine.con.cursor()  # type: ignore[attr-defined]
        self.preparer = Preparer(self.con, CANDIDATES, memos)
        self.ready: set[str] = set()


def _join_columns(
    tree: exp.Expression, tables: dict[str, list[tuple[str, str]]], out: dict[str, set[str]]
) -> None:
    """The columns of `tables` a query compares for equality with another column: the
    columns to index so that its joins are lookups."""
    read = {t.name for t in tree.find_all(exp.Table) if t.name in tables}
    for eq in tree.find_all(exp.EQ):
        for side in (eq.this, eq.expression):
            other = eq.expression if side is eq.this else eq.this
            if not isinstance(side, exp.Column) or not other.find(exp.Column):
                continue
            for name in read:
                if any(c == side.name for c, _ in tables[name]):
                    out.setdefault(name, set()).add(side.name)


def _statement(model: _ScreenModel) -> str:
    return f"qf_screen_{model.spec.id}"


def _scan(files: list[str]) -> str:
    paths = ", ".join("'" + str(p).replace("'", "''") + "'" for p in files)
    return f"read_parquet([{paths}], union_by_name = true)"


def _date_default(dataset: str, today: dt.date) -> str:
    """`REPLACE (...)`: the dataset's date, when a row has none, is the day of screening."""
    from qingfeng.dataspec import load_catalogue

    name = load_catalogue()[dataset].timeliness_field
    if not name:
        return ""
    return f'REPLACE (COALESCE("{name}", DATE \'{today.isoformat()}\') AS "{name}")'


def _ref(value: Any) -> str | None:
    return None if value is None else str(value)[:200]


def _reason(spec: ModelSpec, hit: Hit, decision: Decision, basis: list[dict[str, Any]]) -> Reason:
    return Reason(
        model_id=spec.id,
        model_version=spec.version,
        model_name=spec.name.zh,
        model_name_en=spec.name.en,
        decision=decision,
        severity=hit.severity,
        sentence=hit.explanation,
        period=hit.period,
        amount=hit.amount,
        evidence={k: json_value(v) for k, v in hit.evidence.items()},
        legal_basis=basis,
    )
