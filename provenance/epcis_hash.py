"""The EPCIS event hash ID of GS1's Core Business Vocabulary 2.0 (CBV 2.0, section 8.9).

An event's hash ID is ``ni:///sha-256;<hex digest>?ver=CBV2.0``, the SHA-256 of its
*pre-hash string*: the event's values concatenated in a canonical property order, each
``key=value`` with no separators, so that any serialisation of the same event (XML or
JSON-LD, keys in any order) hashes alike. The rules followed here, as the standard and
its reference implementation (github.com/RalphTro/epcis-event-hash-generator) state them:

- ``eventType=<type>`` first, then the standard fields in ``PROPERTY_ORDER``; a field an
  event omits adds nothing, and a list's name appears once, before its elements.
- Values are trimmed. Timestamps are in UTC with millisecond precision
  (``2020-04-01T14:00:00.000Z``; a 4th decimal of 5-9 rounds the 3rd up). Numbers have
  no trailing zeros (``1``, not ``1.0``).
- CBV terms in bare notation (``shipping``) or as URNs (``urn:epcglobal:cbv:bizstep:
  shipping``) become their web URIs (``https://ref.gs1.org/cbv/BizStep-shipping``).
- EPC URIs (``urn:epc:id:sgtin:…``) become constrained canonical GS1 Digital Link URIs
  (``https://id.gs1.org/01/…/21/…``); so do Digital Link URIs on another domain.
- The elements of a list are sorted by their own strings; a business transaction's,
  source's or destination's ``type`` comes before its identifier.
- ``eventID``, ``recordTime``, ``errorDeclaration`` and (in CBV 2.0) ``certificationInfo``
  are left out.
- ILMD and user extension elements are written ``{namespace}localName=value``, nested
  elements after their parent, and sorted; extensions at event level come last.

Sensor elements, and extension elements inside ``readPoint`` or ``bizLocation``, are not
implemented: an event with them raises ``ValueError`` rather than get a wrong hash, as
does an EPC URI of a scheme not converted here.
"""

import hashlib
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

CBV_VERSION = "CBV2.0"
CBV = "https://ref.gs1.org/cbv/"
DIGITAL_LINK = "https://id.gs1.org"

# Vocabulary fields and the prefix of their CBV web URIs.
BIZ_STEP, DISPOSITION = "BizStep-", "Disp-"
BIZ_TRANSACTION_TYPE, SOURCE_DEST_TYPE = "BTT-", "SDT-"
CBV_URNS = {
    "urn:epcglobal:cbv:bizstep:": CBV + BIZ_STEP,
    "urn:epcglobal:cbv:disp:": CBV + DISPOSITION,
    "urn:epcglobal:cbv:btt:": CBV + BIZ_TRANSACTION_TYPE,
    "urn:epcglobal:cbv:sdt:": CBV + SOURCE_DEST_TYPE,
    "urn:epcglobal:cbv:er:": CBV + "ER-",
}
CURIES = {
    "cbv": CBV,
    "gs1": "https://gs1.org/voc/",
    "epcis": "https://ref.gs1.org/epcis/",
}

# The canonical property order: (field, how its value is written).
EPCS, QUANTITIES, TYPED = "epcs", "quantities", "typed"
PROPERTY_ORDER: tuple[tuple[str, str | None], ...] = (
    ("eventTime", "time"),
    ("eventTimeZoneOffset", None),
    ("epcList", EPCS),
    ("parentID", None),
    ("inputEPCList", EPCS),
    ("childEPCs", EPCS),
    ("quantityList", QUANTITIES),
    ("childQuantityList", QUANTITIES),
    ("inputQuantityList", QUANTITIES),
    ("outputEPCList", EPCS),
    ("outputQuantityList", QUANTITIES),
    ("action", None),
    ("transformationID", None),
    ("bizStep", BIZ_STEP),
    ("disposition", DISPOSITION),
    ("persistentDisposition", "persistent"),
    ("readPoint", "location"),
    ("bizLocation", "location"),
    ("bizTransactionList", TYPED),
    ("sourceList", TYPED),
    ("destinationList", TYPED),
    ("ilmd", "ilmd"),
)
# The identifier key and type vocabulary of each typed list's elements.
TYPED_ELEMENTS = {
    "bizTransactionList": ("bizTransaction", BIZ_TRANSACTION_TYPE),
    "sourceList": ("source", SOURCE_DEST_TYPE),
    "destinationList": ("destination", SOURCE_DEST_TYPE),
}
LEFT_OUT = {"type", "eventID", "recordTime", "errorDeclaration", "certificationInfo"}
NOT_IMPLEMENTED = {"sensorElementList"}
STANDARD = {name for name, _how in PROPERTY_ORDER} | LEFT_OUT | NOT_IMPLEMENTED


