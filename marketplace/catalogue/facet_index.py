"""Facet counts from an in-memory index of the published catalogue.

Counting facets in SQL scans the matching listings once per facet group, with
``COUNT(DISTINCT)`` over joins for the to-many facets: at 100,000 listings one /pieces/
page took seconds. This index holds, for every published listing, the values it has in
each facet, as numpy arrays built from the FilterSet's own declarations (each facet
filter's ``facet_pairs``), so a facet value means here exactly what its filter means in
SQL. Counting a facet is then a mask and a ``bincount``.

Each process keeps one snapshot and never serves a stale one: before use it reads the
change log past its own position (one query, normally answering nothing). When the log
moved, it reloads only the listings the log names into the snapshot's delta; it
rebuilds when the log cannot say (a change to everything, too many changes, or a log
pruned past its position) and folds a large delta into a new base. A request never
rebuilds (``backend``): a thread does, and the FilterSet's own SQL answers meanwhile.

The log is kept by database triggers (``marketplace.catalogue.changes``), so every
write is recorded in its own transaction whoever makes it, without any lock shared by
writers. Ids only grow, but on PostgreSQL a transaction can commit after another that
took a later id; ids skipped over are remembered as gaps and looked for again on each
read until they appear or ``GAP_TIMEOUT`` passes (a transaction rolled back).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.db import connection, connections
from django.db.models import Q
from django.utils import timezone

from config.baked import Baked
from marketplace.catalogue.filters import ListingFilter
from marketplace.catalogue.models import CatalogueChange, Listing
from marketplace.catalogue.sorting import SORT_ORDERS

# Beyond this many changes in one catch-up the snapshot is rebuilt, not reloaded.
REBUILD_AFTER = 20_000
# A delta past this many rows is folded into a new base by a background build, the
# snapshot meanwhile serving as it is: the cost of a change stays bounded.
DELTA_LIMIT = 20_000
# Log entries older than this are deleted (hourly, by the schedule). A process that
# has not read the log for half as long rebuilds rather than trust what is left.
KEEP_CHANGES = timedelta(days=1)
# How long an id skipped by the log is awaited: longer than any write transaction.
GAP_TIMEOUT = 15 * 60.0
# At a build, ids missing among this many of the newest are taken for gaps.
GAP_WINDOW = 1_000
# The index's compound (key place, id) number holds a listing id in 32 bits; sort keys
# (publication microseconds, prices, ratings) stay exact as floats below 2**53.
MAX_LISTING_ID = 2**32 - 1
MAX_KEY = 2.0**53
# A search tier is read from its index this many ids at a time at least (doubling).
TIER_CHUNK = 64
# Facet counts kept per snapshot, for this many of the most recent filter states; and
# the rows matching a state, for fewer (a flag per published listing: 0.9 MB each at
# 900,000 listings).
COUNTS_KEPT = 256
MASKS_KEPT = 32
# A snapshot keeps the matches of its most recent searches too (and their ranked
# orders per filter state), within a bound on the bytes their arrays take: a common
# word matches half the catalogue (about 4 MB of ids and ranks at 1M listings).
SEARCHES_KEPT = 64
# Each facet's declared values and labels (a technique's name is watched).
FACETS_KEPT = 64
# A search matching at most this many listings is ranked whole (and kept with the
# snapshot) rather than read tier by tier from the search index on each request.
RANK_ALL_UP_TO = 5_000
SEARCH_BYTES_KEPT = 64 * 2**20

_EMPTY = np.zeros(0, dtype=np.int64)

logger = logging.getLogger(__name__)


# --- writing ---------------------------------------------------------------------------


def record_everything() -> None:
    """Tell every process to rebuild: after data loaded in bulk around the triggers
    (a restore), or a change the triggers cannot attribute to listings."""
    CatalogueChange.objects.create()


def changes_prune(*, now=None) -> int:
    """Delete change log entries older than ``KEEP_CHANGES`` (the schedule runs this
    hourly). Returns how many."""
    now = now or timezone.now()
    return CatalogueChange.objects.filter(created_at__lt=now - KEEP_CHANGES).delete()[0]


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


_SORT_KEYS = {
    "published_at": "published",
    "price": "price",
    "artisan__rating_average": "rating",
}


def _sort(ordering: str):
    if ordering not in SORT_ORDERS:
        raise ValueError(f"Unknown ordering {ordering!r}")
    return SORT_ORDERS[ordering]


def _merge_counts(*tallies: dict[str, int]) -> dict[str, int]:
    merged: dict[str, int] = {}
    for tally in tallies:
        for value, count in tally.items():
            merged[value] = merged.get(value, 0) + count
    return {value: count for value, count in merged.items() if count}


@dataclass(frozen=True)
class Segment:
    """Rows of listings with their sort keys and facet columns. A segment built from
    the whole catalogue is a snapshot's base; the listings changed since are its delta.
    """

    ids: np.ndarray  # the listing id of each row
    alive: np.ndarray  # False for rows superseded by a later reload
    published: np.ndarray  # publication time of each row, in microseconds
    price: np.ndarray  # price of each row
    rating: np.ndarray  # the artisan's average rating of each row
    columns: Mapping[str, Column]  # a base's pairs are in row order
    sorted_ids: np.ndarray  # ids of the live rows, ascending
    sorted_rows: np.ndarray  # the row of each of those ids
    # Worked out once each, as a segment never changes.
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def size(self) -> int:
        return int(np.count_nonzero(self.alive))

    def row_positions(self, listing_ids) -> np.ndarray:
        """The live row of each of these listings; -1 where one is not here."""
        wanted = np.asarray(listing_ids, dtype=np.int64)
        rows = np.full(len(wanted), -1, dtype=np.int64)
        if not len(wanted) or not len(self.sorted_ids):
            return rows
        at = np.searchsorted(self.sorted_ids, wanted)
        at[at >= len(self.sorted_ids)] = 0
        found = self.sorted_ids[at] == wanted
        rows[found] = self.sorted_rows[at[found]]
        return rows

    def value_mask(self, name: str, values: Iterable[str]) -> np.ndarray:
        """Rows with any of these values in facet ``name``."""
        column = self.columns.get(name)
        mask = np.zeros(len(self.ids), dtype=bool)
        if column is None:
            return mask
        code_of = column.code_of
        codes = [code_of[value] for value in values if value in code_of]
        if codes:
            wanted = np.zeros(len(column.values), dtype=bool)
            wanted[codes] = True
            mask[column.rows[wanted[column.codes]]] = True
        return mask

    def count(self, name: str, mask: np.ndarray) -> dict[str, int]:
        """Rows in ``mask`` per value of facet ``name``."""
        column = self.columns.get(name)
        if column is None or not len(column.codes):
            return {}
        tally = np.bincount(
            column.codes[mask[column.rows]], minlength=len(column.values)
        )
        return {column.values[code]: int(tally[code]) for code in np.flatnonzero(tally)}

    def count_rows(self, name: str, rows: np.ndarray) -> dict[str, int]:
        """Per value of facet ``name``, how many of these rows have it, reading only
        their pairs (a base's pairs are in row order)."""
        column = self.columns.get(name)
        if column is None or not len(rows) or not len(column.codes):
            return {}
        starts = np.searchsorted(column.rows, rows, side="left")
        ends = np.searchsorted(column.rows, rows, side="right")
        lengths = ends - starts
        if not lengths.sum():
            return {}
        positions = np.repeat(ends - lengths.cumsum(), lengths) + np.arange(
            lengths.sum()
        )
        tally = np.bincount(column.codes[positions], minlength=len(column.values))
        return {column.values[code]: int(tally[code]) for code in np.flatnonzero(tally)}

    def everything_counts(self) -> dict[str, dict[str, int]]:
        """Every row's values, counted per facet (once per segment)."""
        if "everything" not in self._cache:
            self._cache["everything"] = {
                name: self.count(name, self.alive) for name in self.columns
            }
        return self._cache["everything"]

    def keys(self, ordering: str) -> np.ndarray:
        return getattr(self, _SORT_KEYS[_sort(ordering).key])

    def ascending(self, ordering: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every row in ascending (key, id) order, with each one's place in that
        order as a number (``compound``) and the distinct keys it was worked out from.
        """
        if ordering not in self._cache:
            keys = self.keys(ordering)
            distinct = np.unique(keys)
            order = np.lexsort((self.ids, keys))
            self._cache[ordering] = (
                order,
                _compound(distinct, keys[order], self.ids[order]),
                distinct,
            )
        return self._cache[ordering]


def _compound(distinct: np.ndarray, keys: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """(key, id) as one sortable integer: a key among ``distinct`` at an odd place, a
    key between two of them at the even place between, then the id."""
    at = np.searchsorted(distinct, keys, side="left")
    exact = np.zeros(len(keys), dtype=bool)
    inside = at < len(distinct)
    exact[inside] = distinct[at[inside]] == keys[inside]
    place = 2 * at + exact.astype(np.int64)
    return (place.astype(np.int64) << 32) | ids.astype(np.int64)


@dataclass(frozen=True)
class Snapshot:
    """The catalogue as of one position in the change log: a base segment built from
    every published listing, less its rows reloaded since, plus those rows again in a
    small delta segment. A change costs each process a reload of the changed listings
    and a copy of one flag per base row, whatever the catalogue's size; when the delta
    grows past ``DELTA_LIMIT`` a background build folds it into a new base.

    Row masks cover the base's rows, then the delta's.
    """

    watermark: int  # the newest change id applied
    gaps: tuple[tuple[int, int, float], ...]  # older id ranges not seen, and since when
    base: Segment
    base_alive: np.ndarray  # the base's rows not reloaded since
    killed: np.ndarray  # the base's rows reloaded since, ascending
    delta: Segment
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def ids(self) -> np.ndarray:
        return np.concatenate([self.base.ids, self.delta.ids])

    @property
    def alive(self) -> np.ndarray:
        return np.concatenate([self.base_alive, self.delta.alive])

    @property
    def size(self) -> int:
        return int(np.count_nonzero(self.base_alive)) + self.delta.size

    def _split(self, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        edge = len(self.base.ids)
        return mask[:edge], mask[edge:]

    def row_positions(self, listing_ids) -> np.ndarray:
        """The live row of each of these listings; -1 where one is not indexed."""
        wanted = np.asarray(listing_ids, dtype=np.int64)
        rows = self.delta.row_positions(wanted)
        rows[rows >= 0] += len(self.base.ids)
        missing = rows < 0
        in_base = self.base.row_positions(wanted[missing])
        live = in_base >= 0
        live[live] = self.base_alive[in_base[live]]
        rows[np.flatnonzero(missing)[live]] = in_base[live]
        return rows

    def rows_of(self, listing_ids: Iterable[int]) -> np.ndarray:
        """A row mask of these listings (ignoring any not in the index)."""
        if not isinstance(listing_ids, np.ndarray):
            listing_ids = np.fromiter(listing_ids, dtype=np.int64)
        rows = self.row_positions(listing_ids)
        mask = np.zeros(len(self.base.ids) + len(self.delta.ids), dtype=bool)
        mask[rows[rows >= 0]] = True
        return mask

    @property
    def facet_names(self) -> list[str]:
        return list(dict.fromkeys([*self.base.columns, *self.delta.columns]))

    def value_mask(self, name: str, values: Iterable[str]) -> np.ndarray:
        """Rows with any of these values in facet ``name``."""
        values = list(values)
        return np.concatenate(
            [self.base.value_mask(name, values), self.delta.value_mask(name, values)]
        )

    def count(self, name: str, mask: np.ndarray) -> dict[str, int]:
        """Rows in ``mask`` per value of facet ``name``."""
        in_base, in_delta = self._split(mask)
        return _merge_counts(
            self.base.count(name, in_base), self.delta.count(name, in_delta)
        )

    def match(self, active: Mapping[str, Iterable[str]]) -> np.ndarray:
        """Rows matching every active facet (read-only: the masks of the most recent
        ``MASKS_KEPT`` filter states are kept with the snapshot, as counts are)."""
        key = _counts_key(active, None)
        kept = self._cache.setdefault("masks", _Kept(MASKS_KEPT))
        mask = kept.get(key)
        if mask is None:
            mask = self.alive
            names = set(self.facet_names)
            for name, values in active.items():
                if name in names:
                    mask = mask & self.value_mask(name, values)
            mask.flags.writeable = False
            kept.put(key, mask)
        return mask

    def ordered_ids(self, mask: np.ndarray, ordering: str) -> np.ndarray:
        """Listing ids of the rows in ``mask``, in the ``sorting.SORT_ORDERS`` order
        of that name: by its key column, then by id, both in its direction."""
        return self.ordered(mask, ordering, with_keys=False)[0]

    def ordered(
        self, mask: np.ndarray, ordering: str, *, with_keys: bool = True
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """``ordered_ids``, and each one's sort key (unless ``with_keys`` is false).
        The base's order is worked out once; the delta's few rows are merged into it.
        """
        in_base, in_delta = self._split(mask)
        order, compound, distinct = self.base.ascending(ordering)
        chosen = in_base[order]
        picked = order[chosen]
        ids = self.base.ids[picked]
        keys = self.base.keys(ordering)[picked] if with_keys else None
        rows = np.flatnonzero(in_delta)
        if len(rows):
            # In (key, id) order: keys that fall between the same two base keys share
            # a place, and go in there in this order.
            delta_keys = self.delta.keys(ordering)[rows]
            delta_ids = self.delta.ids[rows]
            by_key = np.lexsort((delta_ids, delta_keys))
            delta_keys, delta_ids = delta_keys[by_key], delta_ids[by_key]
            at = np.searchsorted(
                compound[chosen], _compound(distinct, delta_keys, delta_ids)
            )
            ids = np.insert(ids, at, delta_ids)
            if with_keys:
                keys = np.insert(keys, at, delta_keys)
        if _sort(ordering).descending:
            return ids[::-1], None if keys is None else keys[::-1]
        return ids, keys

    def _everything(self) -> dict[str, dict[str, int]]:
        """Counts with nothing selected, from the base's (worked out once) less its
        reloaded rows plus the delta: no pass over the whole catalogue per change."""
        if "everything" not in self._cache:
            base = self.base.everything_counts()
            self._cache["everything"] = {
                name: _merge_counts(
                    base.get(name, {}),
                    {
                        value: -count
                        for value, count in self.base.count_rows(
                            name, self.killed
                        ).items()
                    },
                    self.delta.count(name, self.delta.alive),
                )
                for name in self.facet_names
            }
        return self._cache["everything"]

    # The interface ``CatalogueQuery`` asks (``DatabaseFacets`` answers it too): the
    # search narrows by ``within`` (the matches' ids) here, by ``base`` (its queryset)
    # in the database.

    def count_facets(self, active, *, base=None, within=None, within_key=None):
        """Per facet, its value counts with every *other* active facet applied; and the
        number of listings matching all of them.

        The answers for the most recent ``COUNTS_KEPT`` filter states (with the search's
        matches, by ``within_key`` or else by digest) are kept with the snapshot: a
        snapshot never changes, so they hold until the catalogue does, when the next
        snapshot starts afresh."""
        within = None if within is None else np.asarray(within, dtype=np.int64)
        key = (
            _counts_key(active, within)
            if within_key is None or within is None
            else (_counts_key(active, None)[0], within_key)
        )
        kept = self._cache.setdefault("counts", _Kept(COUNTS_KEPT))
        found = kept.get(key)
        if found is None:
            found = self.facet_counts(
                active, None if within is None else self.rows_of(within)
            )
            kept.put(key, found)
        return found

    def in_order(self, active, ordering: str, *, base=None, within=None):
        """The listings matching ``active``, in ``ordering``, read a page at a time
        (``IndexOrder``): a page costs what it holds, not the whole catalogue."""
        return IndexOrder(self, self._scope(active, within), ordering)

    def _scope(self, active, within) -> np.ndarray:
        mask = self.match(active)
        if within is not None:
            mask = mask & self.rows_of(within)
        return mask

    def in_tiers(self, active, tiers, *, total: int | None = None):
        """A search's matches that pass ``active``, read tier by tier from the
        search index (``TieredOrder``)."""
        mask = self.match(active)

        def keep(ids: np.ndarray) -> np.ndarray:
            rows = self.row_positions(ids)
            kept = rows >= 0
            kept[kept] = mask[rows[kept]]
            return kept

        return TieredOrder(tiers, keep, total=total)

    def kept(self, kind: str, key, find, *, size: int, budget: int | None = None):
        """``find()``'s answer, kept with the snapshot among the ``size`` most recent
        of its ``kind`` (and their arrays within ``budget`` bytes), read-only: for
        what holds as long as the snapshot does (a search's matches: every write to
        what a search reads is logged, and starts the next snapshot)."""
        kept = self._cache.setdefault(kind, _Kept(size, budget=budget))
        found = kept.get(key)
        if found is None:
            found = _read_only(find())
            kept.put(key, found)
        return found

    def ids_by_rank(self, active, ids, ranks, *, base=None, key=None):
        """Of these search matches, the ids that pass ``active`` and their ranks, best
        rank first (ties: newest id first), as ``sorting.RELEVANCE_FIELDS`` sorts
        them. With a ``key`` naming the matches (their search), the answer is kept
        per filter state, as a search's matches are."""
        if key is not None:
            return self.kept(
                "ranked",
                (_counts_key(active, None)[0], key),
                lambda: self.ids_by_rank(active, ids, ranks),
                size=SEARCHES_KEPT,
                budget=SEARCH_BYTES_KEPT,
            )
        ids = np.asarray(ids, dtype=np.int64)
        ranks = np.asarray(ranks, dtype=np.int64)
        rows = self.row_positions(ids)
        indexed = rows >= 0
        keep = np.zeros(len(ids), dtype=bool)
        keep[indexed] = self.match(active)[rows[indexed]]
        return _by_rank(ids[keep], ranks[keep])

    def facet_counts(
        self, active: Mapping[str, Iterable[str]], base: np.ndarray | None = None
    ) -> tuple[dict[str, dict[str, int]], int]:
        """Per facet, its value counts with every *other* active facet applied; and the
        number of rows matching all of them. ``base`` narrows the rows (a search)."""
        names = self.facet_names
        if base is None and not any(active.values()):
            everything = self._everything()
            return {name: everything.get(name, {}) for name in names}, self.size
        alive = self.alive
        scope = alive if base is None else alive & base
        matches = {
            name: self.value_mask(name, values)
            for name, values in active.items()
            if name in names
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
            for name in names
        }
        return counts, int(np.count_nonzero(everything))


def _counts_key(active: Mapping[str, Iterable[str]], within: np.ndarray | None):
    """What a count answers to: the ticked values per facet and the search's matches."""
    state = tuple(
        sorted((name, tuple(sorted(set(values)))) for name, values in active.items())
    )
    if within is None:
        return state, None
    return state, hashlib.blake2b(within.tobytes(), digest_size=16).digest()


def _arrays(answer) -> list[np.ndarray]:
    if isinstance(answer, np.ndarray):
        return [answer]
    if isinstance(answer, tuple):
        return [a for part in answer for a in _arrays(part)]
    return []


def _read_only(answer):
    """``answer`` with its arrays made read-only, to be shared between requests."""
    for array in _arrays(answer):
        array.flags.writeable = False
    return answer


class _Kept:
    """The ``size`` most recently used answers, safe to share between threads; with a
    ``budget``, only as many as their arrays fit in that many bytes."""

    def __init__(self, size: int, *, budget: int | None = None):
        self.size = size
        self.budget = budget
        self.answers: OrderedDict = OrderedDict()
        self.weights: dict = {}
        self.weight = 0
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            found = self.answers.get(key)
            if found is not None:
                self.answers.move_to_end(key)
            return found

    def put(self, key, answer) -> None:
        weight = sum(a.nbytes for a in _arrays(answer)) if self.budget else 0
        if self.budget is not None and weight > self.budget:
            return
        with self.lock:
            self.weight += weight - self.weights.get(key, 0)
            self.answers[key] = answer
            self.weights[key] = weight
            self.answers.move_to_end(key)
            while len(self.answers) > self.size or (
                self.budget is not None and self.weight > self.budget
            ):
                oldest, _ = self.answers.popitem(last=False)
                self.weight -= self.weights.pop(oldest)


# --- listings in order, a page at a time -----------------------------------------------
#
# An order is a sequence of listing ids (``len`` and slices, as Django's paginator
# reads it) that also gives the ``count`` listings after a boundary (a key and an
# id), or before it going backwards, with their keys: what a cursor page needs.


class ArrayOrder:
    """Listings already in order as arrays: by key, then by id, both descending or
    both ascending (a search's matches by rank; the database's answer)."""

    def __init__(self, ids: np.ndarray, keys: np.ndarray, *, descending: bool):
        self.ids, self.keys, self.descending = ids, keys, descending

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, items: slice) -> np.ndarray:
        return self.ids[items]

    def after(self, boundary, count: int, *, backwards: bool = False):
        """The ``count`` listings following ``boundary`` (a key and id; None for the
        start), or preceding it, nearest first, ``backwards``; and their keys."""
        if boundary is None:
            start = stop = 0
        else:
            key, pk = boundary
            sign = 1 if self.descending else -1
            ahead = sign * self.keys > sign * key
            tied = self.keys == key
            # Those before the boundary; and those up to it, inclusive.
            stop = int(np.count_nonzero(ahead | (tied & (sign * self.ids > sign * pk))))
            start = int(
                np.count_nonzero(ahead | (tied & (sign * self.ids >= sign * pk)))
            )
        if backwards:
            taken = slice(max(0, stop - count), stop)
            return self.ids[taken][::-1], self.keys[taken][::-1]
        taken = slice(start, start + count)
        return self.ids[taken], self.keys[taken]


class IndexOrder:
    """The rows of a snapshot in ``mask``, in one of ``sorting.SORT_ORDERS``, read
    from the base's order (worked out once) where a boundary falls in it, with the
    delta's few rows merged in: a page reads its own rows and the unmatched ones
    between them, not the whole catalogue."""

    def __init__(self, snapshot: Snapshot, mask: np.ndarray, ordering: str):
        self.descending = _sort(ordering).descending
        self.total = int(np.count_nonzero(mask))
        self.in_base, in_delta = snapshot._split(mask)
        self.order, self.compound, self.distinct = snapshot.base.ascending(ordering)
        self.base_ids = snapshot.base.ids
        self.base_keys = snapshot.base.keys(ordering)
        rows = np.flatnonzero(in_delta)
        self.delta_ids = snapshot.delta.ids[rows]
        self.delta_keys = snapshot.delta.keys(ordering)[rows]

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, items: slice) -> np.ndarray:
        start, stop, _step = items.indices(self.total)
        return self.after(None, stop)[0][start:]

    def after(self, boundary, count: int, *, backwards: bool = False):
        """As ``ArrayOrder.after``."""
        if count <= 0 or (boundary is None and backwards):
            return self.base_ids[:0], self.base_keys[:0]
        # Which way the walk goes through the ascending (key, id) order.
        up = self.descending == backwards
        if boundary is None:
            position = 0 if up else len(self.order) - 1
            delta = np.ones(len(self.delta_ids), dtype=bool)
        else:
            key, pk = boundary
            key = np.array([key]).astype(self.base_keys.dtype)
            place = _compound(self.distinct, key, np.array([pk], dtype=np.int64))[0]
            key = key[0]
            if up:
                position = int(np.searchsorted(self.compound, place, side="right"))
                delta = (self.delta_keys > key) | (
                    (self.delta_keys == key) & (self.delta_ids > pk)
                )
            else:
                position = int(np.searchsorted(self.compound, place, side="left")) - 1
                delta = (self.delta_keys < key) | (
                    (self.delta_keys == key) & (self.delta_ids < pk)
                )
        rows = self._walk(position, up, count)
        ids = np.concatenate([self.base_ids[rows], self.delta_ids[delta]])
        keys = np.concatenate([self.base_keys[rows], self.delta_keys[delta]])
        ordered = np.lexsort((ids, keys))
        if not up:
            ordered = ordered[::-1]
        ordered = ordered[:count]
        return ids[ordered], keys[ordered]

    def _walk(self, position: int, up: bool, count: int) -> np.ndarray:
        """The first ``count`` base rows in the mask from ``position`` in the base's
        order, going up or down it, in chunks that double."""
        found, total, chunk, size = [], 0, max(256, 4 * count), len(self.order)
        while total < count and 0 <= position < size:
            if up:
                rows = self.order[position : position + chunk]
                position += chunk
            else:
                rows = self.order[max(0, position - chunk + 1) : position + 1][::-1]
                position -= chunk
            hits = rows[self.in_base[rows]]
            found.append(hits)
            total += len(hits)
            chunk *= 2
        return np.concatenate(found)[:count] if found else self.order[:0]


