"""CSV and XLSX responses from a header and rows, for every download in the product."""

from __future__ import annotations

import csv
import io

from django.http import HttpResponse

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(value):
    """Neutralise spreadsheet formulas in text (=, +, -, @, tab, CR) with a leading quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def spreadsheet_response(fmt: str, header: list[str], rows, *, sheet: str, filename: str,
                         text_columns: tuple[str, ...] = ()) -> HttpResponse:
    """``fmt`` is "csv" or "xlsx"; text cells are formula-safe in both. In an XLSX, the
    ``text_columns`` are formatted as Text for the whole column, so what someone types there later
    (a NIK, a phone number with its leading 0) stays as typed instead of becoming a number."""
    rows = ([safe_cell(v) for v in row] for row in rows)
    if fmt == "xlsx":
        from openpyxl import Workbook  # noqa: PLC0415 - loaded by the processes that write XLSX only
        from openpyxl.utils import get_column_letter  # noqa: PLC0415

        workbook = Workbook(write_only=not text_columns)
        if text_columns:
            worksheet = workbook.active
            worksheet.title = sheet
            for index, name in enumerate(header, start=1):
                if name in text_columns:
                    worksheet.column_dimensions[get_column_letter(index)].number_format = "@"
        else:
            worksheet = workbook.create_sheet(sheet)
        worksheet.append(header)
        for row in rows:
            worksheet.append(row)
        if text_columns:
            for index, name in enumerate(header, start=1):
                if name in text_columns:
                    for (cell,) in worksheet.iter_rows(min_col=index, max_col=index, min_row=2):
                        cell.number_format = "@"
        buffer = io.BytesIO()
        workbook.save(buffer)
        response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        writer.writerows(rows)
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response
