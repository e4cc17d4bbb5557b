"""Emails sent by the services, and one switch to hold them back (demo seeding)."""

import contextlib
import contextvars

_suppressed = contextvars.ContextVar("touchstone_emails_suppressed", default=False)


@contextlib.contextmanager
def emails_suppressed():
    """Run the services without emailing anyone (the demo's own accounts)."""
    token = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(token)


def emails_allowed() -> bool:
    return not _suppressed.get()
