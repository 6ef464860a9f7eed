"""The background exports import jobs used to run are deleted, with their files.

Exports are ``core.ExportJob`` now (kept for a limited time, then deleted); the
next migration drops the export fields of import jobs. Without their kind, the
export jobs left from before would read as imports, and their files (patient
data) were never cleaned up. (A migration of its own: PostgreSQL refuses to
alter a table while the foreign-key checks of rows deleted from it in the same
transaction are pending.)
"""

from django.db import migrations


def delete_leftover_exports(apps, schema_editor):
    ImportJob = apps.get_model("journeys", "ImportJob")
    exports = ImportJob.objects.using(schema_editor.connection.alias).filter(kind="export")
    for job in exports.only("pk", "file", "output_file").iterator():
        for stored in (job.output_file, job.file):
            if stored:
                stored.storage.delete(stored.name)
    exports.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("journeys", "0006_importjob_confirmed_at"),
    ]

    operations = [
        migrations.RunPython(delete_leftover_exports, migrations.RunPython.noop),
    ]
