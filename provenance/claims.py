"""What a certificate page claims about a piece, as data that the chain can record.

``piece_claims`` gathers the buyer-facing facts that are not already inside the chain's
events: the piece's metals (fineness, construction, weight), its gemstones (nature,
treatment, carat, report), its hallmark records as struck, and the SHA-256 of every
evidence file behind the lots, certifications and hallmarks the page shows. A
``claims`` event records this snapshot when the certificate is issued or the chain is
made, and again whenever one of these facts changes through the application, with the
reason. Verification recomputes the snapshot from the stored rows and names the first
fact that differs from the newest recorded one: an edit made behind the application's
back shows up as "the certificate's metals[0].fineness is 999; its record says 925".

Verification statuses are facts of another kind: each changes only by a recorded
decision (``provenance.ReviewEvent``), so ``status_problem`` compares the status every
record on the page shows with its latest decision.
"""

from decimal import Decimal

GRAM = Decimal("0.001")


def _grams(value) -> str | None:
    return None if value is None else f"{Decimal(value).quantize(GRAM):.3f}"


def piece_claims(listing, lots, certifications, evidence) -> dict:
    """The snapshot of a piece's buyer-facing facts from loaded rows (no queries when
    the listing's metals, gemstones and hallmarks are prefetched).

    ``lots`` and ``certifications`` are those the chain names; ``evidence`` is every
    evidence row of those records and of the piece's hallmarks.
    """
    hallmarks = sorted(listing.hallmarks.all(), key=lambda h: h.pk)
    return {
        "metals": [
            {
                "metal": c.metal,
                "fineness": c.fineness,
                "construction": c.construction,
                "weight_grams": _grams(c.weight_grams),
                "plating_metal": c.plating_metal,
            }
            for c in sorted(listing.metals.all(), key=lambda c: c.pk)
        ],
        "gemstones": [
            {
                "species": g.species,
                "nature": g.nature,
                "treatment": g.treatment,
                "carat": _grams(g.carat),
                "count": g.count,
                "origin_country": str(g.origin_country or ""),
                "lab_report_issuer": g.lab_report_issuer,
                "lab_report_number": g.lab_report_number,
            }
            for g in sorted(listing.gemstones.all(), key=lambda g: g.pk)
        ],
        "hallmarks": [
            {
                "id": h.pk,
                "system": h.system,
                "metal": h.metal,
                "fineness_mark": h.fineness_mark,
                "assay_office": h.assay_office,
                "date_letter": h.date_letter,
                "huid": h.huid,
                "maker_mark": h.maker_mark_id,
            }
            for h in hallmarks
        ],
        "lots": sorted(lot.pk for lot in lots),
        # The verification status shown for each claim behind the facts: a decision
        # changes it through the workflow, which records new claims.
        "statuses": sorted(
            (
                {
                    "record": f"{type(record)._meta.model_name}:{record.pk}",
                    "status": record.verification_status,
                }
                for record in [*lots, *certifications, *hallmarks]
            ),
            key=lambda s: s["record"],
        ),
        "certifications": sorted(c.pk for c in certifications),
        "evidence": sorted(
            (
                {
                    "id": item.pk,
                    "record": f"{item.content_type.model}:{item.object_id}",
                    "sha256": item.sha256,
                }
                for item in evidence
            ),
            key=lambda e: e["id"],
        ),
    }


def first_difference(
    recorded, live, path: str = ""
) -> tuple[str, object, object] | None:
    """The first path at which two snapshots differ, with both values; None if equal."""
    if isinstance(recorded, dict) and isinstance(live, dict):
        for key in sorted(set(recorded) | set(live)):
            found = first_difference(
                recorded.get(key), live.get(key), f"{path}.{key}" if path else key
            )
            if found:
                return found
        return None
    if isinstance(recorded, list) and isinstance(live, list):
        for index in range(max(len(recorded), len(live))):
            left = recorded[index] if index < len(recorded) else None
            right = live[index] if index < len(live) else None
            found = first_difference(left, right, f"{path}[{index}]")
            if found:
                return found
        return None
    if recorded != live:
        return path, recorded, live
    return None


def status_problem(records, decided: dict) -> str:
    """The first record whose shown verification status is not its latest decision's.

    ``decided`` maps (content type id, object id) to the status of the record's latest
    recorded decision; a record never decided is a draft.
    """
    for record, content_type_id in records:
        expected = decided.get((content_type_id, record.pk), "draft")
        if record.verification_status != expected:
            kind = record._meta.verbose_name
            return (
                f"the {kind} “{record}” shows verification_status "
                f"“{record.verification_status}”, but its latest recorded decision "
                f"made it “{expected}”"
            )
    return ""
