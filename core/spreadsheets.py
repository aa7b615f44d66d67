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


def spreadsheet_response(fmt: str, header: list[str], rows, *, sheet: str, filename: str) -> HttpResponse:
    """``fmt`` is "csv" or "xlsx"; text cells are formula-safe in both."""
    rows = ([safe_cell(v) for v in row] for row in rows)
    if fmt == "xlsx":
        from openpyxl import Workbook  # noqa: PLC0415 - loaded by the processes that write XLSX only

        workbook = Workbook(write_only=True)
        worksheet = workbook.create_sheet(sheet)
        worksheet.append(header)
        for row in rows:
            worksheet.append(row)
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