def event_hash_id(event: Mapping, namespaces: Mapping[str, str] | None = None) -> str:
    """The event's hash ID, ``ni:///sha-256;<hex>?ver=CBV2.0``.

    ``namespaces`` maps the prefixes of extension keys (``"ex"`` in ``"ex:field"``) to
    their namespace IRIs, as the document's ``@context`` declares them.
    """
    digest = hashlib.sha256(prehash_string(event, namespaces).encode("utf-8"))
    return f"ni:///sha-256;{digest.hexdigest()}?ver={CBV_VERSION}"


def prehash_string(event: Mapping, namespaces: Mapping[str, str] | None = None) -> str:
    """The event's canonical pre-hash string (CBV 2.0 section 8.9)."""
    namespaces = dict(namespaces or {})
    for name in NOT_IMPLEMENTED & event.keys():
        raise ValueError(f"{name} is not implemented by this event hash.")
    parts = [f"eventType={_value(event['type'])}"]
    for name, how in PROPERTY_ORDER:
        if name in event:
            parts.append(_field(name, how, event[name], namespaces))
    extensions = [
        entry
        for key in event
        if key not in STANDARD and not key.startswith("@")
        for entry in _extension(key, event[key], namespaces)
    ]
    parts.append("".join(sorted(extensions)))
    return "".join(parts)


def _field(name: str, how: str | None, value, namespaces) -> str:
    if how is None:
        return _pair(name, _value(value))
    if how == "time":
        return _pair(name, canonical_time(value))
    if how in (BIZ_STEP, DISPOSITION):
        return _pair(name, _vocabulary(value, how))
    if how == EPCS:
        return _list(name, [_pair("epc", _value(epc)) for epc in value])
    if how == QUANTITIES:
        return _list(name, [_quantity(element) for element in value])
    if how == "persistent":
        body = "".join(
            "".join(sorted(_pair(key, _vocabulary(v, DISPOSITION)) for v in value[key]))
            for key in ("set", "unset")
            if key in value
        )
        return name + body if body else ""
    if how == "location":
        if set(value) - {"id"}:
            raise ValueError(f"Extensions inside {name} are not implemented.")
        body = _pair("id", _value(value.get("id")))
        return name + body if body else ""
    if how == TYPED:
        key, prefix = TYPED_ELEMENTS[name]
        return _list(
            name,
            [
                _pair("type", _vocabulary(element.get("type"), prefix))
                + _pair(key, _value(element.get(key)))
                for element in value
            ],
        )
    # ILMD: its elements as extensions, sorted.
    entries = [
        entry for key in value for entry in _extension(key, value[key], namespaces)
    ]
    return _list(name, entries)


def _list(name: str, elements: list[str]) -> str:
    elements = [e for e in elements if e]
    return name + "".join(sorted(elements)) if elements else ""


def _pair(key: str, value: str) -> str:
    return f"{key}={value}" if value else ""


def _quantity(element: Mapping) -> str:
    body = "".join(
        _pair(key, _value(element[key]))
        for key in ("epcClass", "quantity", "uom")
        if key in element
    )
    return "quantityElement" + body if body else ""


