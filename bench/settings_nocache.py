"""Production settings with caching switched off, for the "cache off" benchmark run.

Without REDIS_URL the site falls back to a per-process memory cache, which would still
serve anonymous catalogue pages from cache; a dummy cache makes every request a miss.
Everything else is config.settings unchanged.
"""

from config.settings import *  # noqa: F403

CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
