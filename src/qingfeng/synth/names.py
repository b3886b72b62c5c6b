"""Chinese personal names, drawn vectorised from weighted surname and given-name character tables.

Surnames lean to those common in Qiannan (Buyi and Shui families: 韦, 蒙, 莫, 潘, 石...). Names are
built from index arrays, so the traditional-character variant of any name is the same indices
looked up in the traditional tables (OpenCC s2t, character by character).
"""

from __future__ import annotations

from functools import cache

import numpy as np

_SURNAMES = (
    "王 8|李 7|张 7|刘 5|陈 5|杨 6|黄 4|吴 5|罗 5|韦 5|蒙 3|莫 3|潘 3|石 3|周 3|赵 2|徐 2|孙 2|"
    "胡 2|朱 2|高 2|林 2|何 3|郭 2|马 2|龙 2|谢 2|宋 1|唐 2|许 1|邓 2|冯 1|韩 1|曹 1|彭 1|"
    "曾 1|肖 1|田 2|董 1|袁 1|蔡 1|余 1|杜 1|叶 1|程 1|苏 1|魏 1|吕 1|丁 1|任 1|卢 1|姚 1|"
    "沈 1|钟 1|姜 1|崔 1|谭 1|陆 1|汪 1|范 1|金 1|廖 1|贾 1|夏 1|付 1|方 1|邹 1|熊 1|岑 1|"
    "欧阳 1|陶 1|严 1|雷 1|贺 1|龚 1|万 1|顾 1"
)


def _words(text: str) -> list[str]:
    """Whitespace-separated words of a long literal (kept as text so the lists stay readable)."""
    return text.split()


_GIVEN_MALE = _words(
    "伟 刚 勇 毅 俊 峰 强 军 平 保 东 文 辉 力 明 永 健 世 广 志 "
    "义 兴 良 海 山 仁 波 宁 贵 福 生 龙 元 全 国 胜 学 祥 才 发 "
    "武 新 利 清 飞 彬 富 顺 信 子 杰 涛 昌 成 康 星 光 天 达 安 "
    "岩 中 茂 进 林 有 坚 和 彪 博 诚 先 敬 震 振 壮 会 思 群 豪 "
    "心 邦 承 乐 绍 功 松 善 厚 庆 磊 民 友 裕 河 哲 江 超 浩 亮 "
    "政 谦 亨 奇 固 之 轮 翰 朗 伯 宏 言 若 鸣 朋 斌 梁 栋 维 启 "
    "克 伦 翔 旭 鹏 泽 晨 辰 士 以 建 家 致 树 炎 德 行 时 泰 盛 "
    "雄 琛 钧 冠 策 腾 楠 榕 风 航 弘"
)
_GIVEN_FEMALE = _words(
    "秀 娟 英 华 慧 巧 美 娜 静 淑 惠 珠 翠 雅 芝 玉 萍 红 娥 玲 "
    "芬 芳 燕 彩 春 菊 兰 凤 洁 梅 琳 素 云 莲 真 环 雪 荣 爱 妹 "
    "霞 香 月 莺 媛 艳 瑞 凡 佳 嘉 琼 勤 珍 贞 莉 桂 娣 叶 璧 璐 "
    "娅 琦 晶 妍 茜 秋 珊 莎 锦 黛 青 倩 婷 姣 婉 娴 瑾 颖 露 瑶 "
    "怡 婵 雁 蓓 纨 仪 荷 丹 蓉 眉 君 琴 蕊 薇 菁 梦 岚 苑 婕 馨 "
    "瑗 琰 韵 融 园 艺 咏 卿 聪 澜 纯 毓 悦 昭 冰 爽 琬 茗 羽 希 "
    "宁 欣 飘 育 滢 馥 筠 柔 竹 霭 凝 晓 欢 霄 枫 芸 菲 寒 伊 亚 "
    "宜 可 姬 舒 影 荔 枝 丽 阳 妮 宝 贝 初 程 梵 罡 恒 鸿 桦 骅 "
    "剑 娇 纪 宽"
)


