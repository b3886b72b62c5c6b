"""Path ids of the portal: whole numbers the store can hold, or 422 before any query."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from qingfeng.store.models import MAX_ID

IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
