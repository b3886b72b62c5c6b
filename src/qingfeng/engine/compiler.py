"""Compile a model spec into one sqlglot syntax tree, then render it per dialect.

spec ──► logic tree (parsed SQL, or built from a matching rule) ──► checks (allow-list, inputs,
prohibited fields, parameters, columns) ──► parameters bound as literals ──► hit query:

    SELECT CAST(<subject id> AS VARCHAR) AS __subject_id, ..., CASE ... END AS __severity,
           <evidence columns>, <text of the sentence's other values>
    FROM (<logic>) AS m

The hit query returns only values: the sentence (`explanation`) is put together from them in
Python (`HitLayout`), each value as the engine's own `CAST(... AS VARCHAR)` text, so it reads the
same as before and on every engine. A single severity level, and a model without an amount, are
constants of the layout, not columns. Evidence columns that are certainly dates (inferred from
the inputs' column types) come back as ISO text.

Every problem found is collected (with its location in the spec) before anything is raised.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify

from qingfeng.engine import dialects
from qingfeng.engine.dataspec_port import PROHIBITED, Catalogue, default_catalogue
from qingfeng.engine.errors import ModelSpecError, Problem
from qingfeng.engine.literals import literal
from qingfeng.engine.matching import build_match
from qingfeng.engine.spec import MatchLogic, ModelSpec, SqlLogic

SOURCE_DIALECT = "duckdb"  # models are written in DuckDB's SQL

# Names of the hit fields in the compiled query's output; logic columns may not start with "__".
HIT_FIELDS = {
    "subject_id": "__subject_id",
    "subject_name": "__subject_name",
    "period": "__period",
    "severity": "__severity",
    "amount": "__amount",
    "division_code": "__division_code",
}
ROUTE_PREFIX = "__route_"  # text of the column a route step reads (qingfeng.engine.routing)
TEXT_PREFIX = "__text_"  # columns holding the text of a sentence value (CAST ... AS VARCHAR)
NULL_TEXT = "（空）"  # how a missing value reads in a sentence


@dataclass(frozen=True)
class SentenceValue:
    """Where one {placeholder} of the sentence comes from: a result column whose values are
    already the engine's text of the value (`exact`), a result column of VARCHAR values by type
    inference (`exact=False`: checked per run), or a constant text."""

    column: str | None
    constant: str | None = None
    exact: bool = True


@dataclass(frozen=True)
class HitLayout:
    """How the hit query's columns become hits."""

    severity: str | None  # the one level of a single-rule model (no __severity column)
    amount: bool  # __amount is a column: the text of a DECIMAL(18, 2)
    literals: tuple[str, ...]  # the sentence's text around its values: one more than values
    values: tuple[SentenceValue, ...]


@dataclass(frozen=True)
class CompiledModel:
    """A model bound to parameter values, ready to render for any dialect."""

    spec: ModelSpec
    parameters: dict[str, Any]
    tree: exp.Select
    logic_columns: tuple[str, ...]
    carried: tuple[str, ...]  # logic columns returned beside the hit fields
    layout: HitLayout
    _sql: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def inputs(self) -> tuple[str, ...]:
        return tuple(self.spec.inputs)

    def sql(self, dialect: str = "duckdb", *, pretty: bool = True) -> str:
        key = f"{dialect}:{pretty}"
        if key not in self._sql:
            self._sql[key] = dialects.render(self.tree, dialect, pretty=pretty)
        return self._sql[key]


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, loc: tuple[Any, ...], message: str, line_offset: int = 0) -> None:
        problem = Problem(message=message, loc=loc, line=line_offset or None)
        if problem not in self.problems:
            self.problems.append(problem)


def _line(node: exp.Expr) -> int:
    """Line (1-based, within the SQL text) of the first identifier in `node`, or 0 if unknown."""
    for child in node.walk():
        if isinstance(child, exp.Identifier) and child.meta.get("line"):
            return int(child.meta["line"])
    return 0


