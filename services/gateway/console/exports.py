"""A list as a file: CSV (UTF-8 with a BOM, so spreadsheets read the Chinese) or Excel (openpyxl).

Every cell is text someone typed into the system (a member's name, an employer, a project): neither file may let
a spreadsheet run it as a formula (OWASP's CSV injection)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: What starts a formula in Excel or LibreOffice (OWASP), also after spaces a spreadsheet may trim on import.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def _starts_formula(value: str) -> bool:
    return value.lstrip(" ")[:1] in FORMULA_START


def _csv_cell(value: str) -> str:
    return "'" + value if _starts_formula(value) else value


def to_csv(headings: Sequence[str], rows: Sequence[Sequence[str]]) -> bytes:
    out = io.StringIO()
    # Every field quoted: where the list separator is ';', an unquoted 'a;=1+2' would open as a cell '=1+2'.
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow(headings)
    writer.writerows([_csv_cell(v) for v in row] for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(title: str, headings: Sequence[str], rows: Sequence[Sequence[str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append(list(headings))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        # An XML file cannot hold most control characters (openpyxl raises on them): they are left out.
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", v) for v in row])
        for cell in sheet[sheet.max_row]:
            # Written as a string, as the person typed it: openpyxl would store '=…' as a formula. The quote
            # prefix keeps it text even when someone edits the cell in Excel.
            if isinstance(cell.value, str) and _starts_formula(cell.value):
                cell.data_type = "s"
                cell.quotePrefix = True
    for column in sheet.columns:
        width = max((len(str(c.value or "")) for c in column), default=8)
        sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 8), 50)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
