"""The admin's import and export, driven as a browser does: upload, preview, confirm, download."""

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse


def admin_url(model, view: str) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}")


def _format_value(form, file_format: str) -> str:
    return next(value for value, label in form.fields["format"].choices if str(label).lower() == file_format)


def sheet_bytes(rows: list[list], file_format: str = "csv") -> bytes:
    """``rows`` (the first one the header) as a CSV or XLSX file."""
    if file_format == "csv":
        text = io.StringIO()
        csv.writer(text).writerows(rows)
        return text.getvalue().encode("utf-8-sig")
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def import_preview(client, model, content: bytes | list, file_format: str = "csv"):
    """Upload a file on the model's import page; the response is the checked preview."""
    url = admin_url(model, "import")
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    if isinstance(content, list):
        content = sheet_bytes(content, file_format)
    upload = SimpleUploadedFile(f"upload.{file_format}", content)
    return client.post(
        url, {"resource": "0", "format": _format_value(page.context["form"], file_format), "import_file": upload}
    )


def import_confirm(client, model, preview):
    """Press "Confirm import" on a preview that offered it."""
    confirm = preview.context["confirm_form"]
    return client.post(admin_url(model, "process_import"), confirm.initial)


def export_file(client, model, file_format: str = "csv") -> bytes:
    """Download every row (all columns) through the export page, as the user would."""
    url = admin_url(model, "export")
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    form = page.context["form"]
    data = {"format": _format_value(form, file_format), "resource": "0"}
    for name, field in form.fields.items():
        if name not in ("format", "resource") and field.__class__.__name__ == "BooleanField":
            data[name] = "on"
    response = client.post(url, data)
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content) if response.streaming else response.content


def read_sheet(content: bytes, file_format: str = "csv") -> list[list]:
    """The cells of an exported file, as text."""
    if file_format == "csv":
        return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    return [["" if cell is None else str(cell) for cell in row] for row in sheet.iter_rows(values_only=True)]


def preview_errors(preview) -> list:
    """Each refused row as (row number, {column: [messages]}), as the page lists them."""
    result = preview.context["result"]
    return [(row.number, row.error_dict) for row in result.invalid_rows]


def preview_cells(preview) -> list[list[str]]:
    """The preview table's cells (before/after diff HTML) of every valid row."""
    return [[str(cell) for cell in row.diff] for row in preview.context["result"].valid_rows()]
