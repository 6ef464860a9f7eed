"""gunicorn settings that must hold however gunicorn is started.

gunicorn reads ``./gunicorn.conf.py`` on its own, and ``docker/entrypoint.sh``
names it; workers, timeouts and the bind address stay on that command line.
The logger class redacts survey links and admin query strings from the access
and error logs, as ``px360.core.logging.RedactFilter`` does for Django's logs.
"""

logger_class = "px360.core.logging.GunicornLogger"
