#!/usr/bin/env python3
"""Print the test suite's branch coverage per app, and hold the total to a floor.

Reads the data `make test` collected (``pytest --cov``, configured in
pyproject.toml: branch coverage of ``px360``, migrations left out) and prints
one line per app (``px360/<app>/``; modules directly under ``px360/`` count as
"project"), then the total. The percentage is coverage.py's: executed lines
and branches over all lines and branches.

With ``--floor-file``, exits 1 when the total is below the figure in that file
(CI's check; the figure is a whole percentage, rounded down when it was
taken, and may only rise), and says so when the total has passed it by a
whole point, so that the floor can be raised.

Exits 1 too when there is no coverage data: a run that tested nothing must
not pass.

    .venv/bin/python scripts/coverage_by_app.py [--floor-file .ci/coverage-floor]
"""

import argparse
import json
import math
import os
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import coverage
from coverage.exceptions import NoDataError

ROOT = Path(__file__).resolve().parent.parent
FIELDS = ("num_statements", "missing_lines", "num_branches", "missing_branches")


def app_of(filename: str) -> str:
    """``px360/surveys/services.py`` -> ``surveys``; ``px360/settings.py`` -> ``project``."""
    path = Path(filename)
    parts = (path.relative_to(ROOT) if path.is_absolute() else path).parts
    return parts[1] if len(parts) > 2 and parts[0] == "px360" else "project"


def percent(totals: dict) -> float:
    possible = totals["num_statements"] + totals["num_branches"]
    missed = totals["missing_lines"] + totals["missing_branches"]
    return 100.0 * (possible - missed) / possible if possible else 100.0


def summary_by_app() -> tuple[dict[str, dict], dict]:
    cov = coverage.Coverage(config_file=str(ROOT / "pyproject.toml"))
    cov.load()
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "coverage.json"
        cov.json_report(outfile=str(report))
        files = json.loads(report.read_text())["files"]
    apps: dict[str, dict] = defaultdict(lambda: dict.fromkeys(FIELDS, 0))
    total = dict.fromkeys(FIELDS, 0)
    for filename, data in files.items():
        for field in FIELDS:
            apps[app_of(filename)][field] += data["summary"][field]
            total[field] += data["summary"][field]
    return dict(apps), total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--floor-file", type=Path, help="fail when the total is below the percentage in this file")
    args = parser.parse_args()
    os.chdir(ROOT)  # the data file and the file names in it are relative to the project

    try:
        apps, total = summary_by_app()
    except NoDataError as exc:
        print(f"coverage: no data ({exc}): did the tests run?", file=sys.stderr)
        return 1
    if not total["num_statements"]:
        print("coverage: no lines of px360 were measured: did the tests run?", file=sys.stderr)
        return 1

    header = f"{'app':<16}{'lines':>8}{'missed':>8}{'branches':>10}{'missed':>8}{'cover':>8}"
    print("\nBranch coverage by app")
    print(header)
    print("-" * len(header))
    for name, totals in sorted(apps.items()):
        print(
            f"{name:<16}{totals['num_statements']:>8}{totals['missing_lines']:>8}"
            f"{totals['num_branches']:>10}{totals['missing_branches']:>8}{percent(totals):>7.1f}%"
        )
    print("-" * len(header))
    overall = percent(total)
    print(
        f"{'total':<16}{total['num_statements']:>8}{total['missing_lines']:>8}"
        f"{total['num_branches']:>10}{total['missing_branches']:>8}{overall:>7.1f}%"
    )

    if args.floor_file:
        floor = float(args.floor_file.read_text().split()[0])
        if overall < floor:
            print(f"coverage: the total {overall:.2f}% is below the floor of {floor:g}% ({args.floor_file})")
            return 1
        if math.floor(overall) > floor:
            print(f"coverage: the total passed the floor: raise {args.floor_file} to {math.floor(overall)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
