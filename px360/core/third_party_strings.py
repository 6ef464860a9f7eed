"""Third-party msgids that need an Arabic translation in ``locale/ar``.

PX360's admin is rendered by third-party apps (django-unfold, django-guardian,
django-q2, django-import-export, django-simple-history, django-axes) that ship
no Arabic catalogue, or one with gaps. Django merges every "django"-domain
catalogue and ``LOCALE_PATHS`` comes first, so translating a msgid in the
project catalogue also translates it inside those apps' templates and code.
But ``makemessages`` only extracts strings from the project's own sources, and
drops any msgid it no longer finds. Listing the missing msgids here keeps them
in ``locale/ar/LC_MESSAGES/django.po`` every time ``makemessages`` runs.

This module is never imported at runtime; it is only read by ``makemessages``
(xgettext). Each msgid must stay byte-identical to the third-party source,
placeholders, HTML and whitespace included, or the lookup silently misses:
``gettext_noop`` for plain msgids, ``ngettext_lazy(singular, plural, 1)`` for
plural ones (``pgettext_lazy(context, msgid)`` for contextual ones; none is
needed at the moment).

Only msgids that neither Django's Arabic catalogues (core, admin, auth,
contenttypes, sessions) nor the package's own Arabic catalogue translate are
listed. Left out on purpose: strings from Unfold contribs PX360 does not use
(constance, hijack, location_field, reversion, reversion_compare, waffle);
django-q2 cluster log lines, terminal-monitor output and management-command
help (log and CLI output, not admin UI); developer-only exception messages;
msgids their source formats before the gettext call (so they are never looked
up); and modeltranslation, whose only msgids are in its test models.
Re-check this list when upgrading any of these packages.
"""

from django.utils.translation import gettext_noop, ngettext_lazy

# --- django-unfold 0.110.0 (unfold and the unfold.contrib apps in INSTALLED_APPS)
_UNFOLD = (
    gettext_noop("Select record"),
    gettext_noop("Select action"),
    gettext_noop("Value"),
    gettext_noop("Code"),
    gettext_noop("From"),
    gettext_noop("To"),
    gettext_noop("Date from"),
    gettext_noop("Date to"),
    gettext_noop("Not enough data."),
    gettext_noop("Add new item"),
    gettext_noop("Paragraph"),
    gettext_noop("Underlined"),
    gettext_noop("Bold"),
    gettext_noop("Italic"),
    gettext_noop("Strike"),
    gettext_noop("Link"),
    gettext_noop("Heading"),
    gettext_noop("Quote"),
    gettext_noop("Unordered list"),
    gettext_noop("Ordered list"),
    gettext_noop("Indent increase"),
    gettext_noop("Indent decrease"),
    gettext_noop("Undo"),
    gettext_noop("Redo"),
    gettext_noop("Enter an URL"),
    gettext_noop("Unlink"),
    gettext_noop("Object permissions"),
    gettext_noop("Object"),
    gettext_noop("Group"),
    gettext_noop("Group permissions"),
    gettext_noop("Edit"),
    gettext_noop("Manage group"),
    gettext_noop("User permissions"),
    gettext_noop("Manage user"),
    gettext_noop("Select format"),
    gettext_noop("Export"),
    gettext_noop("Import"),
    ngettext_lazy(
        "\n                    Export %(len)s selected item.\n                ",
        "\n                    Export %(len)s selected items.\n                ",
        1,
    ),
    gettext_noop("This exporter will export the following fields"),
    gettext_noop("Submit"),
    gettext_noop(
        "Below is a preview of data to be imported. If you are satisfied with the results, click 'Confirm import'"
    ),
    gettext_noop("Confirm import"),
    gettext_noop("Line number"),
    gettext_noop("View traceback"),
    gettext_noop("New"),
    gettext_noop("Skipped"),
    gettext_noop("Update"),
    gettext_noop("Some rows failed to validate"),
    gettext_noop("Please correct these errors in your data where possible, then reupload it using the form above."),
    gettext_noop("Row"),
    gettext_noop("Non field specific"),
    gettext_noop("This exporter will export the following fields: "),
    gettext_noop("This importer will import the following fields: "),
    gettext_noop("Comment"),
    gettext_noop("Choose a date from the list below to revert to a previous version of this object"),
    gettext_noop("This object doesn't have a change history."),
    gettext_noop("Press the 'Revert' button below to revert to this version of the object."),
    gettext_noop("Press the 'Change History' button below to edit the history."),
    gettext_noop("Changed by"),
    gettext_noop("Change reason"),
    gettext_noop("Changes"),
    gettext_noop("Field"),
    gettext_noop("Old value"),
    gettext_noop("New value"),
    gettext_noop("Revert"),
    gettext_noop("Change History"),
    gettext_noop("Select action to run"),
    gettext_noop(
        'Raw passwords are not stored, so there is no way to see this user’s password, but you can change the password using <a href="{}" class="text-primary-600 dark:text-primary-500">this form</a>.'
    ),
    gettext_noop("Dataset not found. No action performed."),
    gettext_noop("Select value"),
    gettext_noop(
        'Field <strong class="font-semibold">{field_name}</strong> is not an autocomplete field. Please add it to the `autocomplete_fields` list.'
    ),
    gettext_noop("You can not create nested object without parent"),
    gettext_noop("Run"),
    gettext_noop("After you've created a user, you’ll be able to edit more user options."),
    gettext_noop("Welcome back to"),
    gettext_noop("Forgotten your password or username?"),
    gettext_noop("Type to search"),
    gettext_noop("You have been successfully logged out from the administration"),
    gettext_noop("No data"),
    gettext_noop("All applications"),
    gettext_noop("True"),
    gettext_noop("False"),
    gettext_noop("Apply Filters"),
    gettext_noop("Filters"),
    gettext_noop("Navigate"),
    gettext_noop("Select"),
    gettext_noop("Recent searches"),
    gettext_noop("Nothing matched your search"),
    ngettext_lazy(
        '\n            Found <span class="font-medium text-important">%(counter)s</span> result in %(time)s seconds\n        ',
        '\n            Found <span class="font-medium text-important">%(counter)s</span> results in %(time)s seconds\n        ',
        1,
    ),
    gettext_noop("Cancel"),
    gettext_noop("Record picture"),
    gettext_noop("This item will be deleted."),
    gettext_noop("Click to cancel"),
    gettext_noop("No results found"),
    gettext_noop("This page yielded into no results."),
    gettext_noop("Reset filters"),
    gettext_noop("Image preview"),
    gettext_noop("Click to download"),
    gettext_noop("Go back"),
    gettext_noop("Previous"),
    gettext_noop("Next"),
    gettext_noop("Search apps and models..."),
    gettext_noop("Available shortcuts"),
    gettext_noop("Global shortcuts"),
    gettext_noop("Open command tool"),
    gettext_noop("Open shortcuts list"),
    gettext_noop("Toggle sidebar"),
    gettext_noop("Toggle dark/light mode"),
    gettext_noop("Changelist shortcuts"),
    gettext_noop("Toggle filter"),
    gettext_noop("Create new record"),
    gettext_noop("Command tool shortcuts"),
    gettext_noop("Open selection"),
    gettext_noop("Open selection in new tab"),
    gettext_noop("General"),
    gettext_noop("Light"),
    gettext_noop("Dark"),
    gettext_noop("System"),
    gettext_noop("Return to site"),
    gettext_noop("Choose file to upload"),
    gettext_noop("Toggle password visibility"),
    gettext_noop("Add row"),
    gettext_noop("Date"),
    gettext_noop("Select currency"),
)

