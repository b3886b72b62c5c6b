"""One time zone for every page, export and the portal: the formatting helper and the setting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from qingfeng.localtime import UnknownZone, format_time, to_local, zone
from qingfeng.loop.config import LoopConfigError, load_loop_config

INSTANT = datetime(2026, 12, 31, 19, 27, 5, tzinfo=UTC)


def test_default_zone_is_china_standard_time() -> None:
    assert format_time(INSTANT) == "2027-01-01 03:27"  # the local date rolls over too
    assert format_time(INSTANT, None, "day") == "2027-01-01"
    assert format_time(INSTANT, "Asia/Shanghai", "second") == "2027-01-01 03:27:05"
    assert format_time(INSTANT, "Asia/Shanghai", "iso") == "2027-01-01T03:27:05+08:00"


def test_other_zones_and_aware_inputs_name_the_same_instant() -> None:
    assert format_time(INSTANT, "UTC") == "2026-12-31 19:27"
    plus_two = INSTANT.astimezone(timezone(timedelta(hours=2)))
    assert format_time(plus_two, "Asia/Shanghai") == format_time(INSTANT, "Asia/Shanghai")


def test_naive_values_are_utc_as_the_store_keeps_them() -> None:
    naive = INSTANT.replace(tzinfo=None)
    assert to_local(naive, "Asia/Shanghai") == to_local(INSTANT, "Asia/Shanghai")


def test_missing_value_and_unknown_zone() -> None:
    assert format_time(None) == "—" and format_time(None, empty="") == ""
    with pytest.raises(UnknownZone, match="Mars/Olympus"):
        zone("Mars/Olympus")


def test_loop_calendar_follows_the_one_setting(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("QINGFENG_TIMEZONE", raising=False)
    toml = tmp_path / "qingfeng.toml"
    toml.write_text('timezone = "Asia/Urumqi"\n[loop]\ndue_soon_working_days = 3\n', "utf-8")
    config = load_loop_config(toml)
    assert config.timezone == "Asia/Urumqi" and config.due_soon_working_days == 3
    # A zone of the loop's own still wins; an unknown shared one names the file and setting.
    toml.write_text('timezone = "Asia/Urumqi"\n[loop]\ntimezone = "Asia/Shanghai"\n', "utf-8")
    assert load_loop_config(toml).timezone == "Asia/Shanghai"
    toml.write_text('timezone = "Nowhere/City"\n', "utf-8")
    with pytest.raises(LoopConfigError, match="timezone"):
        load_loop_config(toml)
    toml.write_text("", "utf-8")
    assert load_loop_config(toml).timezone == "Asia/Shanghai"
