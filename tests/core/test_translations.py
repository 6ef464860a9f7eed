"""locale/ar covers every string: no untranslated or fuzzy entry may land."""

from pathlib import Path

import polib
import pytest
from django.utils import translation

PO = Path(__file__).resolve().parents[2] / "locale" / "ar" / "LC_MESSAGES" / "django.po"
UNFOLD_MISSING = (
    Path(__file__).resolve().parents[3] / "shared" / "data" / "unfold-0.110-msgids-missing-from-django-ar.txt"
)


def test_arabic_catalogue_has_no_untranslated_or_fuzzy_entries():
    catalogue = polib.pofile(str(PO))
    untranslated = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    assert not untranslated, f"{len(untranslated)} untranslated, e.g. {untranslated[:5]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy, e.g. {fuzzy[:5]}"
    assert len(catalogue) > 100


def test_placeholders_survive_translation():
    catalogue = polib.pofile(str(PO))
    import re

    pattern = re.compile(r"%\(\w+\)[sd]|\{\w+\}")
    for entry in catalogue.translated_entries():
        expected = sorted(pattern.findall(entry.msgid))
        translations = [entry.msgstr] if entry.msgstr else list(entry.msgstr_plural.values())
        for text in translations:
            found = sorted(pattern.findall(text))
            if entry.msgid_plural:
                # Arabic plural forms may drop a number ("one day").
                assert set(found) <= set(expected + pattern.findall(entry.msgid_plural)), entry.msgid
            else:
                assert found == expected, entry.msgid


UNUSED_UNFOLD_CONTRIBS = ("constance", "hijack", "location_field", "reversion", "waffle", "crispy")


def _unfold_msgids():
    """(msgid or prefix, complete?) for each Unfold string Django's Arabic lacks, from used modules."""
    for line in UNFOLD_MISSING.read_text().splitlines()[1:]:
        if not line.startswith("'"):
            continue
        quoted, _, source = line.rpartition(" ")
        if any(unused in source for unused in UNUSED_UNFOLD_CONTRIBS):
            continue
        complete = quoted.endswith("'") and len(quoted) > 1
        text = quoted[1:-1] if complete else quoted[1:]
        yield text.replace("\\n", "\n"), complete


@pytest.mark.skipif(not UNFOLD_MISSING.exists(), reason="shared data not present")
def test_unfold_strings_missing_from_django_are_translated():
    translated = [entry.msgid for entry in polib.pofile(str(PO)).translated_entries()]
    missing = []
    with translation.override("ar"):
        for text, complete in _unfold_msgids():
            if complete and translation.gettext(text) != text:
                continue
            # Long (cut-off) and plural msgids are checked against the catalogue.
            if any(msgid.startswith(text) for msgid in translated):
                continue
            missing.append(text)
    assert not missing, missing[:10]
