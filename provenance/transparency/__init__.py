"""The platform transparency log's formats and proofs, importable without Django.

``merkle`` (standard library only) holds the RFC 9162 tree hashes and proofs,
``checkpoint`` the C2SP signed-note checkpoints (standard library and ``cryptography``),
``leaves`` what a leaf of the log says. The Django side (tables, appends, checkpoints,
the audit) lives in ``provenance.models.transparency`` and ``provenance.services``.
"""
