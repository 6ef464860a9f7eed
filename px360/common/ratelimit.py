"""A fixed-window rate limit counted in the shared cache (Redis in production).

Used wherever the outside world can knock: the HIS intake (per API key) and
the public survey pages (per client address).
"""

from django.core.cache import cache
from django.utils import timezone


def over_limit(scope: str, key: str, *, limit: int, window_seconds: int = 60) -> bool:
    """Count one more call of ``key`` in the current window of ``scope``; true once it exceeds ``limit``.

    The counter lives twice the window, so a window that is still being
    counted never expires under it; the window rolls over on the clock.
    """
    window = int(timezone.now().timestamp() // window_seconds)
    cache_key = f"px360:{scope}:{key}:{window}"
    if cache.add(cache_key, 1, timeout=window_seconds * 2):
        count = 1
    else:
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add and incr
            cache.set(cache_key, 1, timeout=window_seconds * 2)
            count = 1
    return count > limit
