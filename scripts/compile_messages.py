"""Compile every ``locale/*/LC_MESSAGES/*.po`` into ``.mo`` with polib.

Django's ``compilemessages`` needs GNU gettext's ``msgfmt`` on the machine;
this does the same job with a pinned Python package, so set-up works anywhere
the virtual environment does. Fuzzy entries are left out, as msgfmt does.
"""

import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    compiled = 0
    for po_path in sorted((ROOT / "locale").glob("*/LC_MESSAGES/*.po")):
        catalogue = polib.pofile(str(po_path))
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        catalogue.save_as_mofile(str(mo_path))
        compiled += 1
        print(f"compiled {po_path.relative_to(ROOT)} ({catalogue.percent_translated()}% translated)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