def _parse_sql(text: str, loc: tuple[Any, ...], out: _Collector) -> exp.Expr | None:
    try:
        statements = sqlglot.parse(text, read=SOURCE_DIALECT)
    except ParseError as exc:
        for err in exc.errors or [{"description": str(exc), "line": None}]:
            line = err.get("line")
            out.add(loc, f"SQL syntax error: {err.get('description')}", line_offset=line or 0)
        return None
    statements = [s for s in statements if s is not None]
    if len(statements) != 1:
        out.add(loc, f"expected exactly one SELECT statement, found {len(statements)}")
        return None
    tree = statements[0]
    if not isinstance(tree, exp.Query):
        out.add(loc, f"expected a SELECT query, found {type(tree).__name__}")
        return None
    return tree


def _parse_expr(text: str, loc: tuple[Any, ...], out: _Collector) -> exp.Expr | None:
    try:
        tree = sqlglot.parse_one(text, read=SOURCE_DIALECT)
    except ParseError as exc:
        out.add(loc, f"expression syntax error in {text!r}: {exc.errors[0]['description']}")
        return None
    if isinstance(tree, exp.Query):
        out.add(loc, f"expected an expression, found a query: {text!r}")
        return None
    return tree


def _check_allowed(tree: exp.Expr, loc: tuple[Any, ...], out: _Collector) -> None:
    for node in tree.walk():
        reason = dialects.check_node(node)
        if reason:
            out.add(loc, reason, _line(node))


def _check_params(tree: exp.Expr, spec: ModelSpec, loc: tuple[Any, ...], out: _Collector):
    for ph in tree.find_all(exp.Placeholder):
        name = ph.name
        if not name:
            out.add(loc, "positional parameters (?) are not allowed; use :name")
        elif name not in spec.parameters:
            known = ", ".join(sorted(spec.parameters)) or "none"
            out.add(loc, f"unknown parameter :{name} (declared: {known})")


def _cte_names(tree: exp.Expr) -> set[str]:
    return {cte.alias_or_name for cte in tree.find_all(exp.CTE)}


def _check_tables_and_fields(
    tree: exp.Expr,
    spec: ModelSpec,
    catalogue: Catalogue,
    loc: tuple[Any, ...],
    out: _Collector,
) -> None:
    ctes = _cte_names(tree)
    for cte in tree.find_all(exp.CTE):
        name = cte.alias_or_name
        if name in spec.inputs or catalogue.has_dataset(name):
            out.add(
                loc,
                f"WITH {name} AS (...) has the name of the dataset {name}: name it differently "
                "(it would hide the dataset from the field checks)",
                _line(cte),
            )
    aliases: dict[str, str] = {}  # alias (or bare name) -> dataset id
    for table in tree.find_all(exp.Table):
        if isinstance(table.this, exp.Func):  # a table function: range(...) AS t(i)
            continue
        if table.args.get("db") or table.args.get("catalog"):
            out.add(loc, f"table {table.sql()} must be a bare dataset id", _line(table))
            continue
        name = table.name
        if name in ctes:
            continue
        if name not in spec.inputs:
            out.add(loc, f"table {name} is read but not declared in inputs", _line(table))
            continue
        aliases[table.alias_or_name] = name
    used = set(aliases.values())

    def prohibited(dataset: str, column: str) -> bool:
        return catalogue.field_sensitivity(dataset, column) == PROHIBITED

    for column in tree.find_all(exp.Column):
        if isinstance(column.this, exp.Star):
            dataset = aliases.get(column.table)
            if dataset and any(prohibited(dataset, f) for f in catalogue.fields(dataset)):
                out.add(
                    loc, f"{column.sql()} would read prohibited fields of {dataset}", _line(column)
                )
            continue
        name = column.name
        if column.table:
            dataset = aliases.get(column.table)
            candidates = [dataset] if dataset else []
            fields = catalogue.fields(dataset) if dataset else {}
            if dataset and fields and name not in fields:
                out.add(loc, f"dataset {dataset} has no field {name}", _line(column))
        else:
            candidates = sorted(used)
        for dataset in candidates:
            if prohibited(dataset, name):
                out.add(
                    loc,
                    f"field {dataset}.{name} is of the prohibited class and may not be used "
                    "by any model (隐私数据禁止使用)",
                    _line(column),
                )
    for star in tree.find_all(exp.Star):
        if isinstance(star.parent, (exp.Count, exp.Column)):
            continue
        for dataset in sorted(used):
            if any(prohibited(dataset, f) for f in catalogue.fields(dataset)):
                out.add(
                    loc, f"SELECT * would read prohibited fields of {dataset}; name the columns"
                )


def _output_columns(tree: exp.Expr, loc: tuple[Any, ...], out: _Collector) -> list[str]:
    select = tree
    while isinstance(select, exp.SetOperation):
        select = select.this
    if not isinstance(select, exp.Select):
        return []
    names: list[str] = []
    for projection in select.expressions:
        if isinstance(projection, exp.Star) or (
            isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star)
        ):
            out.add(loc, "the final SELECT must name its columns (no *)")
            continue
        name = projection.alias_or_name
        if not name:
            out.add(loc, f"give the output column {projection.sql()} a name (AS ...)")
            continue
        if name.startswith("__"):
            out.add(loc, f"output column {name}: names starting with __ are reserved")
        names.append(name)
    seen = set()
    for name in names:
        if name in seen:
            out.add(loc, f"output column {name} appears twice")
        seen.add(name)
    return names


def _check_refs(tree: exp.Expr, outputs: list[str], loc: tuple[Any, ...], out: _Collector) -> None:
    for column in tree.find_all(exp.Column):
        if column.table:
            out.add(loc, f"refer to the logic's columns by name only, not {column.sql()}")
        elif column.name not in outputs:
            out.add(
                loc,
                f"unknown column {column.name}; the logic gives: {', '.join(outputs) or 'none'}",
            )


def bind(tree: exp.Expr, values: dict[str, Any]) -> exp.Expr:
    def rewrite(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Placeholder) and node.name in values:
            return literal(values[node.name])
        return node

    return tree.transform(rewrite)


def explanation_fields(template: str) -> list[str]:
    """The {placeholders} of an explanation template, in order; raises ValueError if malformed."""
    names = []
    for _, name, spec, conv in string.Formatter().parse(template):
        if name is None:
            continue
        if not name.isidentifier() or spec or conv:
            raise ValueError(f"placeholder {{{name}}} must be a plain column name")
        names.append(name)
    return names


def _logic_tree(
    spec: ModelSpec, catalogue: Catalogue, out: _Collector
) -> tuple[exp.Expr | None, tuple[Any, ...]]:
    if isinstance(spec.logic, SqlLogic):
        loc: tuple[Any, ...] = ("logic", "sql")
        return _parse_sql(spec.logic.sql, loc, out), loc
    assert isinstance(spec.logic, MatchLogic)

    loc = ("logic", "match")
    return build_match(spec.logic.match, out.add), loc


def check_and_build(
    spec: ModelSpec,
    parameters: dict[str, Any] | None = None,
    catalogue: Catalogue | None = None,
) -> tuple[CompiledModel | None, list[Problem]]:
    """Check everything that can be wrong with `spec`; build the hit query when nothing is."""
    catalogue = catalogue or default_catalogue()
    out = _Collector()

    for i, dataset in enumerate(spec.inputs):
        if not catalogue.has_dataset(dataset):
            out.add(("inputs", i), f"unknown dataset {dataset} (not in the catalogue)")

    logic, logic_loc = _logic_tree(spec, catalogue, out)
    outputs: list[str] = []
    if logic is not None:
        _check_allowed(logic, logic_loc, out)
        _check_params(logic, spec, logic_loc, out)
        _check_tables_and_fields(logic, spec, catalogue, logic_loc, out)
        outputs = _output_columns(logic, logic_loc, out)

    exprs: dict[str, exp.Expr | None] = {}
    texts: list[tuple[str, tuple[Any, ...], str | None]] = [
        ("subject_id", ("subject", "id"), spec.subject.id),
        ("subject_name", ("subject", "name"), spec.subject.name),
        ("period", ("period",), spec.period),
        ("amount", ("amount",), spec.amount),
        ("division_code", ("division",), spec.division),
    ]
    texts += [
        (f"severity{i}", ("severity", i, "when"), rule.when) for i, rule in enumerate(spec.severity)
    ]
    texts += [(f"route{i}", ("route", i), step.column) for i, step in enumerate(spec.route)]
    for key, loc, text in texts:
        if text is None:
            exprs[key] = None
            continue
        tree = _parse_expr(text, loc, out)
        exprs[key] = tree
        if tree is not None:
            _check_allowed(tree, loc, out)
            _check_params(tree, spec, loc, out)
            if logic is not None:
                _check_refs(tree, outputs, loc, out)

    for i, column in enumerate(spec.evidence):
        if logic is not None and column not in outputs:
            out.add(("evidence", i), f"evidence column {column} is not an output of the logic")
    if spec.screens is not None:
        _check_screens(spec, outputs if logic is not None else None, catalogue, out)
    try:
        placeholders = explanation_fields(spec.explanation)
    except ValueError as exc:
        out.add(("explanation",), str(exc))
        placeholders = []
    for name in placeholders:
        if logic is not None and name not in outputs and name not in HIT_FIELDS:
            out.add(
                ("explanation",),
                f"placeholder {{{name}}} is neither a logic column nor one of "
                f"{', '.join(HIT_FIELDS)}",
            )

    for i, case in enumerate(spec.tests):
        for table in case.tables:
            if table not in spec.inputs:
                out.add(("tests", i, "tables", table), f"table {table} is not in inputs")
        for name, value in case.parameters.items():
            if name not in spec.parameters:
                out.add(("tests", i, "parameters", name), f"unknown parameter {name}")
            else:
                try:
                    spec.parameters[name].coerce(value)
                except ValueError as exc:
                    out.add(("tests", i, "parameters", name), str(exc))

    try:
        values = spec.parameter_values(parameters)
    except ValueError as exc:
        out.add(("parameters",), str(exc))
        values = {}

    if out.problems or logic is None:
        return None, out.problems

    carried = list(dict.fromkeys(spec.evidence))
    types = _output_types(logic, spec, catalogue)
    tree, layout = _hit_query(logic, exprs, spec, carried, outputs, types)
    tree = bind(tree, values)
    assert isinstance(tree, exp.Select)
    compiled = CompiledModel(
        spec=spec,
        parameters=values,
        tree=tree,
        logic_columns=tuple(outputs),
        carried=tuple(carried),
        layout=layout,
    )
    return compiled, []


def _check_screens(
    spec: ModelSpec, outputs: list[str] | None, catalogue: Catalogue, out: _Collector
) -> None:
    """`screens:` names an input the candidates stand in for, and matches logic columns."""
    screens = spec.screens
    assert screens is not None
    if screens.dataset not in spec.inputs:
        out.add(("screens", "dataset"), f"screened dataset {screens.dataset} is not in inputs")
    for column, text in screens.match.items():
        if outputs is not None and column not in outputs:
            out.add(("screens", "match", column), f"{column} is not an output of the logic")
        tree = _parse_expr(text, ("screens", "match", column), out)
        if tree is not None:
            _check_allowed(tree, ("screens", "match", column), out)
            if any(tree.find_all(exp.Placeholder)):
                out.add(("screens", "match", column), "a match expression takes no parameters")


def _input_schema(spec: ModelSpec, catalogue: Catalogue) -> dict[str, object]:
    """Column types of the model's inputs, for type inference."""
    schema: dict[str, object] = {}
    for dataset in spec.inputs:
        fields = {name: info.type for name, info in catalogue.fields(dataset).items() if info.type}
        if fields:
            schema[dataset] = fields
    return schema


DATE, TEXT, DECIMAL = "DATE", "VARCHAR", "DECIMAL"