def _weighted(spec: str) -> tuple[tuple[str, ...], np.ndarray]:
    pairs = [p.split() for p in spec.split("|")]
    names = tuple(p[0] for p in pairs)
    w = np.array([float(p[1]) for p in pairs])
    return names, w / w.sum()


@cache
def tables() -> dict[str, object]:
    """Simplified and traditional lookup arrays (built once; OpenCC is imported lazily)."""
    import opencc

    s2t = opencc.OpenCC("s2t")
    t2s = opencc.OpenCC("t2s")
    surnames, weights = _weighted(_SURNAMES)
    given = tuple(dict.fromkeys(_GIVEN_MALE + _GIVEN_FEMALE))  # unique, order kept

    def trad(chars: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        converted = [s2t.convert(c) for c in chars]
        # Only characters whose traditional form converts back exactly count as "changed"; the
        # others keep the simplified form so that t2s(traditional name) == name always holds.
        ok = [t != s and t2s.convert(t) == s for s, t in zip(chars, converted, strict=True)]
        arr = np.array([t if k else s for s, t, k in zip(chars, converted, ok, strict=True)])
        return arr, np.array(ok)

    sur_t, sur_changed = trad(surnames)
    giv_t, giv_changed = trad(given)
    male_idx = np.array([given.index(c) for c in _GIVEN_MALE])
    female_idx = np.array([given.index(c) for c in _GIVEN_FEMALE])
    return {
        "surname": np.array(surnames),
        "surname_weights": weights,
        "surname_t": sur_t,
        "surname_changed": sur_changed,
        "given": np.array(given),
        "given_t": giv_t,
        "given_changed": giv_changed,
        "male_idx": male_idx,
        "female_idx": female_idx,
    }


# An index value meaning "no second given-name character".
NONE = -1


def draw_given(rng: np.random.Generator, male: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Given-name character indices (g1, g2); g2 is NONE for one-character given names (~25%)."""
    t = tables()
    mi, fi = t["male_idx"], t["female_idx"]
    assert isinstance(mi, np.ndarray) and isinstance(fi, np.ndarray)
    n = male.shape[0]
    g1 = np.where(male, mi[rng.integers(0, mi.size, n)], fi[rng.integers(0, fi.size, n)])
    g2 = np.where(male, mi[rng.integers(0, mi.size, n)], fi[rng.integers(0, fi.size, n)])
    g2 = np.where(rng.random(n) < 0.25, NONE, g2)
    return g1, g2


def draw_surname(rng: np.random.Generator, n: int) -> np.ndarray:
    t = tables()
    w = t["surname_weights"]
    assert isinstance(w, np.ndarray)
    return rng.choice(w.size, size=n, p=w)


def compose(
    surname: np.ndarray, g1: np.ndarray, g2: np.ndarray, traditional: bool = False
) -> np.ndarray:
    """Full names as a numpy str array."""
    t = tables()
    s_tab = t["surname_t" if traditional else "surname"]
    g_tab = t["given_t" if traditional else "given"]
    assert isinstance(s_tab, np.ndarray) and isinstance(g_tab, np.ndarray)
    first = np.strings.add(s_tab[surname], g_tab[g1])
    second = np.where(g2 == NONE, "", g_tab[np.maximum(g2, 0)])
    return np.strings.add(first, second)


def has_traditional(surname: np.ndarray, g1: np.ndarray, g2: np.ndarray) -> np.ndarray:
    """True where the traditional rendering of the name differs from the simplified one."""
    t = tables()
    sc, gc = t["surname_changed"], t["given_changed"]
    assert isinstance(sc, np.ndarray) and isinstance(gc, np.ndarray)
    return sc[surname] | gc[g1] | np.where(g2 == NONE, False, gc[np.maximum(g2, 0)])