class TieredOrder:
    """Search matches in relevance order where a search's ranks come in a few tiers
    (best first, each tier newest first): each tier is read from the search index a
    chunk at a time past a boundary, and its matches kept where ``keep`` allows (the
    snapshot's published listings passing the filters). A page reads its own matches
    and the few around them, not every match.

    ``tiers`` are (rank, fetch) with ``fetch(past=, ascending=, limit=)`` giving up
    to ``limit`` ids of that tier past an id (or from the start), newest first or,
    ``ascending``, oldest first.
    ``total`` is the number of kept matches, when known (pages by number need it).
    """

    descending = True  # best rank first, then newest first

    def __init__(self, tiers, keep, *, total: int | None = None):
        self.tiers, self.keep, self.total = tiers, keep, total

    def __len__(self) -> int:
        if self.total is None:
            raise TypeError("The number of matches was not given.")
        return self.total

    def __getitem__(self, items: slice) -> np.ndarray:
        start, stop, _step = items.indices(len(self))
        return self.after(None, stop)[0][start:]

    def after(self, boundary, count: int, *, backwards: bool = False):
        """As ``ArrayOrder.after``: the keys are the ranks."""
        found: list[np.ndarray] = []
        ranks: list[np.ndarray] = []
        wanted = count
        if backwards and boundary is None:
            wanted = 0
        # Nearest first: forward, the boundary's tier below its id then the worse
        # tiers; backward, its tier above its id then the better ones, oldest first.
        tiers = reversed(self.tiers) if backwards else self.tiers
        for rank, fetch in tiers:
            if wanted <= 0:
                break
            bound = None
            if boundary is not None:
                key, pk = boundary
                if (rank > key) if not backwards else (rank < key):
                    continue
                if rank == key:
                    bound = pk
            ids = self._walk(fetch, bound, backwards, wanted)
            found.append(ids)
            ranks.append(np.full(len(ids), rank, dtype=np.int64))
            wanted -= len(ids)
        if not found:
            return _EMPTY, _EMPTY
        return np.concatenate(found), np.concatenate(ranks)

    def _walk(self, fetch, bound, backwards: bool, count: int) -> np.ndarray:
        kept, total, chunk = [], 0, max(TIER_CHUNK, 2 * count)
        while total < count:
            ids = fetch(past=bound, ascending=backwards, limit=chunk)
            if not len(ids):
                break
            hits = ids[self.keep(ids)]
            kept.append(hits)
            total += len(hits)
            if len(ids) < chunk:
                break
            bound = int(ids[-1])
            chunk *= 2
        return np.concatenate(kept)[:count] if kept else _EMPTY


