"""`standard`: the departments' files as `qingfeng.synth.departments` writes them."""

from qingfeng.synth.styles.model import Style

STYLE = Style(
    name="standard",
    description="各部门现行导出 / the departments' own exports (docs/synth.md)",
)
