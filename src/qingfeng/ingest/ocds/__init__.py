"""OCDS (Open Contracting Data Standard) input: release packages, record packages and JSON lines.

`is_ocds(path)` tells an OCDS file from other JSON; `read_ocds(path, con, staging)` checks the
packages against the bundled schema, compiles each contracting process's releases with
`ocdsmerge`, flattens the compiled releases in DuckDB and returns one source per procurement
dataset (tenders, lots, bids, awards, contracts, parties, items), with the counts that let the
ingest report reconcile the package with the rows landed.
"""

from __future__ import annotations

from qingfeng.ingest.ocds.packages import OcdsError, compile_file, is_ocds
from qingfeng.ingest.ocds.sources import OcdsSources, read_ocds

__all__ = ["OcdsError", "OcdsSources", "compile_file", "is_ocds", "read_ocds"]
