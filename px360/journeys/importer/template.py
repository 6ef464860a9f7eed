"""The file to fill in, made from the column contract (:data:`.columns.COLUMN_DEFINITIONS`).

A row of headers in the reader's language above the row of column names the
import looks for (it takes the first row holding the required names as the
header, so the label row is skipped), the columns explained, and the codes the
user may use, for their hospitals only. As XLSX (right to left in Arabic) or
CSV; formula-safe either way.
"""

from __future__ import annotations

import csv

from django.utils import translation
from django.utils.translation import gettext as _

from px360.core.access import hospital_ids_for
from px360.core.resources import neutralise_formula
from px360.organizations.models import Department, Hospital, Physician

from ..choices import EncounterType
from .columns import COLUMN_DEFINITIONS, COLUMNS


def template_codes(user) -> list[tuple]:
    """``(kind, hospital code, code, name)`` of everything the user may put in a file, in their scope."""
    from px360.core.choices import Gender, Language

    allowed = hospital_ids_for(user)
    hospitals = Hospital.objects.filter(is_active=True)
    departments = Department.objects.filter(is_active=True, hospital__is_active=True)
    physicians = Physician.objects.filter(is_active=True, hospital__is_active=True)
    if allowed is not None:
        hospitals = hospitals.filter(pk__in=allowed)
        departments = departments.filter(hospital_id__in=allowed)
        physicians = physicians.filter(hospital_id__in=allowed)
    arabic = (translation.get_language() or "").startswith("ar")

    def name(record) -> str:
        first, second = (record.name_ar, record.name_en) if arabic else (record.name_en, record.name_ar)
        return first or second or record.name

    rows = [(_("Hospital"), "", hospital.code, name(hospital)) for hospital in hospitals.order_by("code")]
    rows += [
        (_("Department"), department.hospital.code, department.code, name(department))
        for department in departments.select_related("hospital").order_by("hospital__code", "code")
    ]
    rows += [
        (_("Physician"), physician.hospital.code, physician.license_number, name(physician))
        for physician in physicians.select_related("hospital").order_by("hospital__code", "license_number")
    ]
    labels = {
        "encounter_type": dict(EncounterType.choices),
        "patient_language": dict(Language.choices),
        "patient_gender": dict(Gender.choices),
    }
    for column in COLUMN_DEFINITIONS:
        for value in column.allowed:
            rows.append((str(column.label), "", value, str(labels.get(column.name, {}).get(value, ""))))
    return rows


def _template_headers() -> tuple[list, list]:
    optional = _("(optional)")
    labels = [str(column.label) if column.required else f"{column.label} {optional}" for column in COLUMN_DEFINITIONS]
    return labels, list(COLUMNS)


def template_codes_header() -> list:
    return [_("kind"), _("hospital code"), _("code"), _("name")]


def write_template_csv(handle) -> None:
    """The template as CSV (UTF-8 with BOM): the headers in the reader's language, then the column names."""
    writer = csv.writer(handle)
    for line in _template_headers():
        writer.writerow(line)


def write_template_codes_csv(handle, user) -> None:
    """The allowed codes as CSV (UTF-8 with BOM), formula-safe."""
    writer = csv.writer(handle)
    writer.writerow(template_codes_header())
    for row in template_codes(user):
        writer.writerow([neutralise_formula(str(value)) for value in row])


def write_template_xlsx(handle, user) -> None:
    """The template as a workbook: the sheet to fill, the columns explained, the allowed codes.

    Right to left when the reader works in Arabic. Every value is a text cell
    (never a formula), whatever a name in the database starts with.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    right_to_left = (translation.get_language() or "").startswith("ar")
    bold = Font(bold=True)
    shaded = PatternFill("solid", fgColor="E5E7EB")

    def text_row(sheet, values, *, font=None, fill=None):
        sheet.append([str(value) if value is not None else "" for value in values])
        for cell in sheet[sheet.max_row]:
            cell.data_type = "s"  # openpyxl would take "=..." for a formula
            if font:
                cell.font = font
            if fill:
                cell.fill = fill

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Encounters")[:31]
    labels, names = _template_headers()
    text_row(sheet, labels, font=bold, fill=shaded)
    text_row(sheet, names, font=bold)
    sheet.freeze_panes = "A3"
    for position, column in enumerate(COLUMN_DEFINITIONS, start=1):
        letter = get_column_letter(position)
        sheet.column_dimensions[letter].width = max(18, len(str(column.label)) + 4)
        # Dates and codes stay text as typed (Excel would turn 01/02/2026 into its own date).
        sheet.column_dimensions[letter].number_format = "@"
        if column.allowed:
            choice = DataValidation(type="list", formula1='"' + ",".join(column.allowed) + '"', allow_blank=True)
            choice.add(f"{letter}3:{letter}1002")
            sheet.add_data_validation(choice)
    sheet.sheet_view.rightToLeft = right_to_left

    explained = workbook.create_sheet(_("Columns")[:31])
    text_row(
        explained,
        [_("column"), _("header"), _("required"), _("what it holds"), _("format or allowed codes"), _("example")],
        font=bold,
        fill=shaded,
    )
    for column in COLUMN_DEFINITIONS:
        text_row(
            explained,
            [
                column.name,
                column.label,
                _("yes") if column.required else _("no"),
                column.rule,
                column.formats,
                column.example,
            ],
        )
    for letter, width in zip("ABCDEF", (22, 28, 10, 60, 40, 22), strict=True):
        explained.column_dimensions[letter].width = width
    explained.sheet_view.rightToLeft = right_to_left

    codes = workbook.create_sheet(_("Allowed codes")[:31])
    text_row(codes, template_codes_header(), font=bold, fill=shaded)
    for row in template_codes(user):
        text_row(codes, row)
    for letter, width in zip("ABCD", (24, 16, 18, 40), strict=True):
        codes.column_dimensions[letter].width = width
    codes.sheet_view.rightToLeft = right_to_left
    workbook.save(handle)
