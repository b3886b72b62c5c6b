"""Ingestion: read department files, map their headers, normalise in DuckDB, publish to the lake.

Public surface: `ingest_path(settings, path, *, assume_yes, progress=None) -> IngestReport`,
`ingest_sql(...)`, `IngestReport`, `IngestError`, `install_macros`.
"""

from __future__ import annotations

from qingfeng.ingest.errors import IngestError
from qingfeng.ingest.pipeline import ingest_path, ingest_sql
from qingfeng.ingest.report import IngestReport, SourceReport
from qingfeng.normalise import install_macros

__all__ = [
    "IngestError",
    "IngestReport",
    "SourceReport",
    "ingest_path",
    "ingest_sql",
    "install_macros",
]
