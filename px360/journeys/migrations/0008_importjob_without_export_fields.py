"""Import jobs lose the fields of the background exports they used to run.

Exports are ``core.ExportJob`` now. ``background`` stays: large imports are
checked and saved in the background.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("journeys", "0007_delete_leftover_export_jobs"),
    ]

    operations = [
        migrations.RemoveField(model_name="importjob", name="export_format"),
        migrations.RemoveField(model_name="importjob", name="export_query"),
        migrations.RemoveField(model_name="importjob", name="kind"),
        migrations.RemoveField(model_name="importjob", name="model_label"),
    ]
