"""Other kinds of record that verifiers decide in the same verification queue.

Claims (``Verifiable`` models) join the queue by themselves. A context above provenance
whose records verifiers also decide (buyers' reported reviews) registers a
``QueueKind`` here at start-up, so that the queue lists them under their kind without
provenance importing that context.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class QueueKind:
    name: str  # the queue's ``kind`` filter value
    label: str
    # (user, waiting) -> the rows a verifier sees, oldest first; nothing for others.
    rows: Callable
    template: str  # renders ``reviews`` (a page of rows) with ``paginator``


KINDS: dict[str, QueueKind] = {}


def register(kind: QueueKind) -> None:
    """Add a kind of record to the verification queue."""
    KINDS[kind.name] = kind


def waiting(user) -> list[tuple[QueueKind, int]]:
    """Each registered kind with how many of its records wait for a verifier."""
    return [(kind, kind.rows(user, waiting=True).count()) for kind in KINDS.values()]
