"""Unique slugs for any model: one rule for pieces, artisans and commissioned pieces."""

from django.utils.text import slugify


def unique_slug(
    model, text: str, *, fallback: str, max_length: int = 140, exclude_pk=None
) -> str:
    """``text`` slugified and cut to ``max_length``, with ``-2``, ``-3``… appended
    until no other row of ``model`` has it."""
    base = slugify(text)[:max_length].strip("-") or fallback
    taken = model.objects.exclude(pk=exclude_pk) if exclude_pk else model.objects
    slug, n = base, 2
    while taken.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug
