"""DuckDBEngine: the embedded default, over the lake's views or inline tables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import duckdb
from sqlglot import exp

from qingfeng.engine.engines.base import Columns, Engine
from qingfeng.engine.errors import EngineError

if TYPE_CHECKING:
    from qingfeng.settings import Settings


# DuckDB types whose NumPy form turns back into the same Python values as fetchall gives
# (NULLs come back masked, i.e. None). DECIMAL would become float, DATE a datetime.
_NUMPY_EXACT = frozenset(
    {"VARCHAR", "BIGINT", "INTEGER", "SMALLINT", "TINYINT", "BOOLEAN", "DOUBLE", "UINTEGER"}
)


class DuckDBEngine(Engine):
    name = "duckdb"
    dialect = "duckdb"

    def __init__(
        self,
        connection: duckdb.DuckDBPyConnection | None = None,
        table_files: Mapping[str, tuple[str, ...]] | None = None,
    ) -> None:
        """`table_files`: the Parquet files behind each view of `connection` that reads only
        files, for rows read (see `Engine.count_inputs`); other tables are counted."""
        self._owned = connection is None
        self.con = connection if connection is not None else duckdb.connect()
        self.table_files = dict(table_files or {})

    @classmethod
    def for_lake(cls, settings: Settings) -> DuckDBEngine:
        """An engine over the workspace's lake: one view per published dataset, and one per
        built subject or relationship library (`people`, `relations`, `close_relatives`, ...)."""
        try:  # the lake station owns the views, the entities station the libraries'
            from qingfeng.lake import connect_with_files
            from qingfeng.subject_library.attach import attach_libraries, library_files
        except ImportError as exc:
            raise EngineError(f"the lake module is not available: {exc}") from exc
        from qingfeng.lake.location import lake_root

        con, files = connect_with_files(settings)
        root = lake_root(settings)
        try:
            names = attach_libraries(con, root)
        except Exception:
            con.close()
            raise
        return cls(con, files | library_files(root, names))

    def _query(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        cursor = self.con.execute(sql)
        names = [d[0] for d in cursor.description or []]
        return names, cursor.fetchall()

    def _count_rows(self, table: str) -> int:
        query = exp.select(exp.Count(this=exp.Star())).from_(exp.to_table(table))
        result = self.con.execute(query.sql("duckdb")).fetchone()
        return int(result[0]) if result else 0

    def _query_columns(self, sql: str) -> Columns:
        """Columns through NumPy when every column's type converts exactly (text, integers,
        booleans, doubles): a third faster than rows of Python tuples. Otherwise (decimals,
        dates, timestamps, nested types) through rows, as `query` does."""
        cursor = self.con.execute(sql)
        description = cursor.description or []
        names = [d[0] for d in description]
        types = [str(d[1]) for d in description]
        text = frozenset(name for name, kind in zip(names, types, strict=True) if kind == "VARCHAR")
        if all(kind in _NUMPY_EXACT for kind in types):
            arrays = cursor.fetchnumpy()
            return Columns(names, [arrays[name].tolist() for name in names], text)
        rows = cursor.fetchall()
        if not rows:
            return Columns(names, [[] for _ in names], text)
        return Columns(names, [list(col) for col in zip(*rows, strict=True)], text)

    def _count_tables(self, tables: list[str]) -> int:
        """One query for all tables (a round trip per table costs more than the count)."""
        if not tables:
            return 0
        for table in tables:
            self._check_ident(table)
        counts = [
            exp.select(exp.Count(this=exp.Star())).from_(exp.to_table(t)).subquery() for t in tables
        ]
        query = exp.select(*counts)
        try:
            row = self.con.execute(query.sql("duckdb")).fetchone()
        except duckdb.CatalogException:
            return super()._count_tables(tables)  # names the missing dataset
        return sum(int(v) for v in row) if row else 0

    def has_table(self, table: str) -> bool:
        result = self.con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND NOT internal "
            "UNION ALL SELECT count(*) FROM duckdb_views() WHERE view_name = ? AND NOT internal",
            [table, table],
        ).fetchall()
        return sum(r[0] for r in result) > 0

    def _register_rows(
        self, table: str, columns: dict[str, str], rows: list[dict[str, Any]]
    ) -> None:
        ddl = exp.Create(
            this=exp.Schema(
                this=exp.to_table(table),
                expressions=[
                    exp.ColumnDef(this=exp.to_identifier(c), kind=exp.DataType.build(t))
                    for c, t in columns.items()
                ],
            ),
            kind="TABLE",
            replace=True,
        )
        self.con.execute(ddl.sql("duckdb"))
        if rows:
            names = list(columns)
            insert = exp.insert(
                exp.Values(expressions=[exp.Tuple(expressions=[exp.Placeholder() for _ in names])]),
                exp.to_table(table),
                columns=names,
            )
            self.con.executemany(
                insert.sql("duckdb"), [[row.get(c) for c in names] for row in rows]
            )

    def explain(self, sql: str) -> str:
        rows = self.con.execute("EXPLAIN " + sql).fetchall()
        return "\n".join(str(r[1]) for r in rows)

    def close(self) -> None:
        if self._owned:
            self.con.close()