# --- django-guardian 3.5.2 (ships no Arabic catalogue)
# Also used here, listed once under Unfold:
# "Object permissions", "User permissions", "Edit", "Manage user", "Group permissions", "Group", "Manage group",
# "Object".
_GUARDIAN = (
    gettext_noop("Permissions saved."),
    gettext_noop("User identification"),
    gettext_noop("This user does not exist"),
    gettext_noop("Enter a value compatible with User.USERNAME_FIELD"),
    gettext_noop("This group does not exist"),
    gettext_noop("object ID"),
    gettext_noop("Users"),
    gettext_noop("Groups"),
    gettext_noop("Please correct the errors below."),
)

# --- django-q2 1.11.1 (ships no Arabic catalogue; task and schedule admin only)
# Also used here, listed once under Unfold:
# "Group".
_DJANGO_Q = (
    gettext_noop("Resubmit selected tasks to queue"),
    gettext_noop("Time Taken"),
    gettext_noop("Short result"),
    gettext_noop("success"),
    gettext_noop("last_run"),
    gettext_noop("Task id"),
    gettext_noop("32-character task identifier."),
    gettext_noop("Name"),
    gettext_noop("Optional human-readable name for lookup and display."),
    gettext_noop("Function"),
    gettext_noop("Dotted import path to the callable, e.g. myapp.tasks.job."),
    gettext_noop("Hook"),
    gettext_noop("Optional dotted path to a callback that receives the task result."),
    gettext_noop("Arguments"),
    gettext_noop("Pickled positional arguments (tuple)."),
    gettext_noop("Keyword arguments"),
    gettext_noop("Pickled keyword arguments (dict)."),
    gettext_noop("Result"),
    gettext_noop("Pickled return value or error payload."),
    gettext_noop("Optional group id to aggregate related tasks."),
    gettext_noop("Cluster"),
    gettext_noop("Name of the cluster that executed this task."),
    gettext_noop("Started at"),
    gettext_noop("When the worker started executing the task."),
    gettext_noop("Stopped at"),
    gettext_noop("When the worker finished (success or failure)."),
    gettext_noop("Success"),
    gettext_noop("False if the task raised an exception or timed out."),
    gettext_noop("Attempt count"),
    gettext_noop("How many times execution was attempted."),
    gettext_noop("Task"),
    gettext_noop("Tasks"),
    gettext_noop("Successful task"),
    gettext_noop("Successful tasks"),
    gettext_noop("Failed task"),
    gettext_noop("Failed tasks"),
    gettext_noop("Optional label to identify this schedule in the admin."),
    gettext_noop("e.g. module.tasks.function"),
    gettext_noop("e.g. module.tasks.result_function"),
    gettext_noop("e.g. 1, 2, 'John'"),
    gettext_noop("e.g. x=1, y=2, name='John'"),
    gettext_noop("Once"),
    gettext_noop("Minutes"),
    gettext_noop("Hourly"),
    gettext_noop("Daily"),
    gettext_noop("Weekly"),
    gettext_noop("Biweekly"),
    gettext_noop("Monthly"),
    gettext_noop("Bimonthly"),
    gettext_noop("Quarterly"),
    gettext_noop("Yearly"),
    gettext_noop("Cron"),
    gettext_noop("Schedule Type"),
    gettext_noop("How often this task should be enqueued."),
    gettext_noop("Number of minutes for the Minutes type"),
    gettext_noop("Repeats"),
    gettext_noop("n = n times, -1 = forever"),
    gettext_noop("Next Run"),
    gettext_noop("When this schedule runs next (stored in UTC)."),
    gettext_noop("Cron expression"),
    gettext_noop("Last task id"),
    gettext_noop("Id of the last task spawned from this schedule (read-only)."),
    gettext_noop("Name of the target cluster"),
    gettext_noop("Intended date kwarg"),
    gettext_noop("Name of kwarg to pass intended schedule date"),
    gettext_noop("Scheduled task"),
    gettext_noop("Scheduled tasks"),
    gettext_noop("Cluster key"),
    gettext_noop("Payload"),
    gettext_noop("Signed serialized task package (do not edit manually)."),
    gettext_noop("Lock until"),
    gettext_noop("Prevent any cluster from pulling until"),
    gettext_noop("Queue options"),
    gettext_noop("Queued task"),
    gettext_noop("Queued tasks"),
)

