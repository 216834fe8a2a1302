"""Tag redaction: keep secrets that people put in tags out of every ``Resource``.

First stage of the pipeline (collect). Tags are free text that AWS hands back to anyone with
read access, and people do put passwords, tokens and keys in them. Every collector's pure
``normalise`` passes its tags through ``redact_tags`` before building the ``Resource``, so a
secret never reaches the store, a report or the Bedrock prompt. The tag itself is kept (its key,
with the value replaced): nothing is dropped silently, and a rule can still see that it exists.

What counts as secret-looking is deliberately broad: a false positive costs one tag value in a
report, a false negative leaks a credential.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

REDACTED = "[redacted]"

# A tag KEY that names a secret: its value is redacted whatever it looks like.
_SECRET_KEY = re.compile(
    r"passw(or)?d|passphrase|pwd|secret|token|api[_\-. ]?key|access[_\-. ]?key|private[_\-. ]?key"
    r"|credential|auth[_\-. ]?(key|header)|authorization|session[_\-. ]?key"
    r"|conn(ection)?[_\-. ]?str(ing)?|cookie",
    re.IGNORECASE,
)

# A tag VALUE that is, or contains, a secret.
_SECRET_VALUE = re.compile(
    "|".join(
        (
            # "password=...", "token: ...", "api_key=..."
            r"(passw(or)?d|pwd|secret|token|api[_\-]?key|access[_\-]?key)\s*[:=]",
            # PEM private keys: "-----BEGIN RSA PRIVATE KEY-----", "BEGIN OPENSSH PRIVATE KEY"
            r"-----BEGIN [A-Z ]*PRIVATE KEY",
            # AWS access key ids (long-term AKIA, temporary ASIA)
            r"\b(AKIA|ASIA)[0-9A-Z]{16}\b",
            # GitHub, Slack and Stripe tokens, JSON Web Tokens
            r"\bgh[pousr]_[A-Za-z0-9]{36,}",
            r"\bxox[abprs]-[A-Za-z0-9-]{10,}",
            r"\b[sr]k_live_[A-Za-z0-9]{16,}",
            r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.",
            # credentials inside a URL: "postgres://user:pw@host". The scheme is bounded: an
            # unbounded one backtracks from every position of a long value (quadratic: a
            # 100,000-character value took 86 s).
            r"[a-z][a-z0-9+.-]{0,31}://[^/\s:@]+:[^/\s@]+@",
        )
    ),
    re.IGNORECASE,
)


def is_secret_key(key: str) -> bool:
    """Whether a tag key names a secret, so its value must not be stored.

    >>> is_secret_key("DB_PASSWORD"), is_secret_key("github-token"), is_secret_key("Owner")
    (True, True, False)
    """
    return _SECRET_KEY.search(key) is not None


def is_secret_value(value: str) -> bool:
    """Whether a tag value is, or contains, something that looks like a secret.

    >>> is_secret_value("password=hunter2"), is_secret_value("AKIAIOSFODNN7EXAMPLE")
    (True, True)
    >>> is_secret_value("daily")
    False
    """
    return _SECRET_VALUE.search(value) is not None


def redact_tags(tags: Mapping[str, str], allow: Collection[str] = ()) -> dict[str, str]:
    """``tags`` with secret-looking values replaced by ``"[redacted]"``.

    A value is redacted when its key names a secret (password, token, api key, ...) or the value
    itself looks like one (``password=...``, a PEM private key, an AWS access key id, ...). Keys
    listed in ``allow`` (exact match) are kept as they are: the user's own exceptions. A key that
    itself looks like a secret value is replaced by ``[redacted-key-N]``, so the tag still counts.

    >>> redact_tags({"Name": "web", "db_password": "hunter2", "Note": "token=abc"})
    {'Name': 'web', 'db_password': '[redacted]', 'Note': '[redacted]'}
    >>> redact_tags({"api-key": "x"}, allow={"api-key"})
    {'api-key': 'x'}
    """
    allowed = frozenset(allow)
    result: dict[str, str] = {}
    hidden_keys = 0
    for key, value in tags.items():
        if key in allowed:
            result[key] = value
            continue
        if is_secret_value(key):
            hidden_keys += 1
            result[f"[redacted-key-{hidden_keys}]"] = REDACTED
            continue
        result[key] = REDACTED if is_secret_key(key) or is_secret_value(value) else value
    return result