def _output_types(logic: exp.Expr, spec: ModelSpec, catalogue: Catalogue) -> dict[str, str]:
    """Logic output columns whose type sqlglot infers with certainty from the inputs' column
    types: DATE, DECIMAL or VARCHAR; empty when the inference fails or is not sure. Evidence
    dates and decimals are returned as text by SQL ('2024-05-01', '1200.50': what json_value
    gives) rather than formatted value by value in Python; VARCHAR values go into the sentence as
    they are."""
    schema = _input_schema(spec, catalogue)
    if not schema:
        return {}
    try:
        tree = qualify(
            logic.copy(),
            schema=schema,
            dialect=SOURCE_DIALECT,
            validate_qualify_columns=False,
            identify=False,
        )
        tree = annotate_types(tree, schema=schema, dialect=SOURCE_DIALECT)
    except Exception:  # inference is an optimisation: unknown types take the general path
        return {}
    if not isinstance(tree, exp.Select):
        return {}  # a union's branches may differ
    nodes = list(tree.walk())
    sure_dates = not any(_unsure_date(n) for n in nodes)  # a doubtful one may flow out
    sure_decimals = not any(_unsure_decimal(n) for n in nodes)
    types = {}
    for projection in tree.expressions:
        kind = projection.type
        if kind is None:
            continue
        if kind.is_type(exp.DataType.Type.DATE) and sure_dates:
            types[projection.alias_or_name] = DATE
        elif kind.is_type(exp.DataType.Type.DECIMAL) and sure_decimals:
            types[projection.alias_or_name] = DECIMAL
        elif kind.is_type(*exp.DataType.TEXT_TYPES):
            types[projection.alias_or_name] = TEXT
    return types


_EXACT_NUMBERS = (
    exp.DataType.Type.DECIMAL,
    *exp.DataType.INTEGER_TYPES,
    exp.DataType.Type.NULL,
)


def _unsure_decimal(node: exp.Expr) -> bool:
    """A value sqlglot types DECIMAL that DuckDB may make a DOUBLE: a division, or an operation
    with a value that is not an exact number (DECIMAL * DOUBLE, COALESCE(decimal, double))."""
    kind = getattr(node, "type", None)
    if kind is None or not kind.is_type(exp.DataType.Type.DECIMAL):
        return False
    if isinstance(node, (exp.Div, exp.Anonymous)):
        return True
    if isinstance(node, (exp.Column, exp.Cast, exp.Alias, exp.Literal, exp.Subquery)):
        return False
    for child in node.iter_expressions():
        if isinstance(child, (exp.If, exp.Window, exp.WindowSpec, exp.Order, exp.Ordered)):
            continue  # CASE's branches are checked as its own If nodes; windows hold no values
        child_kind = getattr(child, "type", None)
        if child_kind is None or not child_kind.is_type(*_EXACT_NUMBERS):
            return True
    return False


_CHOICES = (exp.Greatest, exp.Least, exp.Coalesce, exp.Case, exp.If, exp.Nullif)


def _unsure_date(node: exp.Expr) -> bool:
    """A choice between values (GREATEST, LEAST, COALESCE, CASE, IF) typed DATE by sqlglot while
    one of its values is not a date: DuckDB may make it a TIMESTAMP (LEAST(date, timestamp))."""
    if not isinstance(node, _CHOICES) or node.type is None:
        return False
    if not node.type.is_type(exp.DataType.Type.DATE):
        return False
    if isinstance(node, exp.Case):
        values = [branch.args.get("true") for branch in node.args.get("ifs") or []]
        values.append(node.args.get("default"))
    elif isinstance(node, exp.If):
        values = [node.args.get("true"), node.args.get("false")]
    else:
        values = [node.this, *node.expressions]
    for value in values:
        if value is None or isinstance(value, exp.Null):
            continue
        if value.type is None or not value.type.is_type(exp.DataType.Type.DATE):
            return True
    return False


