"""Portal limits, with safe defaults, overridable by a `[portal]` table in qingfeng.toml.

[portal]
page_rate = 20.0            # disclosure page views per second per address (refill rate)
page_burst = 100
trust_forwarded_for = false # true behind a reverse proxy: needs settings.trusted_proxies

The client address behind proxies comes from the top-level `trusted_proxies` setting
(qingfeng.clients): X-Forwarded-For is read only from those addresses, right to left.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields, replace
from typing import Any

from qingfeng.settings import SETTINGS_FILE, Settings


@dataclass(frozen=True)
class PortalConfig:
    # Token buckets per client address: (capacity, refill per second).
    page_burst: int = 100
    page_rate: float = 20.0
    challenge_burst: int = 20
    challenge_rate: float = 20 / 60
    complaint_burst: int = 3
    complaint_rate: float = 3 / 600  # 3 complaints per 10 minutes
    track_burst: int = 10
    track_rate: float = 10 / 60
    track_miss_burst: int = 5  # unknown tracking codes: 5 per 10 minutes, then refused
    track_miss_rate: float = 5 / 600
    query_burst: int = 5
    query_rate: float = 5 / 60
    query_miss_burst: int = 5  # self-queries that found nothing: 5 per 10 minutes
    query_miss_rate: float = 5 / 600
    query_person_burst: int = 5  # misses against one ID number, from any address: 5 per hour
    query_person_rate: float = 5 / 3600
    max_buckets: int = 100_000  # bound of the in-process TokenBuckets (the portal uses the store)
    trust_forwarded_for: bool = False
    # Uploads.
    max_attachments: int = 3
    max_attachment_bytes: int = 5 * 1024 * 1024
    max_request_bytes: int = 16 * 1024 * 1024
    # Challenges.
    challenge_ttl_seconds: int = 900
    page_size: int = 50
    page_cache_entries: int = 2000  # rendered disclosure pages kept in memory (~20 KB each)

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> PortalConfig:
        values: dict[str, Any] = {}
        toml_path = settings.workspace / SETTINGS_FILE
        if toml_path.exists():
            with toml_path.open("rb") as fh:
                section = tomllib.load(fh).get("portal", {})
            known = {f.name for f in fields(cls)}
            unknown = sorted(set(section) - known)
            if unknown:
                raise ValueError(f"{toml_path}: [portal] 未知设置 {', '.join(unknown)}")
            values.update(section)
        values.update(overrides)
        config = replace(cls(), **values)
        if config.trust_forwarded_for and not settings.trusted_proxies:
            raise ValueError(
                "[portal] trust_forwarded_for = true needs trusted_proxies (the addresses of "
                "the reverse proxies) in qingfeng.toml: X-Forwarded-For from anyone else is "
                "written by the client"
            )
        return config
