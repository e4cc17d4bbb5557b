"""The PostgreSQL backend's health check: spent on connections that have been idle,
not on one that answered a moment ago, and a dead idle connection still replaced."""

import time

import pytest
from django.db import ProgrammingError, connection, connections

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the PostgreSQL backend's own check"
    ),
]


@pytest.fixture
def db_connection():
    """A persistent connection of its own, health checks on, as a web process has."""
    wrapper = connections["default"].copy()  # its own copy of the settings
    wrapper.settings_dict["CONN_HEALTH_CHECKS"] = True
    wrapper.settings_dict["CONN_MAX_AGE"] = 60
    yield wrapper
    wrapper.close()


def one_request(wrapper, monkeypatch) -> tuple[int, list[str]]:
    """What Django does for a request: the start-of-request bookkeeping, then a query.
    Returns the server process that answered and the health checks made."""
    checks: list[str] = []
    real_check = wrapper.is_usable

    def counted():
        checks.append("SELECT 1")
        return real_check()

    monkeypatch.setattr(wrapper, "is_usable", counted)
    wrapper.close_if_unusable_or_obsolete()
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    monkeypatch.undo()
    return pid, checks


def test_the_backend_is_this_projects(db_connection):
    assert type(db_connection).__module__ == "config.db.postgresql.base"


def test_a_connection_that_just_answered_is_not_checked(db_connection, monkeypatch):
    first, checks = one_request(db_connection, monkeypatch)
    assert checks == []  # a new connection is healthy
    second, checks = one_request(db_connection, monkeypatch)
    assert checks == []
    assert second == first  # the same connection, kept


def test_an_idle_connection_is_checked(db_connection, monkeypatch):
    first, _ = one_request(db_connection, monkeypatch)
    db_connection.answered_at = time.monotonic() - db_connection.healthy_for - 0.1
    second, checks = one_request(db_connection, monkeypatch)
    assert checks == ["SELECT 1"]
    assert second == first  # healthy, so kept
    # The check's own answer counts: the next request is not checked again.
    _, checks = one_request(db_connection, monkeypatch)
    assert checks == []


def test_with_no_window_every_request_is_checked(db_connection, monkeypatch, settings):
    settings.DATABASE_HEALTHY_FOR = 0
    first, _ = one_request(db_connection, monkeypatch)
    second, checks = one_request(db_connection, monkeypatch)
    assert checks == ["SELECT 1"]
    assert second == first


def test_a_dead_idle_connection_is_replaced_before_the_query(
    db_connection, monkeypatch
):
    first, _ = one_request(db_connection, monkeypatch)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [first])
        assert cursor.fetchone()[0] is True
    db_connection.answered_at = time.monotonic() - db_connection.healthy_for - 0.1
    second, checks = one_request(db_connection, monkeypatch)
    assert checks == ["SELECT 1"]
    assert second != first  # the query ran on a new connection, without an error


def test_a_failed_query_is_not_an_answer(db_connection, monkeypatch):
    one_request(db_connection, monkeypatch)
    db_connection.answered_at = None
    with pytest.raises(ProgrammingError), db_connection.cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table")
    assert db_connection.answered_at is None


@pytest.mark.parametrize("prepared", [True, False])
def test_a_baked_query_is_prepared_once_whatever_its_ids(settings, prepared):
    """Run again and again with small and large ids, a baked query becomes one
    prepared statement on the connection, not one per mix of integer sizes; Django's
    own statements are not prepared. With prepared statements off, nothing is."""
    from config.baked import Baked
    from marketplace.catalogue.models import Listing

    settings.DATABASE_PREPARED_STATEMENTS = prepared
    baked = Baked(
        lambda ids: Listing.objects.filter(pk__in=ids).values_list("pk", "title")
    )
    for n in range(8):
        baked.rows(ids=[n + 1, 40_000 + n, 3_000_000_000 + n])
        list(Listing.objects.filter(pk__in=[n + 1, 40_000 + n]).values_list("pk"))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement, parameter_types::text[] FROM pg_prepared_statements"
        )
        prepared_now = cursor.fetchall()
    baked_ones = [
        types
        for statement, types in prepared_now
        if '"marketplace_listing"."id" IN ($1, $2, $3)' in statement
    ]
    assert baked_ones == ([["bigint", "bigint", "bigint"]] if prepared else [])
    # Django's cursors bind on the client: no statement with its values in it.
    assert all("$1" in statement for statement, _ in prepared_now)
    assert connection.connection.prepare_threshold is None


def test_prepared_cursor_sends_integers_as_bigint_by_name_or_place():
    with connection.prepared_cursor() as cursor:
        cursor.execute("SELECT pg_typeof(%s)::text, %s::text", [7, "x"])
        assert cursor.fetchone() == ("bigint", "x")
        cursor.execute("SELECT pg_typeof(%(n)s)::text", {"n": 7})
        assert cursor.fetchone() == ("bigint",)


def test_a_prepared_statement_is_logged_with_its_values(django_assert_num_queries):
    """The query log and captured queries show a baked query's SQL, prepared or not."""
    from config.baked import Baked
    from marketplace.catalogue.models import Listing

    baked = Baked(lambda slug: Listing.objects.filter(slug=slug).values_list("pk"))
    for _ in range(3):  # prepared on its first run, then run prepared
        with django_assert_num_queries(1) as captured:
            baked.rows(slug="a-logged-slug")
        assert "'a-logged-slug'" in captured.captured_queries[0]["sql"]
