"""Streams rendered chunks into department files: CSV (GB18030 or UTF-8 with BOM) or .xlsx.

Output is byte-identical for the same input: CSV has fixed line endings, the workbook has a fixed
creation date. Excel sheets hold at most 1,048,576 rows, so a large export is split into numbered
parts (`name.xlsx`, `name_part2.xlsx`, ...), as departments do.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np

from qingfeng.synth.departments import FileSpec

XLSX_MAX_ROWS = 1_000_000
WRITE_SLICE = 20_000
FIXED_CREATED = dt.datetime(2025, 1, 1, 8, 0, 0)


class FileWriter:
    """Appends rendered chunks to one department file (or its parts); tracks data-row numbers."""

    def __init__(
        self,
        out_dir: Path,
        spec: FileSpec,
        xlsx_max_rows: int = XLSX_MAX_ROWS,
        *,
        title: tuple[str, ...] = (),
    ) -> None:
        self.out_dir = out_dir
        self.spec = spec
        self.title = title  # lines above the header (a merged cell across the sheet)
        self.rows = 0  # data rows written across parts
        self.paths: list[Path] = []
        self._xlsx_max = xlsx_max_rows
        self._fh: Any = None
        self._csv: Any = None
        self._wb: Any = None
        self._ws: Any = None
        self._part_rows = 0
        self._head = 0
        self._money = [i for i, c in enumerate(spec.columns) if c.kind == "money"]

    # -- CSV ---------------------------------------------------------------------------------
    def _open_csv(self) -> None:
        path = self.out_dir / self.spec.file_name
        self._fh = path.open("w", encoding=self.spec.encoding, newline="")
        self._csv = csv.writer(self._fh, lineterminator="\r\n")
        width = len(self.spec.columns)
        for line in self.title:  # as a merged title cell is saved to CSV: then empty cells
            self._csv.writerow([line] + [""] * (width - 1))
        self._csv.writerow([c.header for c in self.spec.columns])
        self.paths.append(path)

    # -- XLSX --------------------------------------------------------------------------------
    def _xlsx_path(self, part: int) -> Path:
        stem, suffix = self.spec.file_name.rsplit(".", 1)
        name = self.spec.file_name if part == 1 else f"{stem}_part{part}.{suffix}"
        return self.out_dir / name

    def _open_xlsx(self) -> None:
        import xlsxwriter

        self._close_xlsx()
        path = self._xlsx_path(len(self.paths) + 1)
        self._wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        self._wb.set_properties({"created": FIXED_CREATED, "author": self.spec.department})
        self._ws = self._wb.add_worksheet("Sheet1")
        width = len(self.spec.columns)
        for r, line in enumerate(self.title):
            self._ws.merge_range(r, 0, r, max(width - 1, 1), line)
        self._head = len(self.title)
        self._ws.write_row(self._head, 0, [c.header for c in self.spec.columns])
        self._part_rows = 0
        self.paths.append(path)

    def _close_xlsx(self) -> None:
        if self._wb is not None:
            self._wb.close()
            self._wb = None

    def write(self, columns: list[np.ndarray]) -> None:
        # Slices keep the Python string objects of one write small (bounded memory).
        n = int(columns[0].size)
        for lo in range(0, n, WRITE_SLICE):
            self._write([c[lo : lo + WRITE_SLICE] for c in columns])

    def _write(self, columns: list[np.ndarray]) -> None:
        n = int(columns[0].size)
        lists = [c.tolist() for c in columns]
        if self.spec.fmt == "csv":
            if self._csv is None:
                self._open_csv()
            self._csv.writerows(zip(*lists, strict=True))
        else:
            # Money goes into Excel as numbers (as exports do); everything else as text.
            for j in self._money:
                lists[j] = [float(v) if v else "" for v in lists[j]]
            for row in zip(*lists, strict=True):
                if self._wb is None or self._part_rows >= self._xlsx_max:
                    self._open_xlsx()
                self._part_rows += 1
                r = self._head + self._part_rows
                for j, v in enumerate(row):
                    if isinstance(v, float):
                        self._ws.write_number(r, j, v)
                    elif v != "":
                        self._ws.write_string(r, j, v)
        self.rows += n

    def locate(self, row0: int) -> tuple[str, int]:
        """File name and 1-based data-row number of a 0-based row of the whole export."""
        if self.spec.fmt == "csv":
            return self.spec.file_name, row0 + 1
        part, within = divmod(row0, self._xlsx_max)
        return self._xlsx_path(part + 1).name, within + 1

    def close(self) -> None:
        if self.spec.fmt == "csv":
            if self._csv is None:
                self._open_csv()
            self._fh.close()
        else:
            if self._wb is None:
                self._open_xlsx()
            self._close_xlsx()
