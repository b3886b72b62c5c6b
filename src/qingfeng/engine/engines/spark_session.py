"""Where Spark work runs: the `[spark]` table of qingfeng.toml turned into a SparkSession.

[spark]
master = "spark://10.0.0.5:7077"   # local[N] | spark://host:port | sc://host:port | yarn | k8s://...
driver_memory = "4g"
executor_memory = "8g"
executor_cores = 4
cores_max = 32                     # all executors together (standalone and Mesos-style masters)
shuffle_partitions = 200
conf = { "spark.local.dir" = "/data/spark-tmp" }   # any other Spark setting, passed as is

`sc://` names a Spark Connect server: the session is a thin client and the server's own settings
decide the resources, so only `conf` entries Spark Connect allows at runtime are sent. Every
other master is passed to Spark as it is, so YARN and Kubernetes work as Spark documents them.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from qingfeng.settings import SparkSettings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# Settings that make Spark agree with DuckDB (UTC, ANSI errors), and keep it quiet.
PARITY_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.ansi.enabled": "true",
    "spark.sql.parquet.datetimeRebaseModeInRead": "CORRECTED",
}
QUIET_CONF = {"spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false"}


def spark_conf(spark: SparkSettings) -> dict[str, str]:
    """Every setting the session is built with (the parity settings always win)."""
    conf: dict[str, str] = {"spark.sql.shuffle.partitions": str(spark.shuffle_partitions)}
    if not spark.is_connect:
        conf |= QUIET_CONF | {"spark.driver.memory": spark.driver_memory}
        optional = {
            "spark.executor.memory": spark.executor_memory,
            "spark.executor.cores": spark.executor_cores,
            "spark.cores.max": spark.cores_max,
        }
        conf |= {k: str(v) for k, v in optional.items() if v is not None}
    return conf | dict(spark.conf) | PARITY_CONF


def build_session(spark: SparkSettings) -> SparkSession:
    """A SparkSession on the configured master, set up as the engine expects."""
    from qingfeng.engine.engines.spark_engine import _import_pyspark

    pyspark_sql = _import_pyspark()
    builder: Any = pyspark_sql.SparkSession.builder.appName(spark.app_name)
    if spark.is_connect:
        builder = builder.remote(spark.master)
    else:
        # A Spark Connect session earlier in this process leaves PySpark in Connect mode through
        # these variables; a classic master must not be sent to that (stopped) server.
        os.environ.pop("SPARK_CONNECT_MODE_ENABLED", None)
        os.environ.pop("SPARK_REMOTE", None)
        if spark.master.startswith("local"):
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # no LAN lookup in local mode
        builder = builder.master(spark.master)
    for key, value in spark_conf(spark).items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    if not spark.is_connect:
        session.sparkContext.setLogLevel("ERROR")
    return session