def _hit_query(
    logic: exp.Expr,
    exprs: dict[str, exp.Expr | None],
    spec: ModelSpec,
    carried: list[str],
    outputs: list[str],
    types: dict[str, str],
) -> tuple[exp.Select, HitLayout]:
    def as_text(node: exp.Expr | None) -> exp.Expr:
        if node is None:
            return exp.Cast(this=exp.Null(), to=exp.DataType.build("VARCHAR"))
        return exp.Cast(this=node.copy(), to=exp.DataType.build("VARCHAR"))

    ifs = []
    default: exp.Expr = exp.Literal.string(spec.severity[-1].level)
    for i, rule in enumerate(spec.severity[:-1]):
        condition = exprs[f"severity{i}"]
        assert condition is not None
        ifs.append(exp.If(this=condition.copy(), true=exp.Literal.string(rule.level)))
    severity: exp.Expr | None = exp.Case(ifs=ifs, default=default) if ifs else None
    amount_expr = exprs["amount"]
    amount = (
        exp.Cast(
            this=exp.Cast(this=amount_expr.copy(), to=exp.DataType.build("DECIMAL(18, 2)")),
            to=exp.DataType.build("VARCHAR"),
        )
        if amount_expr is not None
        else None
    )

    projections: list[exp.Expr] = [
        exp.alias_(as_text(exprs["subject_id"]), HIT_FIELDS["subject_id"]),
        exp.alias_(as_text(exprs["subject_name"]), HIT_FIELDS["subject_name"]),
        exp.alias_(as_text(exprs["period"]), HIT_FIELDS["period"]),
    ]
    if severity is not None:
        projections.append(exp.alias_(severity, HIT_FIELDS["severity"]))
    if amount is not None:
        projections.append(exp.alias_(amount, HIT_FIELDS["amount"]))
    projections.append(exp.alias_(as_text(exprs["division_code"]), HIT_FIELDS["division_code"]))
    for i in range(len(spec.route)):
        if exprs.get(f"route{i}") is not None:  # the lookup runs after the model (routing.py)
            projections.append(exp.alias_(as_text(exprs[f"route{i}"]), f"{ROUTE_PREFIX}{i}"))
    as_texts = {c for c in carried if types.get(c) in (DATE, DECIMAL)}
    for c in carried:
        if c in as_texts:  # '2024-05-01', '1200.50': what json_value would make of the value
            projections.append(exp.alias_(as_text(exp.column(c)), c))
        else:
            projections.append(exp.column(c))

    # The sentence: each value as the engine's CAST(... AS VARCHAR) text, NULL as NULL_TEXT.
    literals: list[str] = [""]
    values: list[SentenceValue] = []
    texts: dict[str, str] = {}  # logic column -> its __text_ column
    for literal_text, name, _, _ in string.Formatter().parse(spec.explanation):
        literals[-1] += literal_text
        if name is None:
            continue
        literals.append("")
        if name in outputs:  # a logic column (it shadows a hit field of the same name)
            if name in as_texts:
                values.append(SentenceValue(column=name))
            elif name in carried and types.get(name) == TEXT:
                values.append(SentenceValue(column=name, exact=False))
            else:
                if name not in texts:
                    texts[name] = f"{TEXT_PREFIX}{len(texts)}"
                    projections.append(exp.alias_(as_text(exp.column(name)), texts[name]))
                values.append(SentenceValue(column=texts[name]))
        elif name == "severity" and severity is None:
            values.append(SentenceValue(column=None, constant=spec.severity[-1].level))
        elif name == "amount" and amount is None:
            values.append(SentenceValue(column=None, constant=None))
        else:
            values.append(SentenceValue(column=HIT_FIELDS[name]))
    layout = HitLayout(
        severity=spec.severity[-1].level if severity is None else None,
        amount=amount is not None,
        literals=tuple(literals),
        values=tuple(values),
    )
    subquery = exp.Subquery(this=logic.copy(), alias=exp.TableAlias(this=exp.to_identifier("m")))
    return exp.select(*projections).from_(subquery), layout


def compile_model(
    spec: ModelSpec,
    parameters: dict[str, Any] | None = None,
    catalogue: Catalogue | None = None,
) -> CompiledModel:
    """The compiled model, or ModelSpecError listing every problem."""
    default = not parameters and catalogue is None
    if default and spec._compiled is not None:
        return spec._compiled
    compiled, problems = check_and_build(spec, parameters, catalogue)
    if compiled is None:
        raise ModelSpecError(problems, source=spec.id)
    if default:
        spec._compiled = compiled
    return compiled
