"""The API's parsers: a bounded body, bounded nesting, and no NUL characters.

Deeply nested JSON would exhaust the interpreter's recursion (a 500), and a NUL
character is a string PostgreSQL text cannot hold (a 500 at the first query that
carries it): both are a 400 here, before any view sees the data, whether the body
is JSON, a form or a multipart upload.
"""

import json

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser

MAX_DEPTH = 32
NUL_MESSAGE = "Text may not contain NUL characters."


def _check(data) -> None:
    """Walk the parsed document without recursion: its depth, and NULs in strings."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ParseError(f"JSON nested deeper than {MAX_DEPTH} levels.")
        if isinstance(value, str):
            if "\x00" in value:
                raise ParseError(NUL_MESSAGE)
        elif isinstance(value, dict):
            for key, item in value.items():
                if "\x00" in key:
                    raise ParseError(NUL_MESSAGE)
                stack.append((item, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)


class SafeJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        body = stream.read(limit + 1) if stream is not None else b""
        if limit is not None and len(body) > limit:
            raise ParseError("The request body is too large.")
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            data = json.loads(body.decode(encoding))
        except RecursionError:
            raise ParseError(f"JSON nested deeper than {MAX_DEPTH} levels.") from None
        except (ValueError, UnicodeDecodeError) as error:
            raise ParseError(f"JSON parse error - {error}") from None
        _check(data)
        return data


def _check_form(data) -> None:
    """Form fields (and uploaded files' names) may not carry a NUL either."""
    for key, values in data.lists():
        if "\x00" in key or any("\x00" in str(value) for value in values):
            raise ParseError(NUL_MESSAGE)


class SafeFormParser(FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        _check_form(data)
        return data


class SafeMultiPartParser(MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        _check_form(parsed.data)
        for key, upload in parsed.files.items():
            if "\x00" in key or "\x00" in (upload.name or ""):
                raise ParseError(NUL_MESSAGE)
        return parsed
