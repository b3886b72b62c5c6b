"""Renders the catalogue as the data specification page (docs/data-spec.md)."""

from __future__ import annotations

from qingfeng.dataspec.loader import load_catalogue, load_vocabularies
from qingfeng.dataspec.model import BooleanWords, CodeTable, DatasetSpec, FieldSpec, Vocabulary

TYPE_RULES: dict[str, str] = {
    "id_no": "18 位公民身份号码，GB 11643 校验位与出生日期有效；"
    "15 位旧号自动升为 18 位，全角、小写 x、"
    "空格自动纠正 / 18-char resident ID: GB 11643 check digit and birth date valid; 15-digit IDs "
    "upgraded; full-width, lower-case x and spaces corrected",
    "uscc": "18 位统一社会信用代码，GB 32100 校验位有效 / 18-char USCC with a valid GB 32100 "
    "check character",
    "name": "繁体转简体（OpenCC）、全角转半角、中文姓名去除内部空格；不得含数字 / traditional → "
    "simplified (OpenCC), half-width, no spaces inside Chinese names; no digits",
    "text": "去除首尾空白 / trimmed",
    "code": "全角转半角、去空格、大写 / half-width, no spaces, upper case",
    "date": "日期：2024-05-01、2024/5/1、20240501、2024年5月1日、2024.05.01、"
    "二〇二四年五月九日 等；"
    "须为真实日期。日/月在前（05/09/2024）时，本列有日大于 12 的值则按其定序，否则记为 "
    "ambiguous_date / a real date in any common Chinese format, Chinese numerals included; "
    "day/month/year is ordered by the column's values with a part above 12, else ambiguous_date",
    "timestamp": "日期时间：上述日期格式加时分秒 / date and time in the formats above",
    "period": "年月 YYYY-MM：2024-05、202405、2024年5月、2024/5、2024.05、12/2024、"
    "二〇二四年五月或完整日期；“第N期”不视为月份 / a month; a period number is not a month",
    "amount": "金额（元，两位小数）：去千分位和货币符号，万元自动换算 / "
    "yuan, 2 decimals; separators "
    "and currency signs removed, 万元 converted",
    "decimal": "数值 / a number",
    "integer": "整数 / a whole number",
    "division_code": "行政区划代码：6、9 或 12 位，统一补足为 12 位 / 6-, 9- or 12-digit division "
    "code, stored as 12 digits",
    "phone": "手机 11 位或座机（区号+号码），去除 +86 和分隔符 / mobile or landline, +86 and "
    "separators removed",
    "enum": "取值见右；不在取值和代码表中的记为 unknown_code / one of the listed values, "
    "else unknown_code",
    "boolean": "是/否、Y/N、1/0 等通用写法及本字段的写法；无法识别的记为 unknown_boolean / yes or "
    "no in the shared spellings and the field's own, else unknown_boolean",
}

SENSITIVITY_TEXT = {
    "public": "公开 public",
    "internal": "内部 internal",
    "personal": "个人 personal",
    "sensitive": "敏感 sensitive",
    "prohibited": "禁止采集 prohibited",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _rules(f: FieldSpec) -> str:
    parts = [TYPE_RULES[f.type]]
    if f.values:
        vals = "; ".join(f"`{k}` ← {'、'.join(v)}" for k, v in f.values.items())
        parts.append(f"取值 values: {vals}")
        if f.fallback:
            parts.append(f"其他写法记为 otherwise `{f.fallback}`")
        if f.usual:
            parts.append(
                f"本列最常见且无人认得的写法记为 the column's most frequent unknown wording is "
                f"`{f.usual}`"
            )
        for value, other in f.implied_by.items():
            parts.append(
                f"`{other}` 有值的行独有的写法记为 a wording only rows with `{other}` carry is "
                f"`{value}`"
            )
        for value, other in f.implied_by_empty.items():
            parts.append(
                f"`{other}` 为空的行独有的写法记为 a wording only rows without `{other}` carry "
                f"is `{value}`"
            )
    if f.min is not None:
        parts.append(f"≥ {f.min:g}")
    if f.max is not None:
        parts.append(f"≤ {f.max:g}")
    if f.pattern:
        parts.append(f"格式 pattern `{f.pattern}`")
    if f.codes:
        table = load_vocabularies()[f.codes]
        if isinstance(table, CodeTable):
            parts.append(
                f"代码表 code table [{table.standard} {table.zh}](#{table.id}) 的代码亦可 / "
                "its codes accepted"
            )
    if f.true_values or f.false_values:
        parts.append(
            f"是 true ← {'、'.join(f.true_values)}; 否 false ← {'、'.join(f.false_values)}"
            "（及“未/不/非”加“是”的写法 / and their negations）"
        )
    if f.unit in ("percent", "fraction"):
        scale = "百分数 0–100 / percent" if f.unit == "percent" else "小数 0–1 / fraction"
        parts.append(
            f"比例按{scale}存储：带 % 的值按百分数读；不带 % 的值全列均 ≤ 1 时按小数读 / "
            "a value with % is a percent; plain values are fractions when all of the column's "
            "are ≤ 1"
        )
    if f.vocabulary:
        parts.append(
            f"按词表 vocabulary [`{f.vocabulary}`](#{f.vocabulary}) 归一为代码；无法归类的写法"
            "代码为空并在导入报告中列出 / canonical code, NULL and reported when not recognised"
        )
    if f.derive_from:
        parts.append(
            f"文件无此列时取自 `{f.derive_from}` / taken from `{f.derive_from}` when no column "
            "maps to it"
        )
    if f.type == "amount" and f.unit == "wan":
        parts.append(
            "表头未注明单位时按万元（样本中位数不低于一万时按元）/ 万元 unless the header says "
            "otherwise (yuan when the sampled median is 10,000 or more)"
        )
    if f.before:
        parts.append(
            f"同一行中早于 `{f.before}`，识别时据此区分两列 / precedes `{f.before}` in a row; "
            "recognition tells the two columns apart by it"
        )
    if f.at_most:
        parts.append(
            f"同一行中不超过 `{f.at_most}`，识别时据此区分两列 / at most `{f.at_most}` in a "
            "row; recognition tells the two columns apart by it"
        )
    if f.code_variant:
        parts.append(
            f"若该列是区划代码则映射到 `{f.code_variant}` / codes map to `{f.code_variant}`"
        )
    return "; ".join(parts)


def render_dataset(spec: DatasetSpec, children: list[DatasetSpec] | None = None) -> str:
    lines = [
        f'<a id="{spec.id}"></a>',
        "",
        f"## `{spec.id}` — {spec.zh} / {spec.en}",
        "",
        f"{spec.description_zh}",
        "",
        f"{spec.description_en}",
        "",
        f"- 数据提供部门 / supplied by: {spec.department}",
    ]
    if spec.unique_key:
        lines.append(f"- 唯一键 / unique key: {', '.join(f'`{k}`' for k in spec.unique_key)}")
        if spec.key_conflicts == "land":
            lines.append(
                "- 键相同而内容不同的行照常入库（该键可合法重复）/ rows sharing the key but "
                "differing elsewhere land (the key may legitimately repeat)"
            )
    if spec.parent:
        link = ", ".join(f"`{c}` → `{p}`" for c, p in spec.parent.link.items())
        lines.append(
            f"- 上级数据集 / parent: [`{spec.parent.dataset}`](#{spec.parent.dataset}) ({link})"
        )
    for child in children or []:
        lines.append(f"- 下级数据集 / child: [`{child.id}`](#{child.id})")
    if spec.timeliness_field:
        lines.append(f"- 时效字段 / timeliness field: `{spec.timeliness_field}`")
    for group in spec.require_one_of:
        lines.append(f"- 至少填写其一 / at least one of: {', '.join(f'`{g}`' for g in group)}")
    if spec.measures:
        lines.append(
            "- 度量字段（识别时须至少有一列）/ measures (recognition needs a column for one): "
            + ", ".join(f"`{m}`" for m in spec.measures)
        )
    lines += [
        "",
        "| 字段 field | 类型 type | 必填 required | 标识 role | 分级 sensitivity | 含义 meaning | "
        "表头同义词 header synonyms | 校验与清洗 rules |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for f in spec.fields:
        lines.append(
            "| "
            + " | ".join(
                [
                    f"`{f.name}`",
                    f"{f.type} ({f.storage_type})",
                    "是 yes" if f.required else "",
                    "" if f.role == "attribute" else f.role,
                    SENSITIVITY_TEXT[f.sensitivity],
                    _cell(f"{f.zh} / {f.en}"),
                    _cell("、".join(f.synonyms)),
                    _cell(_rules(f)),
                ]
            )
            + " |"
        )
    return "\n".join(lines) + "\n"


def render_markdown() -> str:
    specs = load_catalogue()
    head = [
        "# 数据规范 / Data specification",
        "",
        "<!-- Generated by `qingfeng catalogue docs` from src/qingfeng/dataspec/datasets/*.yaml;",
        "     do not edit by hand (a test fails when this page and the catalogue differ). -->",
        "",
        "每个标准数据集一节：字段、类型、是否必填、标识作用、分级（公开/内部/个人/敏感/禁止采集）、含义、",
        "各部门表头同义词和校验清洗规则。校验不通过的行进入隔离区并记录违反的规则和原始值；",
        "分级为“禁止采集”的列即使出现在源文件中也不会入库。",
        "",
        "One section per standard dataset: fields, types, required, identifier role, sensitivity",
        "class, meaning, the Chinese headers departments use, and the validation and cleaning",
        "rules.",
        "Rows that break a rule go to quarantine with the rule and their original values; columns",
        "classed *prohibited* are never stored even when a source file has them.",
        "",
        "| id | 数据集 | dataset | 字段数 fields |",
        "| --- | --- | --- | --- |",
    ]
    for spec in specs.values():
        head.append(f"| [`{spec.id}`](#{spec.id}) | {spec.zh} | {spec.en} | {len(spec.fields)} |")
    head += [
        "",
        "## 一个文件、两个数据集 / One file, two datasets",
        "",
        "下级数据集的文件常在每一行重复上级的列（成员花名册重复家庭、开标记录重复项目）。这样的",
        "文件两边都入库：每一行进下级数据集，重复部分按关联键去重后进上级数据集；同一键下重复列",
        "的值互相矛盾的行进隔离区（规则 `parent_conflict`，附各行的值），不作猜测。",
        "",
        "A child dataset's files often repeat the parent's columns on every row (a member roster",
        "its household, a bid-opening record its tender). Such a file lands in both: every row in",
        "the child, the repeated part de-duplicated by the link into the parent; rows whose",
        "repeated values contradict each other under one key go to quarantine (rule",
        "`parent_conflict`, with each row's value), never guessed.",
        "",
        "| 上级 parent | 下级 child | 关联 link |",
        "| --- | --- | --- |",
    ]
    children: dict[str, list[DatasetSpec]] = {}
    for spec in specs.values():
        if spec.parent:
            children.setdefault(spec.parent.dataset, []).append(spec)
            link = ", ".join(f"`{c}` → `{p}`" for c, p in spec.parent.link.items())
            head.append(f"| `{spec.parent.dataset}` | `{spec.id}` | {link} |")
    body = [render_dataset(spec, children.get(spec.id)) for spec in specs.values()]
    return "\n".join(head) + "\n\n" + "\n".join(body) + "\n" + render_vocabularies()


def render_vocabularies() -> str:
    """The code tables, vocabularies and shared yes/no spellings the fields refer to."""
    lines = [
        "# 代码表与词表 / Code tables and vocabularies",
        "",
        "国家或行业标准代码表（dataspec/vocabularies）：代码经其名称对应到字段的取值；"
        "词表把各部门的不同写法归一为一个代码。",
        "",
        "National and sector code tables (dataspec/vocabularies): each code's label names one of "
        "the field's values. Vocabularies bring departments' wordings to one code.",
        "",
    ]
    for vid, v in load_vocabularies().items():
        lines += [f'<a id="{vid}"></a>', ""]
        if isinstance(v, CodeTable):
            lines += [f"## `{vid}` — {v.standard} {v.zh} / {v.en}", ""]
            lines.append("、".join(f"`{c}` {label}" for c, label in v.codes.items()))
            if v.combinable:
                lines += [
                    "",
                    "代码可连写（如 `KL`），各代码对应同一取值时取该值 / codes may be written "
                    "together (`KL`); they give a value when every code names that same value",
                ]
        elif isinstance(v, Vocabulary):
            lines += [
                f"## `{vid}` — {v.zh} / {v.en}",
                "",
                "| 代码 code | 名称 name | 写法 spellings | 关键词 key terms |",
                "| --- | --- | --- | --- |",
            ]
            for code, t in v.terms.items():
                keys = " 或 or ".join("+".join(g) for g in t.key_terms)
                if t.exclude:
                    keys += f"（不含 without {'、'.join(t.exclude)}）"
                lines.append(
                    f"| `{code}` | {_cell(t.zh + ' / ' + t.en)} | {_cell('、'.join(t.spellings))} "
                    f"| {_cell(keys)} |"
                )
        elif isinstance(v, BooleanWords):
            lines += [f"## `{vid}` — {v.zh} / {v.en}", ""]
            lines.append(
                f"是 true ← {'、'.join(v.true_values)}; 否 false ← {'、'.join(v.false_values)}"
            )
        lines.append("")
    return "\n".join(lines)
