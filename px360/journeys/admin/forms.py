"""Forms of the encounter import (Unfold widgets)."""

from pathlib import Path

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from unfold.widgets import UnfoldAdminFileFieldWidget, UnfoldAdminRadioSelectWidget

from ..choices import ImportMode
from ..importer.columns import COLUMN_DEFINITIONS


class WrappingRadioSelect(UnfoldAdminRadioSelectWidget):
    """Unfold's radio buttons, whose long labels wrap on a phone instead of being cut off."""

    option_template_name = "journeys/admin/widgets/radio_option.html"


class EncounterImportForm(forms.Form):
    """The upload of an encounter file; carries the column contract the page lists above it."""

    columns = COLUMN_DEFINITIONS

    import_file = forms.FileField(
        label=_("Encounter file"),
        help_text=_("XLSX (first sheet) or CSV in UTF-8 or Windows-1256, with the columns listed below."),
        widget=UnfoldAdminFileFieldWidget,
    )
    mode = forms.ChoiceField(
        label=_("When some rows are bad"),
        choices=ImportMode.choices,
        initial=ImportMode.ALL_OR_NOTHING,
        widget=WrappingRadioSelect,
    )

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        if Path(upload.name).suffix.lower() not in (".csv", ".xlsx"):
            raise forms.ValidationError(_("Upload an .xlsx or .csv file."))
        limit = getattr(settings, "PX360_IMPORT_MAX_BYTES", 200 * 1024 * 1024)
        if upload.size > limit:
            raise forms.ValidationError(_("The file is larger than %(size)d MB.") % {"size": limit // (1024 * 1024)})
        return upload


class ConfirmImportForm(forms.Form):
    job = forms.UUIDField(widget=forms.HiddenInput)
    mode = forms.ChoiceField(choices=ImportMode.choices, required=False, widget=forms.HiddenInput)
