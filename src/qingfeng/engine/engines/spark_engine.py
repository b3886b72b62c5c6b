"""SparkEngine: the same compiled models on Apache Spark (local mode, a standalone/YARN/Kubernetes
cluster or a Spark Connect server, as `[spark]` in qingfeng.toml says: spark_session.py), over
the same Parquet lake. PySpark is the optional extra `qingfeng[spark]`."""

from __future__ import annotations

import datetime as dt
import re
import threading
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from qingfeng.engine.engines.base import Engine
from qingfeng.engine.errors import EngineError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from qingfeng.settings import Settings, SparkSettings

_LOCK = threading.Lock()
# One session per process (starting a JVM or a cluster application takes seconds), with the
# settings it was built from: a process asking for another master gets a new one.
_SHARED: tuple[SparkSettings, SparkSession] | None = None


def _import_pyspark() -> Any:
    try:
        import pyspark.sql as pyspark_sql
    except ImportError as exc:
        raise EngineError(
            "SparkEngine 需要 PySpark：pip install 'qingfeng[spark]' / "
            "SparkEngine needs PySpark: pip install 'qingfeng[spark]'"
        ) from exc
    return pyspark_sql


def local_session(master: str = "local[2]") -> SparkSession:
    """A SparkSession on `master` with the default resources, configured as the engine expects."""
    from qingfeng.engine.engines.spark_session import build_session
    from qingfeng.settings import SparkSettings

    return build_session(SparkSettings(master=master))


def shared_session(spark: SparkSettings | None = None) -> SparkSession:
    """The process's session for these settings (default: local[2])."""
    global _SHARED
    from qingfeng.engine.engines.spark_session import build_session
    from qingfeng.settings import SparkSettings

    wanted = spark or SparkSettings()
    with _LOCK:
        if _SHARED is not None and _SHARED[0] != wanted:
            _SHARED[1].stop()  # one classic SparkContext per JVM: the old one must go first
            _SHARED = None
        if _SHARED is None:
            _SHARED = (wanted, build_session(wanted))
        return _SHARED[1]


_TYPE_RE = re.compile(r"^\s*([A-Za-z]+)\s*(?:\(\s*(\d+)\s*,\s*(\d+)\s*\))?\s*$")


def spark_type(duck_type: str) -> Any:
    """The Spark SQL type for a DuckDB type name (`X[]`: a list of X)."""
    types = _import_pyspark().types
    if duck_type.strip().endswith("[]"):
        return types.ArrayType(spark_type(duck_type.strip()[:-2]), containsNull=True)
    match = _TYPE_RE.match(duck_type)
    if not match:
        raise EngineError(f"unsupported column type {duck_type!r}")
    name = match.group(1).upper()
    if name == "DECIMAL":
        precision, scale = int(match.group(2) or 18), int(match.group(3) or 3)
        return types.DecimalType(precision, scale)
    mapping = {
        "VARCHAR": types.StringType,
        "TEXT": types.StringType,
        "STRING": types.StringType,
        "DATE": types.DateType,
        "TIMESTAMP": types.TimestampType,
        "BIGINT": types.LongType,
        "INTEGER": types.IntegerType,
        "INT": types.IntegerType,
        "DOUBLE": types.DoubleType,
        "BOOLEAN": types.BooleanType,
    }
    if name not in mapping:
        raise EngineError(f"unsupported column type {duck_type!r}")
    return mapping[name]()


def _coerce(value: Any, duck_type: str) -> Any:
    """Inline test values as Spark wants them (DuckDB casts on insert; Spark verifies types)."""
    if value is None:
        return None
    if duck_type.strip().endswith("[]"):
        return [_coerce(v, duck_type.strip()[:-2]) for v in value]
    name = duck_type.split("(")[0].strip().upper()
    if name == "DECIMAL":
        return Decimal(str(value))
    if name in ("VARCHAR", "TEXT", "STRING"):
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    if name == "DATE" and isinstance(value, str):
        return dt.date.fromisoformat(value)
    if name == "TIMESTAMP" and isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    if name == "DOUBLE":
        return float(value)
    if name in ("BIGINT", "INTEGER", "INT"):
        return int(value)
    return value


