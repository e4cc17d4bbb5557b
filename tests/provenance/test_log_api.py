"""The transparency log in public: /log/… and /api/log/… (the same views)."""

import pytest
from django.urls import reverse

from provenance import signing
from provenance.models import Checkpoint
from provenance.services.transparency import checkpoint_publish, log_append, log_origin
from provenance.transparency import leaves, merkle
from provenance.transparency.checkpoint import open_checkpoint

pytestmark = pytest.mark.django_db

CHECKPOINT_URLS = ["/log/checkpoint", "/api/log/checkpoint"]
INCLUSION_URLS = ["/log/proof/inclusion", "/api/log/proof/inclusion"]
CONSISTENCY_URLS = ["/log/proof/consistency", "/api/log/proof/consistency"]


def _append(n: int, start: int = 0) -> None:
    for k in range(start, start + n):
        log_append(
            kind=leaves.DECISION,
            object_type="review_event",
            object_id=k,
            object_hash=f"{k:064x}",
            content={},
        )


def _open(note: str):
    return open_checkpoint(
        note, name=log_origin(), public_key=signing.private_key().public_key()
    )


def _hashes(values):
    return [bytes.fromhex(v) for v in values]


def test_the_urls_are_the_ones_log_clients_expect():
    assert reverse("provenance:log-checkpoint") == "/log/checkpoint"
    assert reverse("api:log-checkpoint") == "/api/log/checkpoint"
    assert reverse("api:log-inclusion-proof") == "/api/log/proof/inclusion"
    assert reverse("api:log-consistency-proof") == "/api/log/proof/consistency"


@pytest.mark.parametrize("url", CHECKPOINT_URLS)
def test_the_checkpoint_is_a_signed_note_in_plain_text(client, url):
    _append(5)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    checkpoint = _open(response.content.decode())
    assert checkpoint.tree_size == 5 and checkpoint.timestamp is not None
    # The first request published the log's first checkpoint; the next reads it.
    assert client.get(url).content == response.content
    assert Checkpoint.objects.count() == 1


def test_both_paths_serve_the_same_checkpoint(client):
    _append(2)
    checkpoint_publish()
    assert len({client.get(url).content for url in CHECKPOINT_URLS}) == 1


def test_without_a_signing_key_the_checkpoint_is_unavailable(client, settings):
    settings.TOUCHSTONE_SIGNING_KEY = ""
    response = client.get("/api/log/checkpoint")
    assert response.status_code == 503
    assert b"not configured" in response.content


@pytest.mark.parametrize("url", INCLUSION_URLS)
def test_an_inclusion_proof_by_index_or_by_hash_verifies(client, url):
    _append(13)
    checkpoint = _open(checkpoint_publish().note)
    by_index = client.get(url, {"leaf_index": 5}).json()
    assert by_index["tree_size"] == 13 and by_index["checkpoint"]
    leaf_hash = merkle.leaf_hash(by_index["leaf"].encode())
    assert leaf_hash.hex() == by_index["leaf_hash"]
    merkle.verify_inclusion(
        5, 13, leaf_hash, _hashes(by_index["proof"]), checkpoint.root_hash
    )
    by_hash = client.get(url, {"leaf_hash": by_index["leaf_hash"]}).json()
    assert by_hash == by_index
    # Against an older tree size, which no checkpoint published.
    older = client.get(url, {"leaf_index": 5, "tree_size": 9}).json()
    assert older["checkpoint"] is None and len(older["proof"]) == 4


@pytest.mark.parametrize("url", CONSISTENCY_URLS)
def test_a_consistency_proof_between_two_checkpoints_verifies(client, url):
    _append(6)
    first = _open(checkpoint_publish().note)
    _append(11, start=6)
    second = _open(checkpoint_publish().note)
    answer = client.get(url, {"from": 6}).json()
    assert (answer["from"], answer["to"]) == (6, 17)
    merkle.verify_consistency(
        6, 17, first.root_hash, second.root_hash, _hashes(answer["proof"])
    )
    assert client.get(url, {"from": 6, "to": 6}).json()["proof"] == []


@pytest.mark.parametrize(
    ("url", "query", "field"),
    [
        ("/api/log/proof/inclusion", {}, "leaf_index"),
        (
            "/api/log/proof/inclusion",
            {"leaf_index": 1, "leaf_hash": "a" * 64},
            "leaf_index",
        ),
        ("/api/log/proof/inclusion", {"leaf_index": -1}, "leaf_index"),
        ("/api/log/proof/inclusion", {"leaf_index": "one"}, "leaf_index"),
        ("/api/log/proof/inclusion", {"leaf_index": 10**30}, "leaf_index"),
        ("/api/log/proof/inclusion", {"leaf_index": 4}, "leaf_index"),
        ("/api/log/proof/inclusion", {"leaf_index": 0, "tree_size": 5}, "tree_size"),
        ("/api/log/proof/inclusion", {"leaf_hash": "ABC"}, "leaf_hash"),
        ("/log/proof/inclusion", {"leaf_index": "1.5"}, "leaf_index"),
        ("/api/log/proof/consistency", {}, "from"),
        ("/api/log/proof/consistency", {"from": 3, "to": 2}, "from"),
        ("/api/log/proof/consistency", {"from": 1, "to": 9}, "to"),
        ("/log/proof/consistency", {"from": "-5"}, "from"),
    ],
)
def test_bad_questions_are_400s_with_field_errors(client, url, query, field):
    _append(4)
    checkpoint_publish()
    response = client.get(url, query)
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_an_unknown_leaf_hash_is_a_404(client):
    _append(2)
    checkpoint_publish()
    response = client.get("/api/log/proof/inclusion", {"leaf_hash": "0" * 64})
    assert response.status_code == 404


def test_a_missing_node_is_a_503_not_a_500(client):
    from provenance.models import LogNode

    _append(4)
    checkpoint_publish()
    LogNode.objects.filter(level=1, position=1).delete()
    response = client.get("/api/log/proof/inclusion", {"leaf_index": 0})
    assert response.status_code == 503


def test_proofs_cost_the_same_queries_at_any_tree_size(
    client, django_assert_max_num_queries
):
    _append(3)
    checkpoint_publish()
    with django_assert_max_num_queries(6) as small_inclusion:
        client.get("/api/log/proof/inclusion", {"leaf_index": 1})
    with django_assert_max_num_queries(3) as small_consistency:
        client.get("/api/log/proof/consistency", {"from": 2})
    _append(700, start=3)
    checkpoint_publish()
    with django_assert_max_num_queries(len(small_inclusion)):
        client.get("/api/log/proof/inclusion", {"leaf_index": 500})
    with django_assert_max_num_queries(len(small_consistency)):
        client.get("/api/log/proof/consistency", {"from": 301})


def test_only_the_api_paths_are_in_the_schema(client):
    paths = client.get("/api/schema/?format=json").json()["paths"]
    assert {"/api/log/checkpoint", "/api/log/proof/inclusion"} <= set(paths)
    assert not any(path.startswith("/log/") for path in paths)