def _by_rank(ids: np.ndarray, ranks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """These ids and their ranks, best rank first, ties newest id first."""
    order = np.lexsort((-ids, -ranks))
    return ids[order], ranks[order]


class DatabaseFacets:
    """The snapshot's answers from the FilterSet's own SQL, which defines them.

    Served while this process builds its snapshot in the background, and inside a
    transaction that has no snapshot to start from: slower, never stale.
    """

    def __init__(self):
        self.filters = _facet_filters()

    def _matching(self, active, base=None, excluding: str | None = None):
        queryset = Listing.objects.published() if base is None else base
        for name, values in active.items():
            if name != excluding and name in self.filters:
                queryset = self.filters[name].filter(queryset, values)
        return queryset.prefetch_related(None)

    def kept(self, kind: str, key, find, *, size: int, budget: int | None = None):
        return find()

    def count_facets(self, active, *, base=None, within=None, within_key=None):
        counts = {}
        for name, facet in self.filters.items():
            matching = self._matching(active, base, excluding=name)
            tally: dict[str, int] = {}
            for _pk, value in facet.facet_pairs(matching):
                tally[value] = tally.get(value, 0) + 1
            counts[name] = tally
        return counts, self._matching(active, base).order_by().count()

    def in_order(self, active, ordering: str, *, base=None, within=None):
        order = _sort(ordering)
        rows = list(
            self._matching(active, base)
            .order_by(*order.fields)
            .values_list("pk", order.key)
        )
        key_of = _KEY_OF[order.key]
        ids = np.fromiter((row[0] for row in rows), np.int64, len(rows))
        keys = np.fromiter(
            (key_of(row[1]) for row in rows), _KEY_TYPE[order.key], len(rows)
        )
        # Sorted again by the keys as the index holds them (a missing value is 0,
        # which the database would sort elsewhere), so cursors count as they do there.
        in_order = np.lexsort((ids, keys))
        if order.descending:
            in_order = in_order[::-1]
        return ArrayOrder(ids[in_order], keys[in_order], descending=order.descending)

    def ids_by_rank(self, active, ids, ranks, *, base=None, key=None):
        matching = set(
            self._matching(active, base).order_by().values_list("pk", flat=True)
        )
        ids = np.asarray(ids, dtype=np.int64)
        ranks = np.asarray(ranks, dtype=np.int64)
        keep = np.fromiter((pk in matching for pk in ids.tolist()), bool, len(ids))
        return _by_rank(ids[keep], ranks[keep])


def _facet_filters() -> dict:
    return ListingFilter(queryset=Listing.objects.none()).facet_filters()


def _micros(moment) -> int:
    return int(moment.timestamp() * 1_000_000) if moment is not None else 0


def _number(value) -> float:
    return float(value or 0)


# Each sort key's column, as the index holds it (``Segment.published`` and the rest).
_KEY_OF = {
    "published_at": _micros,
    "price": _number,
    "artisan__rating_average": _number,
}
_KEY_TYPE = {
    "published_at": np.int64,
    "price": np.float64,
    "artisan__rating_average": np.float64,
}


def _pairs(queryset):
    """The listings' ids, sort keys and (id, value) pairs per facet."""
    rows = list(queryset.order_by("pk").values_list("pk", *_KEY_OF))
    ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    keys = tuple(
        np.fromiter((key_of(row[n]) for row in rows), _KEY_TYPE[key], len(rows))
        for n, (key, key_of) in enumerate(_KEY_OF.items(), start=1)
    )
    return (
        ids,
        keys,
        {
            name: list(facet.facet_pairs(queryset))
            for name, facet in _facet_filters().items()
        },
    )


def _segment(ids, alive, keys, columns) -> Segment:
    live = np.flatnonzero(alive)
    order = np.argsort(ids[live], kind="stable")
    return Segment(
        ids=ids,
        alive=alive,
        published=keys[0],
        price=keys[1],
        rating=keys[2],
        columns=columns,
        sorted_ids=ids[live][order],
        sorted_rows=live[order],
    )


_NO_KEYS = (_EMPTY, np.zeros(0, dtype=np.float64), np.zeros(0, np.float64))


def _extend(previous: Segment | None, changed, ids, keys, pairs) -> Segment:
    """``previous`` (or nothing) with the rows of ``changed`` superseded by ``ids``,
    their sort ``keys`` and their facet ``pairs``."""
    if previous is None:
        old_ids, alive, offset, old_keys = _EMPTY, np.zeros(0, dtype=bool), 0, _NO_KEYS
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
        before = previous.columns.get(name) if previous is not None else None
        values = list(before.values) if before is not None else []
        code_of = {value: code for code, value in enumerate(values)}
        rows, codes = [], []
        for pk, value in pairs.get(name, ()):
            row = row_of.get(pk)
            if row is None:
                continue
            if value not in code_of:
                code_of[value] = len(values)
                values.append(value)
            rows.append(row)
            codes.append(code_of[value])
        rows = np.asarray(rows, dtype=np.int64)
        codes = np.asarray(codes, dtype=np.int64)
        if before is not None:
            rows = np.concatenate([before.rows, rows])
            codes = np.concatenate([before.codes, codes])
        else:
            in_row_order = np.argsort(rows, kind="stable")
            rows, codes = rows[in_row_order], codes[in_row_order]
        columns[name] = Column(values=tuple(values), rows=rows, codes=codes)
    all_ids = np.concatenate([old_ids, ids])
    all_alive = np.concatenate([alive, np.ones(len(ids), dtype=bool)])
    all_keys = tuple(
        np.concatenate([old, new]) for old, new in zip(old_keys, keys, strict=True)
    )
    return _segment(all_ids, all_alive, all_keys, columns)


_NO_ROWS = _segment(_EMPTY, np.zeros(0, dtype=bool), _NO_KEYS, {})


def build(position=None) -> Snapshot:
    """Index every published listing, as of the log's ``position`` (read now if not
    given: before the listings, so that nothing committed in between is missed)."""
    position = position or _log_position()
    ids, keys, pairs = _pairs(Listing.objects.published())
    base = _extend(None, (), ids, keys, pairs)
    return Snapshot(
        watermark=position[0],
        gaps=position[1],
        base=base,
        base_alive=base.alive,
        killed=_EMPTY,
        delta=_NO_ROWS,
    )


def reload(previous: Snapshot, listing_ids, position) -> Snapshot:
    """``previous`` with these listings read again (gone, changed or new) into its
    delta: the cost follows the listings, not the catalogue."""
    listing_ids = sorted(set(listing_ids))
    if not listing_ids:
        return replace(previous, watermark=position[0], gaps=position[1])
    ids, keys, pairs = _pairs(Listing.objects.published().filter(pk__in=listing_ids))
    in_base = previous.base.row_positions(listing_ids)
    in_base = in_base[in_base >= 0]
    in_base = in_base[previous.base_alive[in_base]]
    base_alive = previous.base_alive.copy()
    base_alive[in_base] = False
    return Snapshot(
        watermark=position[0],
        gaps=position[1],
        base=previous.base,
        base_alive=base_alive,
        killed=np.union1d(previous.killed, in_base),
        delta=_extend(previous.delta, listing_ids, ids, keys, pairs),
    )


# --- reading ---------------------------------------------------------------------------

_lock = threading.RLock()
_snapshot: Snapshot | None = None
_checked_at = 0.0  # when this process last read the log (monotonic seconds)


def _missing(low: int, high: int, found) -> list[tuple[int, int]]:
    """The ranges of ids from ``low`` to ``high`` that are not in ``found``."""
    ranges, start = [], low
    for pk in sorted(pk for pk in found if low <= pk <= high):
        if pk > start:
            ranges.append((start, pk - 1))
        start = pk + 1
    if start <= high:
        ranges.append((start, high))
    return ranges


def _log_position() -> tuple[int, tuple]:
    """The newest change id, and the ids among the newest ``GAP_WINDOW`` that are not
    visible yet (transactions still open, or rolled back)."""
    newest = list(
        CatalogueChange.objects.order_by("-pk").values_list("pk", flat=True)[
            :GAP_WINDOW
        ]
    )
    if not newest:
        return 0, ()
    now = time.monotonic()
    gaps = _missing(newest[-1], newest[0], newest)
    return newest[0], tuple((low, high, now) for low, high in gaps)


def _unseen_changes(watermark: int, lows: list[int], highs: list[int]):
    unseen = Q(pk__gt=watermark)
    for low, high in zip(lows, highs, strict=True):
        unseen |= Q(pk__range=(low, high))
    return (
        CatalogueChange.objects.filter(unseen)
        .order_by("pk")
        .values_list("pk", "listing_id", "artisan_id")[: REBUILD_AFTER + 1]
    )


# Every request asks it: compiled once per process and number of gaps.
_UNSEEN_CHANGES = Baked(_unseen_changes)


def _pending(snapshot: Snapshot) -> list[tuple[int, int | None, int | None]]:
    """Log entries this snapshot has not applied: past its watermark, or in its gaps."""
    return [
        tuple(row)
        for row in _UNSEEN_CHANGES.rows(
            watermark=snapshot.watermark,
            lows=[low for low, _high, _since in snapshot.gaps],
            highs=[high for _low, high, _since in snapshot.gaps],
        )
    ]


def _advance(snapshot: Snapshot, seen: list[int]) -> tuple[int, tuple]:
    """The log position after applying ``seen``: the watermark moves to the newest,
    ids skipped on the way become gaps, and gaps awaited too long are given up."""
    now = time.monotonic()
    watermark = max([snapshot.watermark, *seen])
    gaps = [
        (low_, high_, since)
        for low, high, since in snapshot.gaps
        if now - since < GAP_TIMEOUT
        for low_, high_ in _missing(low, high, seen)
    ]
    gaps += [
        (low, high, now)
        for low, high in _missing(snapshot.watermark + 1, watermark - 1, seen)
    ]
    return watermark, tuple(gaps)


def _plan(previous: Snapshot) -> Snapshot | None:
    """``previous`` caught up by reloading what the log names since it, or ``None``
    when only a rebuild will do."""
    changes = _pending(previous)
    if not changes:
        expired = [g for g in previous.gaps if time.monotonic() - g[2] >= GAP_TIMEOUT]
        if expired:
            return reload(previous, (), _advance(previous, []))
        return previous
    if len(changes) > REBUILD_AFTER or any(
        listing is None and artisan is None for _pk, listing, artisan in changes
    ):
        return None
    position = _advance(previous, [pk for pk, _listing, _artisan in changes])
    listing_ids = {listing for _pk, listing, _artisan in changes if listing is not None}
    artisans = {artisan for _pk, _listing, artisan in changes if artisan is not None}
    if artisans:
        listing_ids.update(
            Listing.objects.filter(artisan_id__in=artisans).values_list("pk", flat=True)
        )
    if len(listing_ids) > REBUILD_AFTER:
        return None
    return reload(previous, listing_ids, position)


def _folding_due(snapshot: Snapshot) -> bool:
    return len(snapshot.delta.ids) > DELTA_LIMIT


def _catch_up(previous: Snapshot | None) -> Snapshot:
    """``previous`` caught up with the log, rebuilding here if that is what it takes."""
    caught_up = _plan(previous) if previous is not None else None
    if caught_up is None or _folding_due(caught_up):
        return build()
    return caught_up


def _in_transaction() -> bool:
    """Inside a transaction the application opened (a test case's own wrapping
    transaction stands for autocommit, as in Django's own check of durable blocks)."""
    return any(
        not getattr(block, "_from_testcase", False)
        for block in connection.atomic_blocks
    )


def _published() -> Snapshot | None:
    """This process's snapshot, unless it has not read the log for so long that the
    log may have been pruned past it."""
    if time.monotonic() - _checked_at > KEEP_CHANGES.total_seconds() / 2:
        return None
    return _snapshot


def _publish(snapshot: Snapshot) -> None:
    """Keep ``snapshot`` for every later request, unless it may hold changes of a
    transaction still open (which could yet roll back)."""
    global _snapshot, _checked_at
    if not _in_transaction():
        _snapshot = snapshot
        _checked_at = time.monotonic()


def current() -> Snapshot:
    """The index as of every change committed (one query when fresh), building it
    here if it must: for start-up, commands and tests."""
    with _lock:
        snapshot = _catch_up(_published())
        _publish(snapshot)
        return snapshot


def backend() -> Snapshot | DatabaseFacets:
    """What answers a request: the snapshot, caught up with the log; or, when only a
    rebuild would do, the database while the rebuild runs in the background (never
    inside a request)."""
    if not settings.FACET_INDEX_BACKGROUND:
        return current()
    with _lock:
        snapshot = _published()
        caught_up = _plan(snapshot) if snapshot is not None else None
        if caught_up is not None:
            _publish(caught_up)
            if _folding_due(caught_up):
                _start_build()
            return caught_up
        _start_build()
    return DatabaseFacets()


_builder: threading.Thread | None = None


def _start_build() -> None:
    global _builder
    if _builder is None or not _builder.is_alive():
        _builder = threading.Thread(
            target=_build_in_background, name="facet-index-build", daemon=True
        )
        _builder.start()


def _build_in_background() -> None:
    try:
        snapshot = _catch_up(build())  # and what changed while it was built
        with _lock:
            _publish(_catch_up(snapshot))  # and while requests were answered
    except Exception:
        logger.exception("facet index build failed")
    finally:
        connections.close_all()  # this thread's own


def wait_for_build(timeout: float | None = None) -> None:
    """Wait for a background build to finish (tests and start-up)."""
    builder = _builder
    if builder is not None:
        builder.join(timeout)


def forget() -> None:
    """Drop this process's snapshot (after restoring a database, and before each test,
    as each test's database is rolled back)."""
    global _snapshot
    with _lock:
        _snapshot = None
