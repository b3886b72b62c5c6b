"""mask_text: ID, card and mobile numbers in a sentence are masked wherever they stand, including
between Chinese characters (which are word characters, so a \\b boundary does not see them)."""

from __future__ import annotations

import pytest

from qingfeng.masking import mask_evidence, mask_id, mask_text


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("身份证110101199003071234号", "身份证1101**********1234号"),
        ("公民身份号码为11010119900307123X的人员", "公民身份号码为1101**********123X的人员"),
        ("同户亲属（110101199003071234）仍在领取", "同户亲属（1101**********1234）仍在领取"),
        ("ID 110101199003071234, paid", "ID 1101**********1234, paid"),
        ("110101199003071234", "1101**********1234"),
        ("旧证号110101900307123已注销", "旧证号1101*******7123已注销"),
        ("银行卡6222021234567890123收款", "银行卡***************0123收款"),
        ("联系电话13812345678转办", "联系电话138****5678转办"),
        ("电话:13812345678。", "电话:138****5678。"),
    ],
)
def test_numbers_next_to_chinese_characters_are_masked(text: str, masked: str) -> None:
    assert mask_text(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "金额1234567元，共12期",  # amounts and counts are not identifiers
        "批次2024010112345",  # 13 digits: neither an ID nor a mobile number
        "编号ABC110101199003071234",  # part of a longer code written with letters
        "凭证1101011990030712345678号",  # 22 digits: longer than any ID or card number
    ],
)
def test_other_numbers_are_left_alone(text: str) -> None:
    assert mask_text(text) == text


def test_mask_text_agrees_with_mask_id() -> None:
    number = "522701195001010011"
    assert mask_text(f"死亡人员{number}仍领取补贴") == f"死亡人员{mask_id(number)}仍领取补贴"


def test_evidence_strings_are_masked_in_place() -> None:
    evidence = {"note": "亲属110101199003071234代领", "payments": 6}
    assert mask_evidence(evidence) == {"note": "亲属1101**********1234代领", "payments": 6}