def _read_batches(spark: SparkSession, files: list[str]) -> Any:
    """A frame over a dataset's batch files, their schemas merged from the Parquet footers here.

    Spark's own `mergeSchema` reads every footer in a job on the executors: a cluster round trip
    per dataset before the first model runs. The footers are a few KB and on the lake's shared
    path, so the driver reads them and hands Spark the merged schema.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq
    from pyspark.sql.pandas.types import from_arrow_schema

    try:
        merged = pa.unify_schemas([pq.read_schema(f) for f in files], promote_options="permissive")
    except (OSError, pa.ArrowException):  # not readable here (object storage): let Spark merge
        return spark.read.option("mergeSchema", "true").parquet(*files)
    return spark.read.schema(from_arrow_schema(merged)).parquet(*files)


class SparkEngine(Engine):
    name = "spark"
    dialect = "spark"

    def __init__(self, session: SparkSession | None = None) -> None:
        self.spark = session if session is not None else local_session()

    @classmethod
    def shared(cls, spark: SparkSettings | None = None) -> SparkEngine:
        """An engine on the process's one SparkSession for these settings (default local[2])."""
        return cls(shared_session(spark))

    @classmethod
    def for_lake(cls, settings: Settings, session: SparkSession | None = None) -> SparkEngine:
        """Temporary views over the published Parquet batches, named by dataset id; a catalogue
        dataset with no published batch is an empty view (as in DuckDB's lake connection). The
        subject and relationship libraries built so far are views too, with `relations` and
        `close_relatives` over them (the same SELECTs as on DuckDB)."""
        from qingfeng.engine.dataspec_port import PROHIBITED, default_catalogue
        from qingfeng.lake import Lake
        from qingfeng.lake.location import lake_root
        from qingfeng.subject_library.attach import built_libraries, derived_views, library_files

        root = lake_root(settings)
        if not root.is_local:
            raise EngineError(
                f"Spark reads the lake from a folder every executor sees: {root.url} is object "
                "storage, which Spark reads only through hadoop-aws (s3a://), not bundled with "
                "PySpark. Mount the lake (a shared folder) and set lake_url to its path "
                "(docs/deployment.md)."
            )
        engine = cls(session) if session is not None else cls.shared(settings.spark)
        lake = Lake(root)
        catalogue = default_catalogue()
        published = set()
        table_files: dict[str, tuple[str, ...]] = {}
        for dataset in lake.datasets():
            files = [str(p) for p in lake.files(dataset)]
            if files:
                _read_batches(engine.spark, files).createOrReplaceTempView(dataset)
                published.add(dataset)
                table_files[dataset] = tuple(files)
        for dataset, fields in catalogue.datasets.items():
            columns = {
                name: info.type
                for name, info in fields.items()
                if info.type and info.sensitivity != PROHIBITED
            }
            if dataset not in published and dataset not in catalogue.libraries and columns:
                engine.register_rows(dataset, columns, [])
                table_files[dataset] = ()
        built = built_libraries(settings.lake_dir)
        for name, path in built.items():
            engine.spark.read.parquet(str(path)).createOrReplaceTempView(name)
        derived = derived_views(built)
        for name, select in derived.items():
            engine.spark.sql(select).createOrReplaceTempView(name)
        engine.table_files = table_files | library_files(settings.lake_dir, [*built, *derived])
        return engine

    def _query(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        frame = self.spark.sql(sql)
        return list(frame.columns), [tuple(row) for row in frame.collect()]

    def _count_rows(self, table: str) -> int:
        return int(self.spark.table(table).count())

    def has_table(self, table: str) -> bool:
        return bool(self.spark.catalog.tableExists(table))

    def _register_rows(
        self, table: str, columns: dict[str, str], rows: list[dict[str, Any]]
    ) -> None:
        types = _import_pyspark().types
        schema = types.StructType(
            [types.StructField(c, spark_type(t), nullable=True) for c, t in columns.items()]
        )
        data = [tuple(_coerce(row.get(c), t) for c, t in columns.items()) for row in rows]
        frame = self.spark.createDataFrame(data, schema=schema)
        frame.createOrReplaceTempView(table)

    def explain(self, sql: str) -> str:
        frame = self.spark.sql(sql)
        if hasattr(frame, "_jdf"):
            return str(frame._jdf.queryExecution().simpleString())
        # Spark Connect has no JVM handle in the client: ask the server for the plan.
        return str(self.spark.sql(f"EXPLAIN {sql}").collect()[0][0])
