"""Post-transition hooks: other stations that must follow a warning's status, in the same
transaction as the change (e.g. the portal publishes a complaint's reply to the citizen's tracking
page when the case is disposed, and takes it off again when the case is reopened).

The hooks are declared here by dotted name and imported on first use, not registered by the
stations at import time: the CLI, the web app and the workers then all run the same hooks whether
or not they happened to import the station, and the loop imports nothing of the stations when it is
itself imported (no import cycle; the portal depends on the store, never on the loop).

A hook is called as `hook(session, warning_ids, actor)` after the status of those warnings changed
(one call for a single action, one per chunk for a bulk dispatch). It must be set-based and cheap
for warnings it does not care about, and it writes only through `session` (the caller commits or
rolls back everything together).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from functools import cache

from sqlalchemy.orm import Session

StatusHook = Callable[[Session, Sequence[int], str], object]

DECLARED_HOOKS: tuple[str, ...] = (
    # Complaints (model_id "complaint") and complaints merged into any warning.
    "qingfeng.portal.complaints:on_warnings_status_changed",
)


@cache
def status_hooks() -> tuple[StatusHook, ...]:
    """The declared hooks, imported once. A missing one is an error, not a silent skip: a reply
    that never reaches the citizen is worse than a failed action."""
    hooks = []
    for dotted in DECLARED_HOOKS:
        module_name, _, attr = dotted.partition(":")
        hooks.append(getattr(importlib.import_module(module_name), attr))
    return tuple(hooks)


def after_status_change(session: Session, warning_ids: Sequence[int], actor: str) -> None:
    """Run every hook for warnings whose status just changed (caller's transaction)."""
    if not warning_ids:
        return
    for hook in status_hooks():
        hook(session, warning_ids, actor)
