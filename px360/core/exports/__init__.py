"""List exports for every admin: typed XLSX/CSV files of what a user sees, written in constant memory.

- :mod:`.columns` — what each column holds, its translated header, its cell type;
- :mod:`.writers` — XLSX (XlsxWriter, constant memory) and CSV (UTF-8 with BOM);
- :mod:`.service` — the list as the user sees it, written now or by a job, audited;
- :mod:`.tasks` — the job cluster's entry points.

The admin side is :mod:`px360.core.admin.exporting`.
"""
