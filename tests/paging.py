"""Following an API list's cursor pages, as a client does."""


def cursor_pages(client, url: str, field: str = "slug") -> tuple[list[list], dict]:
    """Each page's ``field`` values, following ``next`` from ``url`` to the end; and
    the last page's body (for its ``previous`` link)."""
    pages, body = [], {}
    while url:
        body = client.get(url).json()
        pages.append([row[field] for row in body["results"]])
        url = body["next"]
    return pages, body


def flattened(pages: list[list]) -> list:
    return [value for page in pages for value in page]
