"""Helpers for tests that use the admin from the outside, as a browser would."""

import csv
import io

from django.urls import reverse


def export_rows(client, model, file_format="csv", query=""):
    """Export through the admin's export page; returns (status, rows)."""
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_export") + query
    page = client.get(url)
    if page.status_code != 200:
        return page.status_code, []
    form = page.context["form"]
    format_value = next(value for value, label in form.fields["format"].choices if str(label).lower() == file_format)
    data = {"format": format_value, "resource": "0"}
    for name, field in form.fields.items():
        if name not in ("format", "resource") and field.__class__.__name__ == "BooleanField":
            data[name] = "on"
    response = client.post(url, data)
    if response.status_code != 200:
        return response.status_code, []
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if file_format == "csv":
        text = content.decode("utf-8-sig")
        return 200, list(csv.reader(io.StringIO(text)))
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    return 200, [list(row) for row in sheet.iter_rows(values_only=True)]
