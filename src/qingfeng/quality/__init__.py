"""Data quality of the lake: completeness, validity, uniqueness, timeliness, cross-source checks.

Public surface: `assess(settings, as_of=None) -> QualityReport`, `QualityReport.write(folder)`.
"""

from __future__ import annotations

from qingfeng.quality.assess import CROSS_CHECKS, QualityReport, assess

__all__ = ["CROSS_CHECKS", "QualityReport", "assess"]
