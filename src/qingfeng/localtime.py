"""Local time: the one place a stored instant becomes the time people read.

Every instant is stored in UTC; pages, exports, letters and the public portal show it in the
workspace's zone (`Settings.timezone`, default Asia/Shanghai), so the citizen's tracking page and
the back office print the same clock time for the same event.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Asia/Shanghai"

# Formats by purpose: a minute for screens, a day for lists, ISO 8601 with offset for exports.
FORMATS = {
    "minute": "%Y-%m-%d %H:%M",
    "second": "%Y-%m-%d %H:%M:%S",
    "day": "%Y-%m-%d",
}


class UnknownZone(ValueError):
    """The configured zone is not in the time-zone database."""


@cache
def zone(name: str | None = None) -> ZoneInfo:
    """The ZoneInfo of `name` (the default zone when empty); a clear error for a typo."""
    key = name or DEFAULT_ZONE
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError):
        raise UnknownZone(
            f"timezone: 未知的时区 {key!r}（例如 Asia/Shanghai）/ unknown time zone {key!r}, "
            "e.g. Asia/Shanghai"
        ) from None


def to_local(value: datetime, where: tzinfo | str | None = None) -> datetime:
    """`value` in the local zone. A naive value is a UTC instant (as the store keeps it)."""
    tz = where if isinstance(where, tzinfo) else zone(where)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(tz)


def format_time(
    value: datetime | None,
    where: tzinfo | str | None = None,
    style: str = "minute",
    empty: str = "—",
) -> str:
    """An instant as people read it: `minute` (2026-12-07 19:27), `second`, `day` or `iso`
    (2026-12-07T19:27:00+08:00, for exports read by other programs)."""
    if value is None:
        return empty
    local = to_local(value, where)
    if style == "iso":
        return local.isoformat(timespec="seconds")
    return local.strftime(FORMATS[style])


def settings_zone(settings: object) -> ZoneInfo:
    """The zone a Settings object names (its `timezone`), the default when it names none."""
    return zone(getattr(settings, "timezone", None) or None)
