"""Keep credentials and patient data out of the logs.

Three things reach the logs that must not: survey links (``/s/<token>/`` is
the patient's key to their survey, and opt-out), admin query strings (a search
for a national ID puts it in ``?q=``; filters carry MRNs and phone numbers) and
the details of database errors (PostgreSQL quotes the failing row or key).
Every log line PX360 writes goes through :class:`RedactFilter`, installed on
the handlers in ``settings.LOGGING`` (Django's request log, runserver's access
log, the app's own loggers); gunicorn's access and error logs go through
:class:`GunicornLogger`, named in ``gunicorn.conf.py``.

What is kept: the shape of the request (``GET /s/[redacted]/``,
``/en/admin/organizations/patient/?[redacted]``), status, size and timing.
"""

from __future__ import annotations

import logging
import re

from gunicorn.glogging import Logger as _GunicornBaseLogger

REDACTED = "[redacted]"

# A survey link: /s/<token>/ anywhere in a line (path, full URL, referer). The
# gateway's delivery hook (/s/hooks/) is not a link.
_SURVEY_LINK = re.compile(r"/s/(?!hooks/)[^/\s?#\"'<>]+")
# The query string of an admin or survey URL, up to the end of the URL.
_SENSITIVE_QUERY = re.compile(r"(?P<path>/(?:admin|s)/[^\s?#\"'<>]*)\?[^\s#\"'<>]+")


# PostgreSQL's error details quote the row or key that failed ("Key (hospital_id,
# mrn)=(…, M123) already exists", "Failing row contains (…)", a COPY line's
# values): patient data in any traceback of a failed write.
_DATABASE_DETAIL = re.compile(r"^(?P<label>\s*(?:DETAIL|CONTEXT):).*$", re.MULTILINE)


def redact(text: str) -> str:
    """``text`` with survey tokens, admin/survey query strings and database error details redacted."""
    if "DETAIL:" in text or "CONTEXT:" in text:
        text = _DATABASE_DETAIL.sub(rf"\g<label> {REDACTED}", text)
    if "/s/" not in text and "/admin/" not in text:
        return text
    text = _SURVEY_LINK.sub(f"/s/{REDACTED}", text)
    return _SENSITIVE_QUERY.sub(rf"\g<path>?{REDACTED}", text)


def is_sensitive_path(path: str) -> bool:
    """Whether a request path's query string may carry patient data or a credential."""
    return "/admin/" in path or path.startswith("/s/")


class RedactFilter(logging.Filter):
    """Rewrites each record's message (and traceback) with :func:`redact`; never drops a record.

    It sits on handlers, not loggers, so it sees every record a handler writes,
    whichever logger it came from. Records are rewritten in place: every
    handler after this one sees the redacted text too.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is logging's problem to report, not ours
            return True
        redacted = redact(message)
        if redacted != message:
            record.msg = redacted
            record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


# Atoms of gunicorn's access log format that carry a query string on their own,
# without the path that would tell redact() to remove it.
_QUERY_ATOMS = ("q", "{query_string}e")
# Request headers that are credentials: sessions, API keys.
_SECRET_ATOMS = (
    "{cookie}i",
    "{authorization}i",
    "{x-api-key}i",
    "{http_cookie}e",
    "{http_authorization}e",
    "{http_x_api_key}e",
)


class GunicornLogger(_GunicornBaseLogger):
    """gunicorn's logger with the same redaction as Django's logs.

    Every access-log atom (``%(r)s``, ``%(U)s``, ``%(f)s``, ``%({raw_uri}e)s``
    and the rest) is passed through :func:`redact`; the bare query string
    (``%(q)s``) of an admin or survey request is replaced whole, and cookie and
    authorization headers never appear, whatever ``access_log_format`` says.
    The error log's handlers get :class:`RedactFilter` (gunicorn quotes a bad
    request line there).
    """

    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                if not any(isinstance(existing, RedactFilter) for existing in handler.filters):
                    handler.addFilter(RedactFilter())

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        sensitive = is_sensitive_path(environ.get("PATH_INFO") or "")
        for key, value in atoms.items():
            if isinstance(value, str):
                atoms[key] = redact(value)
        for key in _QUERY_ATOMS:
            if sensitive and atoms.get(key):
                atoms[key] = REDACTED
        for key in _SECRET_ATOMS:
            if atoms.get(key):
                atoms[key] = REDACTED
        return atoms