# --- django-import-export 4.4.3 (its Arabic catalogue leaves these untranslated)
# Also used here, listed once under Unfold:
# "This exporter will export the following fields: ", "Some rows failed to validate",
# "Please correct these errors in your data where possible, then reupload it using the form above.", "Row",
# "Non field specific".
_IMPORT_EXPORT = (
    gettext_noop("Import finished: {} new, {} updated, {} deleted and {} skipped {}."),
    gettext_noop(
        "%(exc_name)s encountered while trying to read file. Ensure you have chosen the correct format for the file."
    ),
    gettext_noop("No valid data to import. Ensure your file has the correct headers or data for import."),
    gettext_noop("export failed due to IllegalCharacterError"),
    gettext_noop("Resource"),
    gettext_noop('Select at least 1 field for "%(resource_name)s" to export'),
    ngettext_lazy("Export %(len)s selected item.", "Export %(len)s selected items.", 1),
    gettext_noop("Select all"),
    gettext_noop("Value could not be parsed."),
)

# --- django-simple-history 3.13.0 (its Arabic catalogue lacks these)
# Also used here, listed once under Unfold:
# "Changes".
_SIMPLE_HISTORY = (gettext_noop("Deleted %(type_name)s"),)

# --- django-axes 8.3.1 (its Arabic catalogue lacks these)
_AXES = (
    gettext_noop("Locked Out"),
    gettext_noop("Clean up expired attempts"),
    gettext_noop("Not set"),
    gettext_noop("Attempt Remaining"),
    gettext_noop("Access Attempt"),
    gettext_noop("Expires At"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("Session key hash (sha256)"),
)

# --- Django 5.2 (django.contrib.auth forms and widgets): strings added since its
# Arabic catalogue was last completed, shown on the account and password pages.
_DJANGO_AUTH = (
    gettext_noop("Raw passwords are not stored, so there is no way to see the user’s password."),
    gettext_noop("Reset password"),
    gettext_noop("Password-based authentication"),
    gettext_noop("Enabled"),
    gettext_noop("Disabled"),
    gettext_noop(
        "Whether the user will be able to authenticate using a password or not. If disabled, they may still be "
        "able to authenticate using other backends, such as Single Sign-On or LDAP."
    ),
)
