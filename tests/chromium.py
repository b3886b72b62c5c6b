"""Where the browser tests find Chromium: $QINGFENG_CHROMIUM (the product's own setting, see
qingfeng.web.screenshots), else `chromium` on PATH. When neither names one, the path returned
does not exist and every `browser` test skips before a fixture launches anything."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

CHROMIUM_ENV = "QINGFENG_CHROMIUM"
MISSING = Path("/nonexistent/chromium")


def chromium() -> Path:
    named = os.environ.get(CHROMIUM_ENV) or shutil.which("chromium")
    return Path(named) if named else MISSING


def skip_reason() -> str:
    return (
        f"Chromium not found (${CHROMIUM_ENV} or chromium on PATH; Debian: apt-get install "
        "chromium fonts-noto-cjk): browser test skipped"
    )
