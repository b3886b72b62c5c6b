"""What a column's values are: shares of a bounded sample that look like each kind of value.

Recognition reads at most `SAMPLE_ROWS` rows of a source (`read_sample`), so a file of ten
million rows is recognised as fast as one of a thousand. `profile_samples` then measures, per
column and in one DuckDB query over the sample, the share of non-empty values that are valid
resident IDs, credit codes, plates, bank accounts, division codes, dates, amounts, Chinese
personal names, organisation names, yes/no words, and so on. The checks reuse the ingest
normaliser's macros (`qf_id_valid`, `qf_date`, `qf_amount`, ...), so a value counts as a date
here exactly when ingest would accept it as one.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import duckdb

from qingfeng.normalise import install_macros

if TYPE_CHECKING:
    from qingfeng.ingest.readers import SourceTable

SAMPLE_ROWS = 2000
TOP_VALUES = 30  # distinct values kept per column, to compare with an enum's spellings
CONSTANT_MIN_ROWS = 10  # a column with one value on at least this many rows is a constant

# The ~300 most common Chinese surnames (domain data: a name column starts with one of them).
# Compound surnames are listed apart.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏"
    "吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱"
    "严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁"
    "尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时"
    "穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾"
    "隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮"
    "粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹井祖漆巴丰支卿国狄平计索宣晋相初门云容敬"
    "来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎"
    "勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由"
)


def _with_traditional(chars: str) -> str:
    """The surnames and their traditional forms (names in files are often traditional)."""
    import opencc

    traditional = opencc.OpenCC("s2t").convert(chars)
    return "".join(dict.fromkeys(chars + traditional))


SURNAMES = _with_traditional(SURNAMES)
COMPOUND_SURNAMES = (
    "欧阳",
    "司马",
    "上官",
    "诸葛",
    "东方",
    "皇甫",
    "尉迟",
    "公孙",
    "慕容",
    "长孙",
    "宇文",
    "司徒",
    "夏侯",
    "令狐",
    "端木",
    "轩辕",
    "呼延",
    "南宫",
)
# Endings of organisation names: enterprises, government bodies, schools, hospitals, collectives
# (a number after the ending is a branch or a numbered placeholder: 某建筑公司3).
ORG_SUFFIXES = (
    "公司|集团|厂|店|行|社|部|局|委|办|院|所|校|学|园|中心|站|队|会|馆|处|科|室|委员会|办公室|"
    "政府|医院|卫生院|诊所|学校|小学|中学|大学|幼儿园|合作社|协会|商会|基金会|工作室|事务所|"
    "超市|酒店|宾馆|饭店|餐厅|山庄|农场|养殖场|研究院|银行|支行|分行|街道|村委会|居委会|经营部|"
    "门市部|加工厂|农家乐|车队|医药|药房|工程|中队|大队"
)
# Spellings of yes and no that departments write.
YES_NO = (
    "是",
    "否",
    "有",
    "无",
    "y",
    "n",
    "yes",
    "no",
    "true",
    "false",
    "t",
    "f",
    "1",
    "0",
    "√",
    "×",
    "对",
    "错",
    "真",
    "假",
)
_PROVINCES = (
    "11|12|13|14|15|21|22|23|31|32|33|34|35|36|37|41|42|43|44|45|46|50|51|52|53|54|61|62|63|64|65"
)
_PLATE = (
    "[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵黔粤青藏川宁琼使领]"
    "[A-HJ-NP-Z][A-HJ-NP-Z0-9]{4,5}[A-HJ-NP-Z0-9挂学警港澳领试超]"
)

# Cheap tests that guard the costly macros: most values fail them and skip the macro.
_DIGITS18 = "length(v) BETWEEN 15 AND 20 AND regexp_full_match(v, '[\\s0-9０-９XxＸｘ]+')"
# A year in digits, or in Chinese numerals (二〇二三年…, as dates are written in documents).
_STARTS_YEAR = (
    "length(v) <= 40 AND regexp_matches(v, '^([0-9０-９]{4}|[〇○零一二三四五六七八九]{4}年)')"
)

# Shape of an ID with a possible birth date, whatever the check digit (files carry some bad
# ones: they are still an ID column).
_ID_SHAPE = (
    f"CASE WHEN {_DIGITS18} THEN "
    "[regexp_full_match(c, '[0-9]{17}[0-9X]|[0-9]{15}') "
    "AND CASE WHEN length(c) = 18 THEN try_strptime(c[7:14], '%Y%m%d') "
    "ELSE try_strptime('19' || c[7:12], '%Y%m%d') END "
    "BETWEEN TIMESTAMP '1880-01-01' AND current_date "
    "for c in [upper(regexp_replace(qf_hw(v), '\\s', '', 'g'))]][1] END"
)
# Document numbers: 某字〔2023〕12号, [2023]12, (2023)第12号.
_DOC_NO = "regexp_matches(v, '[〔\\[［(（【][12][0-9]{3}[〕\\]］)）】]')"

# Each kind: a SQL predicate over the trimmed, non-empty value `v`. The date macros are applied
# step by step through a one-element list, which binds each step's result once (nested macros
# would repeat their argument and take far longer to plan than to run).
KINDS: dict[str, str] = {
    "id": f"CASE WHEN {_DIGITS18} THEN "
    "[qf_id_error(c) IS NULL for c in [qf_id_up(qf_id_clean(v))]][1] END",
    # Shape of an ID with a possible birth date, whatever the check digit (files carry some bad
    # ones: they are still an ID column).
    "id_shape": _ID_SHAPE,
    "uscc": "CASE WHEN length(v) BETWEEN 18 AND 22 THEN "
    "[qf_uscc_error(c) IS NULL for c in [qf_uscc_clean(v)]][1] END",
    "plate": "CASE WHEN length(v) BETWEEN 7 AND 12 THEN regexp_full_match("
    f"upper(regexp_replace(qf_hw(v), '[\\s·•.\\-]', '', 'g')), '{_PLATE}') END",
    "vin": "CASE WHEN length(v) BETWEEN 17 AND 20 THEN "
    "regexp_full_match(upper(qf_nospace(qf_hw(v))), '[A-HJ-NPR-Z0-9]{17}') "
    "AND regexp_matches(upper(v), '[A-Z]') AND regexp_matches(v, '[0-9]') END",
    # Digit runs of bank cards and accounts; an ID number (its birth date possible) is not one.
    "account": "regexp_full_match(v, '[\\s0-9]{12,30}') "
    f"AND NOT coalesce({_ID_SHAPE}, false) "
    f"AND NOT regexp_full_match(v, '({_PROVINCES})[0-9]{{10}}')",
    "division": f"regexp_full_match(v, '({_PROVINCES})[0-9]{{4}}([0-9]{{3}}([0-9]{{3}})?)?')",
    "date": f"CASE WHEN {_STARTS_YEAR} AND NOT regexp_full_match(v, '[0-9]{{1,7}}|[0-9]{{9,}}') "
    "THEN [qf_date_ok(qf_date_p(x)) for x in [qf_date_t(v)]][1] IS NOT NULL END",
    # A time of day other than midnight (spreadsheets write every date cell as 00:00:00).
    "time": f"CASE WHEN {_STARTS_YEAR} AND regexp_matches(v, '[0-9][:时点][0-9]|^[0-9]{{14}}$') "
    "AND NOT regexp_matches(v, '[ T]00:00(:00(\\.0+)?)?$|000000$') "
    "THEN [qf_ts_ok(qf_ts_p(x)) for x in [qf_ts_t(v)]][1] IS NOT NULL END",
    "period": f"CASE WHEN {_STARTS_YEAR} AND length(v) <= 12 "
    "AND NOT regexp_matches(v, '[0-9]{8}|日|[0-9][-/.][0-9]{1,2}[-/.][0-9]') "
    "THEN [qf_period_ok(qf_period_p(x)) for x in [qf_period_t(v)]][1] IS NOT NULL END",
    "number": "regexp_full_match(regexp_replace(qf_hw(v), '[\\s,，]', '', 'g'), "
    "'[-+]?[¥￥]?[0-9]+(\\.[0-9]+)?(元|万元|万)?')",
    "decimal_point": "regexp_full_match(v, '\\s*-?[0-9,]*\\.[0-9]+\\s*')",
    "integer": "regexp_full_match(v, '\\s*-?[0-9]{1,12}\\s*')",
    "small_int": "regexp_full_match(v, '\\s*[0-9]{1,3}\\s*') AND TRY_CAST(v AS INTEGER) <= 500",
    # Digits with a leading zero (0012, 007): a code (staff or item number), never a quantity.
    "zero_lead": "regexp_full_match(v, '\\s*0[0-9]+\\s*')",
    "percent": "regexp_full_match(qf_hw(v), '\\s*-?[0-9]+(\\.[0-9]+)?\\s*[%‰]\\s*')",
    "phone": "regexp_full_match(regexp_replace(qf_hw(v), '[\\s\\-()（）]', '', 'g'), "
    "'(\\+86|0086)?(1[3-9][0-9]{9}|0[1-9][0-9]{8,10})')",
    "cjk": "regexp_matches(v, '\\p{Han}')",
    # Two or three characters after a common surname, or a compound surname and one or two;
    # a staff or login number after the name (某某-0028, 某某01) keeps it a person's name.
    "person": "[regexp_full_match(x, '\\p{Han}{2,3}') AND contains('" + SURNAMES + "', x[1]) "
    "OR regexp_full_match(x, '\\p{Han}{3,4}') AND list_contains("
    + str(list(COMPOUND_SURNAMES))
    + ", x[1:2]) for x in [regexp_replace(regexp_replace(v, '[\\s·•]', '', 'g'), "
    "'(\\p{Han})[-_#]?[0-9]{1,6}$', '\\1')]][1] "
    f"AND NOT regexp_matches(v, '({ORG_SUFFIXES})$')",
    # Two to four Chinese characters and nothing else: a name whose surname is not a common
    # one (or a pseudonym) looks like this too, so a name header is not contradicted by it.
    "han_short": "regexp_full_match(regexp_replace(v, '[\\s·•]', '', 'g'), '\\p{Han}{2,4}') "
    f"AND NOT regexp_matches(v, '({ORG_SUFFIXES})$')",
    "org": f"regexp_matches(v, '\\p{{Han}}') AND length(v) >= 4 "
    f"AND regexp_matches(v, '({ORG_SUFFIXES})(（[^）]*）|\\([^)]*\\)|[0-9]{{1,3}})?$')",
    "docno": _DOC_NO,
    "address": f"NOT {_DOC_NO} AND regexp_matches(v, '\\p{{Han}}') AND length(v) >= 6 "
    "AND regexp_matches(v, '[省市县区镇乡村路街巷号组栋楼室弄屯寨]')",
    "long_text": "length(v) >= 20",
    "yes_no": "list_contains(" + str(list(YES_NO)) + ", lower(qf_hw(v)))",
    "codelike": "regexp_full_match(qf_hw(v), '[A-Za-z0-9][A-Za-z0-9\\-_/.:#]{2,}|[A-Za-z][0-9]') "
    "AND NOT regexp_full_match(v, '[0-9]+\\.[0-9]+')",
    "ip": "regexp_full_match(v, '[0-9]{1,3}(\\.[0-9]{1,3}){3}')",
    "mac": "regexp_full_match(upper(v), '[0-9A-F]{2}([:-]?[0-9A-F]{2}){5}')",
}


@dataclass
class ColumnProfile:
    """What one column's sampled values look like."""

    n: int  # non-empty values sampled
    distinct: int
    shares: dict[str, float] = field(default_factory=dict)  # kind -> share of the n values
    avg_len: float = 0.0
    top: list[tuple[str, int]] = field(default_factory=list)  # most frequent values, counts
    # Value fit per field, memoised by qingfeng.ingest.recognise (a profile is fitted against
    # every field of every dataset).
    fits: dict[object, float | None] = field(default_factory=dict, repr=False, compare=False)
    _spelled: list[tuple[str, int]] | None = field(default=None, repr=False, compare=False)
    # Sampled row -> what its value is worth, for columns of dates or times (epoch seconds) or
    # of numbers, read from whole rows: two such columns can then be compared row by row (an
    # admission precedes its discharge, the fund pays no more than the total).
    row_values: dict[int, float] = field(default_factory=dict, repr=False, compare=False)
    # The median of the values read as numbers (None when few are): the scale of an amount
    # whose header names no unit.
    median: float | None = None

    @property
    def constant(self) -> bool:
        """One value on every sampled row (an export time, an operator): a stamp of the file,
        not a fact about each row."""
        return self.n >= CONSTANT_MIN_ROWS and self.distinct == 1

    @property
    def spelled_top(self) -> list[tuple[str, int]]:
        """`top` with each value as headers are compared (half-width, no spaces, lower case)."""
        if self._spelled is None:
            from qingfeng.dataspec import normalise_header

            self._spelled = [(normalise_header(v), n) for v, n in self.top]
        return self._spelled

    def share(self, kind: str) -> float:
        return self.shares.get(kind, 0.0)

    @property
    def unique_ratio(self) -> float:
        return self.distinct / self.n if self.n else 0.0

    @property
    def small_set(self) -> bool:
        """A handful of values repeated: a code set or a vocabulary."""
        return self.n >= 8 and self.distinct <= max(3, min(15, self.n // 4))

    def best_kind(self) -> tuple[str, float]:
        specific = [k for k in _SPECIFIC if self.share(k) > 0]
        if not specific:
            return ("text" if self.share("cjk") >= 0.5 else "other", self.share("cjk"))
        k = max(specific, key=self.share)
        return k, self.share(k)


_SPECIFIC = (
    "id",
    "uscc",
    "plate",
    "vin",
    "division",
    "account",
    "time",
    "date",
    "period",
    "percent",
    "phone",
    "person",
    "org",
    "yes_no",
    "address",
    "number",
)

_LOCAL = threading.local()


def _con() -> duckdb.DuckDBPyConnection:
    """One in-memory DuckDB per thread, with the normaliser's macros."""
    con: duckdb.DuckDBPyConnection | None = getattr(_LOCAL, "con", None)
    if con is None:
        con = duckdb.connect()
        con.execute("SET threads = 1")
        install_macros(con)
        _LOCAL.con = con
    return con


class Sample(dict[str, list[str]]):
    """header -> sampled non-empty values, and the sampled rows themselves (`rows`, one tuple
    per row in header order) so that columns can be compared within a row."""

    rows: list[tuple[str | None, ...]]

    def __init__(self, values: dict[str, list[str]], rows: list[tuple[str | None, ...]]):
        super().__init__(values)
        self.rows = rows


def profile_samples(
    samples: dict[str, list[str]], con: duckdb.DuckDBPyConnection | None = None
) -> dict[str, ColumnProfile]:
    """header -> profile of its non-empty sampled values (headers with none get n = 0).

    `con` must have the ingest macros installed (the ingest's own connection); without it a
    connection of this thread is used. When `samples` carries its rows (`Sample`), the date,
    time and number columns also get each row's value (`ColumnProfile.row_values`).
    """
    headers = list(samples)
    out = {h: ColumnProfile(0, 0) for h in headers}
    rows = [
        (i, str(v).strip())
        for i, h in enumerate(headers)
        for v in samples[h][:SAMPLE_ROWS]
        if v is not None and str(v).strip()
    ]
    if not rows:
        return out
    con = con or _con()
    con.execute(
        "CREATE OR REPLACE TEMP TABLE qf_sample AS "
        "SELECT unnest($1::INTEGER[]) AS col, unnest($2::VARCHAR[]) AS v",
        [[c for c, _ in rows], [v for _, v in rows]],
    )
    # Each distinct value is tested once and weighted by how often it occurs.
    shares = ", ".join(
        f'sum(CASE WHEN coalesce(({pred}), false) THEN n ELSE 0 END) / sum(n) AS "{k}"'
        for k, pred in KINDS.items()
    )
    result = con.execute(
        f"SELECT col, sum(n), count(*), sum(length(v) * n) / sum(n), {shares} "
        "FROM (SELECT col, v, count(*) AS n FROM qf_sample GROUP BY col, v) GROUP BY col"
    ).fetchall()
    tops = con.execute(
        "SELECT col, list((v, n) ORDER BY n DESC, v) FROM (SELECT col, v, count(*) AS n, "
        "row_number() OVER (PARTITION BY col ORDER BY count(*) DESC, v) AS r "
        f"FROM qf_sample GROUP BY col, v) WHERE r <= {TOP_VALUES} GROUP BY col"
    ).fetchall()
    top_by_col = {c: [(str(x[0]), int(x[1])) for x in vals] for c, vals in tops}
    for row in result:
        col, n, distinct, avg_len, *vals = row
        out[headers[col]] = ColumnProfile(
            n=int(n),
            distinct=int(distinct),
            shares={k: float(s) for k, s in zip(KINDS, vals, strict=True)},
            avg_len=float(avg_len or 0.0),
            top=top_by_col.get(col, []),
        )
    medians = con.execute(
        "SELECT col, median(x) FROM (SELECT col, TRY_CAST(qf_amount(v, 1) AS DOUBLE) AS x "
        "FROM qf_sample) WHERE x IS NOT NULL GROUP BY col"
    ).fetchall()
    for col, m in medians:
        prof = out[headers[col]]
        if prof.share("number") >= 0.8 and m is not None:
            prof.median = float(m)
    rows_of = getattr(samples, "rows", None)
    if rows_of:
        _add_row_values(con, headers, rows_of, out)
    return out


def _add_row_values(
    con: duckdb.DuckDBPyConnection,
    headers: list[str],
    rows: list[tuple[str | None, ...]],
    out: dict[str, ColumnProfile],
) -> None:
    """What each sampled row's value is worth, for columns mostly of dates or times (the
    moment, epoch seconds) and of numbers (in yuan when the header says 万元)."""
    from qingfeng.dataspec import header_unit

    kinds: dict[int, str] = {}
    for i, h in enumerate(headers):
        p = out[h]
        if not p.n:
            continue
        if max(p.share("date"), p.share("time")) >= 0.5:
            kinds[i] = "time"
        elif p.share("number") >= 0.8:
            kinds[i] = "wan" if header_unit(h) == "wan" else "number"
    cells = [
        (i, r, str(row[i]).strip())
        for i in kinds
        for r, row in enumerate(rows[:SAMPLE_ROWS])
        if i < len(row) and row[i] is not None and str(row[i]).strip()
    ]
    if not cells:
        return
    got = con.execute(
        "SELECT col, r, CASE kind WHEN 'time' THEN epoch(qf_timestamp(v)) "
        "ELSE CAST(qf_amount(v, CASE kind WHEN 'wan' THEN 10000 ELSE 1 END) AS DOUBLE) END AS x "
        "FROM (SELECT unnest($1::INTEGER[]) AS col, unnest($2::INTEGER[]) AS r, "
        "unnest($3::VARCHAR[]) AS v, unnest($4::VARCHAR[]) AS kind) WHERE x IS NOT NULL",
        [
            [c for c, _, _ in cells],
            [r for _, r, _ in cells],
            [v for _, _, v in cells],
            [kinds[c] for c, _, _ in cells],
        ],
    ).fetchall()
    for col, r, x in got:
        out[headers[col]].row_values[int(r)] = float(x)


def read_sample(
    con: duckdb.DuckDBPyConnection, src: SourceTable, limit: int = SAMPLE_ROWS
) -> dict[str, list[str]]:
    """header -> up to `limit` non-empty values from the first rows of the source.

    Reads through the source's own relation with a LIMIT, so DuckDB stops after the first rows
    however large the file. Falls back on the reader's own sample if the relation cannot be read.
    """
    cols = ", ".join(f"c{i}" for i in range(len(src.headers)))
    try:
        rows = con.execute(f"SELECT {cols} FROM {src.relation} LIMIT {int(limit)}").fetchall()
    except duckdb.Error:
        return src.samples()
    out: dict[str, list[str]] = {}
    first: list[int] = []
    for i, h in enumerate(src.headers):
        if h in out:
            continue
        first.append(i)
        out[h] = [str(r[i]) for r in rows if r[i] is not None and str(r[i]).strip()]
    # The rows in the order of the (first occurrence of each) header, as profile_samples reads
    # them.
    aligned = [tuple(None if r[i] is None else str(r[i]) for i in first) for r in rows]
    return Sample(out, aligned)