def _extension(key: str, value, namespaces) -> list[str]:
    """The pre-hash entries of one extension (or ILMD) element: a list gives one entry
    per item, an object its key followed by its own elements, sorted."""
    name = expand_key(key, namespaces)
    if isinstance(value, list):
        return [entry for item in value for entry in _extension(key, item, namespaces)]
    if isinstance(value, Mapping):
        children = [
            entry
            for child, child_value in value.items()
            if not child.startswith("@")
            for entry in _extension(child, child_value, namespaces)
        ]
        return [name + "".join(sorted(children))]
    text = _value(value)
    return [f"{name}={text}" if text else name]


def expand_key(key: str, namespaces: Mapping[str, str]) -> str:
    """``"ex:field"`` -> ``"{https://ns.example.com/}field"`` when ``ex`` is declared."""
    prefix, sep, local = key.partition(":")
    if sep and prefix in namespaces:
        return "{" + namespaces[prefix] + "}" + local
    return key


def _vocabulary(value, prefix: str) -> str:
    """A CBV term as its web URI: bare (``shipping``), a URN, a CURIE or already a URI."""
    if value is None:
        return ""
    text = str(value).strip()
    if text and ":" not in text:
        return CBV + prefix + text
    return _value(text)


def _value(value) -> str:
    """A value in canonical form: trimmed; numbers without trailing zeros; CBV URNs and
    CURIEs as web URIs; GS1 identifiers as constrained canonical Digital Link URIs."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return canonical_number(value)
    text = str(value).strip()
    for urn, uri in CBV_URNS.items():
        text = text.replace(urn, uri)
    prefix, sep, rest = text.partition(":")
    if sep and prefix in CURIES and not rest.startswith("//"):
        text = CURIES[prefix] + rest
    if NUMBER.fullmatch(text):
        return canonical_number(text)
    return digital_link(text)


NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def canonical_number(value) -> str:
    """``1.0`` -> ``1``, ``0.3430`` -> ``0.343`` (as a float, the way JSON carries it)."""
    number = float(value)
    if math.isfinite(number) and number == int(number):
        return str(int(number))
    return str(number)


# --- Timestamps -------------------------------------------------------------------------

TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
    r"(Z|[+-]\d{2}:\d{2})",
    re.IGNORECASE,
)


def canonical_time(value) -> str:
    """An ``xsd:dateTimeStamp`` in UTC at millisecond precision, a 4th decimal of 5-9
    rounding the 3rd up: ``2023-01-18T12:04:03.1415+01:00`` ->
    ``2023-01-18T11:04:03.142Z``."""
    if isinstance(value, datetime):
        moment = value.astimezone(UTC)
        fraction = Decimal(moment.microsecond) / 1_000_000
        moment = moment.replace(microsecond=0)
    else:
        found = TIMESTAMP.fullmatch(str(value).strip())
        if not found:
            raise ValueError(f"{value!r} is not a timestamp with a time zone.")
        year, month, day, hour, minute, second, digits, zone = found.groups()
        if zone.upper() == "Z":
            offset = UTC
        else:
            sign = -1 if zone[0] == "-" else 1
            offset = timezone(
                sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
            )
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            tzinfo=offset,
        ).astimezone(UTC)
        fraction = Decimal(f"0.{digits or 0}")
    milliseconds = int((fraction * 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    moment += timedelta(milliseconds=milliseconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# --- GS1 identifiers --------------------------------------------------------------------

# Characters an EPC URI's serial may hold that a Digital Link URI percent-encodes.
DL_ESCAPES = {c: f"%{ord(c):02X}" for c in "!()*+,:"}


def check_digit(digits: str) -> str:
    """The GS1 mod-10 check digit of a key without it (GS1 General Specifications 7.9)."""
    total = sum(
        int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits))
    )
    return str(-total % 10)


def _escape(text: str) -> str:
    return "".join(DL_ESCAPES.get(c, c) for c in text)


def _with_check(digits: str) -> str:
    return digits + check_digit(digits)


GIAI = re.compile(r"urn:epc:id:giai:(\d{6,12})\.(.+)")
EPC_URI = re.compile(r"urn:epc:(id|class|idpat):([a-z]+):(\d{6,12})\.(\d*)(?:\.(.+))?")


def _epc_path(scheme: str, prefix: str, reference: str, rest: str | None) -> str:
    """The Digital Link path of an EPC URI's parts (GS1 Tag Data Standard 2.x); ""
    when the scheme is not converted here or the parts do not fit it."""
    key = prefix + reference
    if len(key) == 13 and scheme in ("id:sgtin", "class:lgtin", "idpat:sgtin"):
        # The indicator digit leads the GTIN-14.
        gtin = _with_check(reference[:1] + prefix + reference[1:])
        if scheme == "id:sgtin" and rest:
            return f"/01/{gtin}/21/{_escape(rest)}"
        if scheme == "class:lgtin" and rest:
            return f"/01/{gtin}/10/{_escape(rest)}"
        if scheme == "idpat:sgtin" and rest == "*":
            return f"/01/{gtin}"
    if len(key) == 17 and rest is None:
        if scheme == "id:sscc":  # the extension digit leads the SSCC
            return f"/00/{_with_check(reference[:1] + prefix + reference[1:])}"
        if scheme == "id:gsrn":
            return f"/8018/{_with_check(key)}"
    if len(key) == 12:
        if scheme == "id:sgln" and rest:
            extension = "" if rest == "0" else f"/254/{_escape(rest)}"
            return f"/414/{_with_check(key)}{extension}"
        if scheme == "id:pgln" and rest is None:
            return f"/417/{_with_check(key)}"
        if scheme == "id:gdti" and rest:
            return f"/253/{_with_check(key)}{_escape(rest)}"
        if scheme == "id:grai" and rest:
            return f"/8003/0{_with_check(key)}{_escape(rest)}"
    return ""


DL_KEYS = {
    "gtin": "01", "sscc": "00", "gln": "414", "party": "417", "gdti": "253",
    "grai": "8003", "giai": "8004", "gsrn": "8018", "gsrnp": "8017", "gcn": "255",
    "ginc": "401", "gsin": "402", "itip": "8006", "cpid": "8010",
    "cpv": "22", "lot": "10", "ser": "21",
}  # fmt: skip
PRIMARY_KEYS = (
    "01|00|414|417|253|8003|8004|8018|8017|255|401|402|8006|8010"
    "|gtin|sscc|gln|party|gdti|grai|giai|gsrn|gsrnp|gcn|ginc|gsin|itip|cpid"
)
DL_URI = re.compile(
    rf"https?://[^/?#]+(?:/[^?#]*?)?/({PRIMARY_KEYS})/(\d{{4}}[^/?#]*)(.*)"
)


def digital_link(uri: str) -> str:
    """A GS1 identifier as a constrained canonical GS1 Digital Link URI; anything else
    unchanged. An EPC URI of a scheme not converted here raises ``ValueError``."""
    if uri.startswith("urn:epc:"):
        return _epc_to_digital_link(uri)
    found = DL_URI.fullmatch(uri)
    if not found:
        return uri
    key, value, rest = found.groups()
    rest = re.split(r"[?#]", rest, maxsplit=1)[0].rstrip("/")
    segments = rest.split("/")[1:] if rest else []
    qualifiers = dict(zip(segments[::2], segments[1::2], strict=False))
    qualifiers = {DL_KEYS.get(k, k): v for k, v in qualifiers.items()}
    key = DL_KEYS.get(key, key)
    if key == "01":
        value = value.zfill(14)
    qualifiers.pop("22", None)
    if "21" in qualifiers:
        qualifiers.pop("10", None)
    path = f"/{key}/{value}" + "".join(f"/{k}/{v}" for k, v in qualifiers.items())
    return DIGITAL_LINK + path


def _epc_to_digital_link(uri: str) -> str:
    giai = GIAI.fullmatch(uri)
    if giai:
        return f"{DIGITAL_LINK}/8004/{giai.group(1)}{_escape(giai.group(2))}"
    found = EPC_URI.fullmatch(uri)
    path = found and _epc_path(
        f"{found.group(1)}:{found.group(2)}", *found.group(3, 4, 5)
    )
    if not path:
        raise ValueError(f"{uri} is not an EPC URI this event hash converts.")
    return DIGITAL_LINK + path
