"""The synthetic county's geography: 都匀市 (Duyun, Guizhou), division code 522701.

Township-level codes are the real statistical division codes (国家统计局统计用区划代码) of Duyun's
five sub-districts, four towns and one ethnic township. Village and community codes below them are
plausible, not real: the 12-digit code is township (9 digits) + a 3-digit serial, 0xx for urban
communities (社区) and 2xx for administrative villages (村), as the statistical codes do.
The geography is fixed (not seed-dependent) so that every synthetic county shares one map.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

COUNTY_CODE = "522701"
COUNTY_NAME = "都匀市"
PREFECTURE_NAME = "黔南布依族苗族自治州"
PROVINCE_NAME = "贵州省"

# (9-digit code, name, urban?)
TOWNSHIPS: tuple[tuple[str, str, bool], ...] = (
    ("522701001", "广惠街道", True),
    ("522701002", "文峰街道", True),
    ("522701004", "小围寨街道", True),
    ("522701005", "沙包堡街道", True),
    ("522701006", "绿茵湖街道", True),
    ("522701106", "墨冲镇", False),
    ("522701107", "平浪镇", False),
    ("522701110", "毛尖镇", False),
    ("522701111", "匀东镇", False),
    ("522701208", "归兰水族乡", False),
)

# Birth-place area codes of ID numbers: mostly Duyun itself, then neighbouring counties of Qiannan
# prefecture (people who moved in). Only codes python-stdnum's cn.ric knows, so that its full
# validation (birth place included) accepts every generated ID. Weights sum to 1.
BIRTH_AREAS: tuple[tuple[str, float], ...] = (
    ("522701", 0.80),
    ("522730", 0.03),  # 龙里县
    ("522722", 0.02),  # 荔波县
    ("522723", 0.02),  # 贵定县
    ("522725", 0.02),  # 瓮安县
    ("522726", 0.02),  # 独山县
    ("522727", 0.02),  # 平塘县
    ("522728", 0.02),  # 罗甸县
    ("522732", 0.02),  # 三都水族自治县
    ("522731", 0.03),  # 惠水县
)


def _words(text: str) -> list[str]:
    """Whitespace-separated words of a long literal (kept as text so the lists stay readable)."""
    return text.split()


_VILLAGE_STEMS = _words(
    "大坪 河阳 新寨 坝固 石板 马寨 良亩 洛邦 杨柳 富溪 甲第 凤啭 "
    "麻林 沙寨 高寨 江洲 谷江 普林 菜地 王司 摆忙 基场 阳和 翁降 "
    "龙井 斗篷 螺蛳 牛场 团山 茶园 上坝 下坝 平寨 新场 老场 岩脚 "
    "水井 桥头 河边 中寨"
)
_COMMUNITY_STEMS = _words(
    "剑江 东山 西山 龙山 新华 民族 七星 斗篷山 环东 云盘 青云 匀城 "
    "桥城 文德 惠民 杉木湖 石龙 东苗 南沙洲 北环"
)


@dataclass(frozen=True)
class Village:
    code: str  # 12 digits
    name: str
    township_code: str  # 9 digits
    township_name: str
    urban: bool

    @property
    def address_prefix(self) -> str:
        return f"{PROVINCE_NAME}{PREFECTURE_NAME}{COUNTY_NAME}{self.township_name}{self.name}"


@cache
def villages() -> tuple[Village, ...]:
    """All villages and communities, in code order (deterministic)."""
    out: list[Village] = []
    v_i = c_i = 0
    for t_no, (t_code, t_name, urban) in enumerate(TOWNSHIPS):
        count = 6 + (t_no * 7) % 5  # 6..10 per township: fixed, uneven
        for k in range(count):
            if urban:
                stem = _COMMUNITY_STEMS[c_i % len(_COMMUNITY_STEMS)]
                c_i += 1
                out.append(Village(f"{t_code}{k + 1:03d}", f"{stem}社区", t_code, t_name, True))
            else:
                stem = _VILLAGE_STEMS[v_i % len(_VILLAGE_STEMS)]
                v_i += 1
                out.append(
                    Village(f"{t_code}{200 + k + 1:03d}", f"{stem}村", t_code, t_name, False)
                )
    return tuple(out)
