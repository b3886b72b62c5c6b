"""Complaint analytics: near-duplicate texts, repeated targets, long-unresolved cases, fast and
copy-paste replies, trends by month, category and place."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from portal_support import SUPERVISOR, VILLAGE_A, VILLAGE_B, make_env
from qingfeng.portal import analytics
from qingfeng.portal.complaints import ComplaintForm, file_complaint, set_reply_draft
from qingfeng.portal.models import ComplaintReply
from qingfeng.store.models import Warning

TEXT = "某镇甲村村委会主任张某在发放高龄补贴时，把已去世老人的补贴转到自己亲戚的账户，请纪委核查。"
NEAR = (
    "某镇甲村村委会主任张某在发放高龄补贴时，把已经去世老人的补贴转到他亲戚的账户，请求纪委核查！"
)
COPY = (
    "某镇甲村村委会主任张某在发放高龄补贴时，把已去世老人的补贴转到自己亲戚的账户，请纪委核查。谢谢"
)
OTHER = "乙村小学食堂的菜价明显高于市场价，学生反映饭菜分量少，怀疑有人从中牟利。"


@pytest.fixture
def env(tmp_path, store_url):  # type: ignore[no-untyped-def]
    return make_env(tmp_path, store_url)


def _file(
    s,
    env,
    text,
    when,
    *,
    division=VILLAGE_A,
    category="livelihood_funds",
    target="张某",
    org="某镇甲村村委会",
):  # type: ignore[no-untyped-def]
    form = ComplaintForm(
        division_code=division,
        category=category,
        title=text[:12],
        content=text,
        target_name=target,
        target_org=org,
    )
    c, _ = file_complaint(s, form, [], env.settings.attachments_dir, now=when)
    return c


def test_near_duplicates_grouped_with_jieba_minhash() -> None:
    groups = analytics.near_duplicate_groups([("a", TEXT), ("b", NEAR), ("c", COPY), ("d", OTHER)])
    assert groups == [["a", "b", "c"]]
    assert analytics.near_duplicate_groups([("a", TEXT), ("d", OTHER)]) == []


def test_repeated_unresolved_replies_and_trends(env) -> None:  # type: ignore[no-untyped-def]
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    with env.factory() as s, s.begin():
        old = _file(s, env, TEXT, now - timedelta(days=60))
        _file(s, env, NEAR, now - timedelta(days=40))
        _file(s, env, COPY, now - timedelta(days=2))
        meal = _file(
            s,
            env,
            OTHER,
            now - timedelta(days=45),
            division=VILLAGE_B,
            category="school_meals",
            target="",
            org="乙村小学",
        )
        other_meal = _file(
            s,
            env,
            "乙村小学食堂的账目不公开，家长多次要求公示伙食费收支明细未果。",
            now - timedelta(days=5),
            division=VILLAGE_B,
            category="school_meals",
            target="",
            org="乙村小学",
        )
        # Two replies: one copy-pasted onto two complaints, one within an hour.
        for c in (meal, other_meal):
            s.get(Warning, c.warning_id).status = "disposed"
            set_reply_draft(s, c.complaint_no, "经核查，反映问题不属实，已向群众做好解释工作。")
        reply = s.scalars(
            select(ComplaintReply).where(ComplaintReply.complaint_id == other_meal.id)
        ).one()
        reply.published_at = other_meal.created_at + timedelta(minutes=30)
        meal_reply = s.scalars(
            select(ComplaintReply).where(ComplaintReply.complaint_id == meal.id)
        ).one()
        meal_reply.published_at = meal.created_at + timedelta(days=10)
        old_no = old.complaint_no
    with env.factory() as s:
        repeated = analytics.repeated_targets(s)
        assert [(r["target_name"], r["target_org"], r["count"]) for r in repeated] == [
            ("张某", "某镇甲村村委会", 3),
            ("", "乙村小学", 2),
        ]
        unresolved = analytics.long_unresolved(s, days=30, now=now)
        assert unresolved[0]["complaint_no"] == old_no and len(unresolved) == 2
        replies = analytics.suspicious_replies(s, fast_hours=24)
        assert [f["complaint_no"] for f in replies["fast"]] == [other_meal.complaint_no]
        assert replies["copy_paste"] == [sorted([meal.complaint_no, other_meal.complaint_no])]
        trend = {
            (t["month"], t["category"], t["division_code"]): (t["count"], t["replied"])
            for t in analytics.trends(s)
        }
        assert trend == {
            ("2026-09", "livelihood_funds", VILLAGE_A): (1, 0),
            ("2026-10", "livelihood_funds", VILLAGE_A): (1, 0),
            ("2026-10", "school_meals", VILLAGE_B): (1, 1),
            ("2026-11", "livelihood_funds", VILLAGE_A): (1, 0),
            ("2026-11", "school_meals", VILLAGE_B): (1, 1),
        }
        assert len(analytics.duplicate_complaints(s)[0]) == 3
        exported = {r["complaint_no"]: r for r in analytics.complaints_dataset_rows(s)}
        assert list(exported[meal.complaint_no]) == list(analytics.COMPLAINTS_DATASET_FIELDS)
        assert (
            exported[meal.complaint_no]["reply"] == "经核查，反映问题不属实，已向群众做好解释工作。"
        )
        assert exported[meal.complaint_no]["category"] == "校园餐"
        assert exported[old_no]["reply"] is None and exported[old_no]["status"] == "received"
    api = TestClient(env.app()).get("/api/v1/complaints/analytics", headers=SUPERVISOR).json()
    assert set(api) == {
        "trends",
        "repeated_targets",
        "long_unresolved",
        "near_duplicates",
        "replies",
    }
    assert len(api["near_duplicates"][0]) == 3
