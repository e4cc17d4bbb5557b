"""The anonymous catalogue cache: entries are valid only at the version they were made."""

from marketplace.catalogue import caching


def test_a_page_made_across_a_catalogue_change_is_never_served(rf):
    request = rf.get("/pieces/", {"metal": "gold"})
    key = caching.cache_key("pieces-html", request)
    assert caching.get(key) is None
    caching._bump()  # a write commits while the page is being rendered
    caching.put(key, b"rendered before the change")
    assert caching.get(caching.cache_key("pieces-html", request)) is None

    key = caching.cache_key("pieces-html", request)
    caching.get(key)
    caching.put(key, b"rendered after it")
    assert (
        caching.get(caching.cache_key("pieces-html", request)) == b"rendered after it"
    )
    caching._bump()
    assert caching.get(caching.cache_key("pieces-html", request)) is None


def test_the_key_ignores_the_order_of_the_query(rf):
    one = caching.cache_key("pieces-html", rf.get("/pieces/?metal=gold&category=ring"))
    two = caching.cache_key("pieces-html", rf.get("/pieces/?category=ring&metal=gold"))
    other = caching.cache_key("pieces-html", rf.get("/pieces/?category=ring"))
    assert one == two != other
