"""Facet counts from an in-memory index of the published catalogue.

Counting facets in SQL scans the matching listings once per facet group, with
``COUNT(DISTINCT)`` over joins for the to-many facets: at 100,000 listings one /pieces/
page took seconds. This index holds, for every published listing, the values it has in
each facet, as numpy arrays built from the FilterSet's own declarations (each facet
filter's ``facet_pairs``), so a facet value means here exactly what its filter means in
SQL. Counting a facet is then a mask and a ``bincount``.

Each process keeps one snapshot and never serves a stale one: before use it reads the
catalogue revision (one query). When the revision moved, it reloads only the listings
that the change log names since its own revision, or rebuilds when the log cannot say
(a change to everything, too many changes, or a history it did not see, such as a
rolled-back transaction).

Writers call :func:`record_change` inside their transaction; signals on the models a
facet reads call it for every ORM save and delete (``marketplace.catalogue.signals``), and the
services that write with ``QuerySet.update`` or ``bulk_create`` call it themselves.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from marketplace.catalogue.filters import ListingFilter
from marketplace.catalogue.models import CatalogueChange, CatalogueRevision, Listing
from marketplace.catalogue.sorting import SORT_ORDERS

# Beyond this many changed listings in one catch-up a rebuild is as cheap as a reload.
REBUILD_AFTER = 5_000
# Rows left behind by reloads; past this share the snapshot is rebuilt to shed them.
MAX_DEAD_SHARE = 0.25
# Every this many revisions (and hourly, by the schedule), log entries older than
# KEEP_CHANGES are deleted. A process whose snapshot is older than that finds its
# revision gone and rebuilds.
PRUNE_EVERY = 1_000
KEEP_CHANGES = timedelta(days=1)

_EMPTY = np.zeros(0, dtype=np.int64)


# --- writing ---------------------------------------------------------------------------


def _bump(token: str) -> int:
    table = connection.ops.quote_name(CatalogueRevision._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET number = number + 1, token = %s "  # noqa: S608
            "WHERE id = 1 RETURNING number",
            [token],
        )
        row = cursor.fetchone()
    if row is not None:
        return row[0]
    CatalogueRevision.objects.get_or_create(pk=1, defaults={"number": 0})
    return _bump(token)


def _write_change(listings, artisans, everything: bool) -> None:
    token = secrets.token_hex(16)
    number = _bump(token)
    rows = []
    if not everything:
        rows = [
            CatalogueChange(revision=number, token=token, listing_id=pk)
            for pk in sorted(set(listings))
        ] + [
            CatalogueChange(revision=number, token=token, artisan_id=pk)
            for pk in sorted(set(artisans))
        ]
    if not rows:
        rows = [CatalogueChange(revision=number, token=token)]
    CatalogueChange.objects.bulk_create(rows)
    if number % PRUNE_EVERY == 0:
        changes_prune()


def changes_prune(*, now=None) -> int:
    """Delete change log entries older than ``KEEP_CHANGES`` (the schedule runs this
    hourly; writers also do every ``PRUNE_EVERY`` revisions). Returns how many."""
    now = now or timezone.now()
    return CatalogueChange.objects.filter(created_at__lt=now - KEEP_CHANGES).delete()[0]


def record_change(
    *,
    listings: Iterable[int] = (),
    artisans: Iterable[int] = (),
    everything: bool = False,
) -> None:
    """Tell the facet index that these listings (or artisans' listings) changed.

    Runs in the caller's transaction, so the change and its record commit together.
    """
    listings = [pk for pk in listings if pk is not None]
    artisans = [pk for pk in artisans if pk is not None]
    if not (listings or artisans or everything):
        return
    if connection.in_atomic_block:
        _write_change(listings, artisans, everything)
    else:
        with transaction.atomic():
            _write_change(listings, artisans, everything)


# --- the snapshot ----------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One facet: (row, value code) pairs, unique, and the value of each code."""

    values: tuple[str, ...]
    rows: np.ndarray
    codes: np.ndarray

    @property
    def code_of(self) -> dict[str, int]:
        return {value: code for code, value in enumerate(self.values)}


@dataclass(frozen=True)
class Snapshot:
    revision: int
    token: str
    ids: np.ndarray  # the listing id of each row
    alive: np.ndarray  # False for rows superseded by a reload
    published: np.ndarray  # publication time of each row, in microseconds
    price: np.ndarray  # price of each row
    rating: np.ndarray  # the artisan's average rating of each row
    columns: Mapping[str, Column]
    sorted_ids: np.ndarray  # ids of the live rows, ascending
    sorted_rows: np.ndarray  # the row of each of those ids
    # Worked out once each, as a snapshot never changes: the counts with nothing
    # selected, and the rows in each sort order.
    _unfiltered: dict = field(default_factory=dict, compare=False, repr=False)
    _orders: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def size(self) -> int:
        return int(np.count_nonzero(self.alive))

    def row_positions(self, listing_ids) -> np.ndarray:
        """The live row of each of these listings; -1 where one is not indexed."""
        wanted = np.asarray(listing_ids, dtype=np.int64)
        rows = np.full(len(wanted), -1, dtype=np.int64)
        if not len(wanted) or not len(self.sorted_ids):
            return rows
        at = np.searchsorted(self.sorted_ids, wanted)
        at[at >= len(self.sorted_ids)] = 0
        found = self.sorted_ids[at] == wanted
        rows[found] = self.sorted_rows[at[found]]
        return rows

    def rows_of(self, listing_ids: Iterable[int]) -> np.ndarray:
        """A row mask of these listings (ignoring any not in the index)."""
        if not isinstance(listing_ids, np.ndarray):
            listing_ids = np.fromiter(listing_ids, dtype=np.int64)
        rows = self.row_positions(listing_ids)
        mask = np.zeros(len(self.ids), dtype=bool)
        mask[rows[rows >= 0]] = True
        return mask

    def value_mask(self, name: str, values: Iterable[str]) -> np.ndarray:
        """Rows with any of these values in facet ``name``."""
        column = self.columns[name]
        code_of = column.code_of
        codes = [code_of[value] for value in values if value in code_of]
        mask = np.zeros(len(self.ids), dtype=bool)
        if codes:
            mask[column.rows[np.isin(column.codes, codes)]] = True
        return mask

    def count(self, name: str, mask: np.ndarray) -> dict[str, int]:
        """Rows in ``mask`` per value of facet ``name``."""
        column = self.columns[name]
        if not len(column.codes):
            return {}
        tally = np.bincount(
            column.codes[mask[column.rows]], minlength=len(column.values)
        )
        return {column.values[code]: int(tally[code]) for code in np.flatnonzero(tally)}

    def match(self, active: Mapping[str, Iterable[str]]) -> np.ndarray:
        """Rows matching every active facet."""
        mask = self.alive
        for name, values in active.items():
            if name in self.columns:
                mask = mask & self.value_mask(name, values)
        return mask

    def ordered_ids(self, mask: np.ndarray, ordering: str) -> np.ndarray:
        """Listing ids of the rows in ``mask``, in the ``sorting.SORT_ORDERS`` order
        of that name: by its key column, then by id, both in its direction."""
        if ordering not in self._orders:
            if ordering not in SORT_ORDERS:
                raise ValueError(f"Unknown ordering {ordering!r}")
            sort = SORT_ORDERS[ordering]
            keys = {
                "published_at": self.published,
                "price": self.price,
                "artisan__rating_average": self.rating,
            }[sort.key]
            order = np.lexsort((self.ids, keys))
            self._orders[ordering] = order[::-1] if sort.descending else order
        order = self._orders[ordering]
        return self.ids[order[mask[order]]]

    def facet_counts(
        self, active: Mapping[str, Iterable[str]], base: np.ndarray | None = None
    ) -> tuple[dict[str, dict[str, int]], int]:
        """Per facet, its value counts with every *other* active facet applied; and the
        number of rows matching all of them. ``base`` narrows the rows (a search)."""
        unfiltered = base is None and not any(active.values())
        if unfiltered and "counts" in self._unfiltered:
            return self._unfiltered["counts"]
        scope = self.alive if base is None else self.alive & base
        matches = {
            name: self.value_mask(name, values)
            for name, values in active.items()
            if name in self.columns
        }

        def masked(excluding: str | None) -> np.ndarray:
            mask = scope
            for name, match in matches.items():
                if name != excluding:
                    mask = mask & match
            return mask

        everything = masked(None)
        counts = {
            name: self.count(name, masked(name) if name in matches else everything)
            for name in self.columns
        }
        result = counts, int(np.count_nonzero(everything))
        if unfiltered:
            self._unfiltered["counts"] = result
        return result


def _facet_filters() -> dict:
    return ListingFilter(queryset=Listing.objects.none()).facet_filters()


def _micros(moment) -> int:
    return int(moment.timestamp() * 1_000_000) if moment is not None else 0


def _pairs(queryset):
    """The listings' ids, sort keys and (id, value) pairs per facet."""
    rows = list(
        queryset.order_by("pk").values_list(
            "pk", "published_at", "price", "artisan__rating_average"
        )
    )
    ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    keys = (
        np.fromiter((_micros(row[1]) for row in rows), np.int64, len(rows)),
        np.fromiter((float(row[2] or 0) for row in rows), np.float64, len(rows)),
        np.fromiter((float(row[3] or 0) for row in rows), np.float64, len(rows)),
    )
    return (
        ids,
        keys,
        {
            name: list(facet.facet_pairs(queryset))
            for name, facet in _facet_filters().items()
        },
    )


def _assemble(revision, token, ids, alive, keys, columns) -> Snapshot:
    live = np.flatnonzero(alive)
    order = np.argsort(ids[live], kind="stable")
    return Snapshot(
        revision=revision,
        token=token,
        ids=ids,
        alive=alive,
        published=keys[0],
        price=keys[1],
        rating=keys[2],
        columns=columns,
        sorted_ids=ids[live][order],
        sorted_rows=live[order],
    )


def _extend(previous: Snapshot | None, revision, token, changed, ids, keys, pairs):
    """``previous`` with the rows of ``changed`` replaced by ``ids``, their sort
    ``keys`` and their facet ``pairs``."""
    if previous is None:
        old_ids, alive, offset = _EMPTY, np.zeros(0, dtype=bool), 0
        old_keys = (_EMPTY, np.zeros(0, dtype=np.float64), np.zeros(0, np.float64))
    else:
        old_ids, offset = previous.ids, len(previous.ids)
        old_keys = (previous.published, previous.price, previous.rating)
        alive = previous.alive.copy()
        if len(changed):
            alive[np.isin(old_ids, np.fromiter(changed, dtype=np.int64))] = False
    row_of = {int(pk): offset + index for index, pk in enumerate(ids)}
    columns = {}
    names = list(previous.columns) if previous is not None else []
    names += [name for name in pairs if name not in names]
    for name in names:
        facet_pairs = pairs.get(name, ())
        before = previous.columns.get(name) if previous is not None else None
        values = list(before.values) if before is not None else []
        code_of = {value: code for code, value in enumerate(values)}
        rows, codes = [], []
        for pk, value in facet_pairs:
            row = row_of.get(pk)
            if row is None:
                continue
            if value not in code_of:
                code_of[value] = len(values)
                values.append(value)
            rows.append(row)
            codes.append(code_of[value])
        if before is not None:
            rows = np.concatenate([before.rows, np.asarray(rows, dtype=np.int64)])
            codes = np.concatenate([before.codes, np.asarray(codes, dtype=np.int64)])
        columns[name] = Column(
            values=tuple(values),
            rows=np.asarray(rows, dtype=np.int64),
            codes=np.asarray(codes, dtype=np.int64),
        )
    all_ids = np.concatenate([old_ids, ids])
    all_alive = np.concatenate([alive, np.ones(len(ids), dtype=bool)])
    all_keys = tuple(
        np.concatenate([old, new]) for old, new in zip(old_keys, keys, strict=True)
    )
    return _assemble(revision, token, all_ids, all_alive, all_keys, columns)


def build(revision: int = 0, token: str = "") -> Snapshot:
    """Index every published listing."""
    ids, keys, pairs = _pairs(Listing.objects.published())
    return _extend(None, revision, token, (), ids, keys, pairs)


def reload(previous: Snapshot, listing_ids, revision: int, token: str) -> Snapshot:
    """``previous`` with these listings read again (gone, changed or new)."""
    listing_ids = sorted(set(listing_ids))
    if not listing_ids:
        empty = (_EMPTY, np.zeros(0, dtype=np.float64), np.zeros(0, np.float64))
        return _extend(previous, revision, token, (), _EMPTY, empty, {})
    ids, keys, pairs = _pairs(Listing.objects.published().filter(pk__in=listing_ids))
    return _extend(previous, revision, token, listing_ids, ids, keys, pairs)


# --- reading ---------------------------------------------------------------------------

_lock = threading.Lock()
_snapshot: Snapshot | None = None


def _revision() -> tuple[int, str]:
    row = CatalogueRevision.objects.filter(pk=1).values_list("number", "token").first()
    return row if row is not None else (0, "")


def _catch_up(previous: Snapshot | None, number: int, token: str) -> Snapshot:
    if (
        previous is None
        or number <= previous.revision
        or not CatalogueChange.objects.filter(
            revision=previous.revision, token=previous.token
        ).exists()
    ):
        return build(number, token)
    changes = list(
        CatalogueChange.objects.filter(
            revision__gt=previous.revision, revision__lte=number
        ).values_list("listing_id", "artisan_id")[: REBUILD_AFTER + 1]
    )
    if len(changes) > REBUILD_AFTER or any(
        listing is None and artisan is None for listing, artisan in changes
    ):
        return build(number, token)
    listing_ids = {listing for listing, _artisan in changes if listing is not None}
    artisans = {artisan for _listing, artisan in changes if artisan is not None}
    if artisans:
        listing_ids.update(
            Listing.objects.filter(artisan_id__in=artisans).values_list("pk", flat=True)
        )
    dead = len(previous.ids) - previous.size + len(listing_ids)
    if len(listing_ids) > REBUILD_AFTER or dead > MAX_DEAD_SHARE * max(
        len(previous.ids), 1000
    ):
        return build(number, token)
    return reload(previous, listing_ids, number, token)


def current() -> Snapshot:
    """The index as of the catalogue's current revision (one query when fresh)."""
    global _snapshot
    number, token = _revision()
    if number == 0:
        # No revision yet (a new database, or one restored or filled in bulk): take
        # one, so that this state can be told apart from any other.
        record_change(everything=True)
        number, token = _revision()
    snapshot = _snapshot
    if snapshot is not None and (snapshot.revision, snapshot.token) == (number, token):
        return snapshot
    with _lock:
        snapshot = _snapshot
        if snapshot is not None and (snapshot.revision, snapshot.token) != (
            number,
            token,
        ):
            # Another thread may have caught up past what this one read.
            number, token = _revision()
        if snapshot is None or (snapshot.revision, snapshot.token) != (number, token):
            snapshot = _catch_up(snapshot, number, token)
            _snapshot = snapshot
        return snapshot


def forget() -> None:
    """Drop this process's snapshot (tests, and after restoring a database)."""
    global _snapshot
    with _lock:
        _snapshot = None
