# The survey fixtures (patients, stages, the fake gateway) serve these tests too.
from ..surveys.conftest import *  # noqa: F403
from ..surveys.conftest import _clean_cache, _outbox_in_tmp  # noqa: F401
