"""``makemessages`` with PX360's defaults.

Fuzzy matching guesses a translation for a new string from a similar old one
("name (for search)" got the Arabic for "Type to search"); a guess shown to
users is worse than an empty entry the completeness test catches, so it is off.
"""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]
