"""Small inputs answered whatever they hold: end-of-life versions, clock values, Lambda settings.

The bad-input properties live in four modules, one per kind of input:

- ``tests/test_properties_files.py``: rule, params, suppressions and accounts files;
- ``tests/test_properties_inventory.py``: snapshot files, through evaluation and the CLI;
- ``tests/test_properties_collectors.py``: API responses through every collector's
  ``normalise`` and through the runner;
- this module: versions and dates given to ``engine.lifecycle.lookup`` (collected versions
  reach it from any account), timestamps given to ``engine.clock.parse_timestamp``, and the
  Lambda handlers' environment given to ``engine.scheduled.Settings.from_env``.

Bedrock answers are covered by ``tests/test_explain_validate.py`` (any JSON value, near-miss
answers: every group comes back exactly once, text sanitised) and ``tests/test_explain_bedrock.py``
(malformed tool input, schema violations, timeouts, throttling over HTTP).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from engine.clock import iso, parse_timestamp
from engine.errors import ConfigError
from engine.lifecycle import _dataset, lookup, normalise_version, product_for_engine
from engine.scheduled import Settings
from tests.support.hypothesis_profiles import budget, counted
from tests.support.strategies import (
    BAD_TIMESTAMPS,
    LAMBDA_SETTINGS,
    NASTY_STRINGS,
    date_values,
    hostile_text,
    lambda_env,
)

PRODUCTS = sorted(_dataset().products)
ENGINES = ["mysql", "postgres", "mariadb", "aurora", "aurora-mysql", "aurora-postgresql"]
# One version per product that the dataset knows, as the APIs report them.
KNOWN_VERSIONS = {
    "lambda": ["python3.12", "nodejs18.x", "java8.al2"],
    "eks": ["1.29", "1.31"],
    "rds-mysql": ["8.0.35", "5.7.44-rds.20240808"],
    "rds-postgresql": ["16.4", "9.6.24", "13.12-rds.20240101"],
    "rds-mariadb": ["10.6.14", "10.11"],
    "aurora-mysql": ["8.0.mysql_aurora.3.04.0", "5.7.mysql_aurora.2.11.2", "5.6.10a"],
    "aurora-postgresql": ["15.4", "16.1"],
}
ASCII_TOKEN = re.compile(r"[!-~]+")  # printable ASCII, no space: every version AWS reports


def corrupt(version: str) -> st.SearchStrategy[str]:
    """Near misses of a real version that no API returns."""
    digits = str.maketrans(
        "0123456789", "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669"
    )
    return st.sampled_from(
        [
            f"{version}\n",
            f" {version}",
            f"{version} ",
            f"{version}\x00",
            version.translate(digits),
            version.replace(".", "\u2024"),  # one dot leader, not a full stop
            f"\u202e{version}",
            version.replace("1", "\U0001d7cf"),
        ]
    ).filter(lambda v: v != version)


versions = st.one_of(
    st.sampled_from([v for vs in KNOWN_VERSIONS.values() for v in vs]),
    st.sampled_from([v for vs in KNOWN_VERSIONS.values() for v in vs]).flatmap(corrupt),
    hostile_text,
    st.from_regex(r"\A[0-9]{1,3}(\.[0-9]{1,3}){0,3}(-rds\.[0-9]{8})?\Z"),
    st.sampled_from(NASTY_STRINGS),
)
products = st.sampled_from(PRODUCTS + ENGINES) | hostile_text
days = st.one_of(
    date_values.filter(lambda d: isinstance(d, date)),
    st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-12))])),
)


@budget(4000)
@given(product=products, version=versions, on=days)
def test_lookup_never_raises_and_never_calls_an_unparseable_version_supported(
    product: str, version: str, on: date
) -> None:
    counted("EOL version lookup")
    info = lookup(product, version, on)
    key = product if product in PRODUCTS else (product_for_engine(product) or product)
    assert info.product == key and info.version == version
    if info.phase != "unknown":
        assert ASCII_TOKEN.fullmatch(version), (product, version, info.phase)
        assert normalise_version(key, version) == info.major is not None
    else:  # unknown says nothing more: no dates, no day counts a rule could misread
        assert info.end_of_standard_support is None and info.days_to_next_deadline is None
    assert info.to_dict()["phase"] == info.phase


@budget(1500)
@given(data=st.data(), product=st.sampled_from(sorted(KNOWN_VERSIONS)), on=days)
def test_a_corrupted_known_version_is_unknown(data: st.DataObject, product: str, on: date) -> None:
    counted("EOL version lookup (corrupted known version)")
    good = data.draw(st.sampled_from(KNOWN_VERSIONS[product]))
    assert lookup(product, good, date(2026, 11, 25)).phase != "unknown", "the oracle is stale"
    bad = data.draw(corrupt(good))
    assert lookup(product, bad, on).phase == "unknown", repr(bad)


@budget(3000)
@given(text=st.sampled_from(BAD_TIMESTAMPS) | hostile_text | st.datetimes().map(str))
def test_a_timestamp_parses_to_utc_or_raises_value_error(text: str) -> None:
    """``--now``, snapshot and API timestamps all go through ``parse_timestamp``: anything it
    cannot turn into a UTC instant is a ValueError, which every caller answers."""
    counted("timestamp (parse_timestamp)")
    try:
        moment = parse_timestamp(text)
    except ValueError:
        return
    assert moment.tzinfo is UTC
    stamp = iso(moment) or ""
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", stamp), stamp
    assert parse_timestamp(stamp) == moment.replace(microsecond=0)


def test_extreme_instants_are_value_errors_not_overflows() -> None:
    for text in ("0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"):
        with pytest.raises(ValueError, match="out of range once converted to UTC"):
            parse_timestamp(text)
    assert lookup("eks", "1.29", datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))))


@budget(3000)
@given(env=lambda_env())
# more than 4,300 digits: int() itself raises ValueError (found by hand; the strategy's text is
# too short to reach it)
@example(env={"INVENTORY_TABLE_NAME": "t", "INVENTORY_RETENTION_DAYS": "9" * 5000})
@example(env={"INVENTORY_TABLE_NAME": "t", "INVENTORY_RETENTION_DAYS": "0" * 5000 + "90"})
def test_lambda_settings_are_read_or_refused_naming_the_variable(env: dict[str, str]) -> None:
    """The handlers read ``Settings.from_env`` once at import: a console edit or a Terraform
    typo must come back as a ConfigError naming the variable, in one line, never as another
    exception (a cold-start crash with a traceback instead of the variable's name)."""
    counted("lambda settings")
    try:
        settings = Settings.from_env(env)
    except ConfigError as exc:
        message = str(exc)
        name, _, reason = message.partition(": ")
        assert name in LAMBDA_SETTINGS and reason, message
        assert name in env or name == "INVENTORY_TABLE_NAME", message  # the one required
        assert message.isprintable(), message  # one line: no breaks, controls or bidi marks
        assert len(message) <= 200, message  # a 5,000-character value is cut, not echoed
        return
    assert settings.table and settings.table == env["INVENTORY_TABLE_NAME"].strip()
    days = env.get("INVENTORY_RETENTION_DAYS", "90").strip()
    assert 1 <= settings.retention_days <= 3650 and str(settings.retention_days) == days.lstrip("0")
    assert settings.notify_when in ("always", "on_findings", "on_new_or_critical")
    names = env.get("INVENTORY_INCLUDE_RESOURCE_NAMES", "false").strip().lower()
    assert settings.include_resource_names is (names == "true")
