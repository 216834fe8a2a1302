"""Lifecycle lookup: version normalisation, phases at chosen dates, unknowns.

Every normalisation example the dataset lists is run, against an expected key written here by
hand (so a wrong normaliser cannot agree with itself). Phase cases sit before, at and after each
boundary; the day counts are worked out by hand.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.lifecycle import (
    LifecycleInfo,
    dataset_age_days,
    dataset_info,
    lookup,
    normalise_version,
    product_for_engine,
)

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data" / "eol" / "aws-eol.yaml"
SHARED_KEYS = {
    "lambda": "lambda",
    "rds-mysql": "rds_mysql",
    "rds-postgresql": "rds_postgres",
    "rds-mariadb": "rds_mariadb",
    "aurora-mysql": "aurora_mysql",
    "aurora-postgresql": "aurora_postgresql",
    "eks": "eks",
}


def _shipped() -> dict[str, Any]:
    text = resources.files("rules").joinpath("data/eol.yaml").read_text(encoding="utf-8")
    document: dict[str, Any] = yaml.safe_load(text)
    return document


SHIPPED = _shipped()
SHIPPED_EXAMPLES = sorted(
    (product, example)
    for product, entry in SHIPPED["version_normalization"].items()
    for example in entry["examples"]
)

# Hand-written: the release key each listed example must normalise to.
EXPECTED_MAJOR = {
    ("lambda", "python3.12"): "python3.12",
    ("lambda", "nodejs20.x"): "nodejs20.x",
    ("lambda", "java8.al2"): "java8.al2",
    ("lambda", "provided.al2023"): "provided.al2023",
    ("rds-mysql", "8.0.35"): "8.0",
    ("rds-mysql", "8.4.3"): "8.4",
    ("rds-mysql", "5.7.44"): "5.7",
    ("rds-mysql", "5.7.44-rds.20240808"): "5.7",
    ("rds-mysql", "5.7.44-RDS.20240208.R2.20240210"): "5.7",
    ("rds-mariadb", "10.6.20"): "10.6",
    ("rds-mariadb", "10.11.10"): "10.11",
    ("rds-mariadb", "11.4.4"): "11.4",
    ("rds-postgresql", "16.4"): "16",
    ("rds-postgresql", "13.12"): "13",
    ("rds-postgresql", "11.22-rds.20240418"): "11",
    ("rds-postgresql", "11.22-rds.20241121"): "11",
    ("rds-postgresql", "9.6.24"): "9.6",
    ("aurora-postgresql", "15.4"): "15",
    ("aurora-postgresql", "13.12"): "13",
    ("aurora-postgresql", "11.21"): "11",
    ("aurora-mysql", "8.0.mysql_aurora.3.04.0"): "3",
    ("aurora-mysql", "5.7.mysql_aurora.2.11.2"): "2",
    ("aurora-mysql", "8.4.mysql_aurora.8.4.7"): "8.4",
    ("aurora-mysql", "5.6.mysql_aurora.1.22.2"): "1",
    ("aurora-mysql", "5.6.10a"): "1",
    ("eks", "1.29"): "1.29",
}


# -- normalisation -------------------------------------------------------------------------------


def test_every_listed_example_has_a_hand_written_expectation() -> None:
    assert set(SHIPPED_EXAMPLES) == set(EXPECTED_MAJOR)


@pytest.mark.skipif(not SHARED.is_file(), reason=f"shared dataset not present at {SHARED}")
def test_shipped_examples_are_the_shared_datasets() -> None:
    shared = yaml.safe_load(SHARED.read_text(encoding="utf-8"))["version_normalization"]
    for product, key in SHARED_KEYS.items():
        assert SHIPPED["version_normalization"][product]["examples"] == shared[key]["examples"]


@pytest.mark.parametrize(("product", "version"), SHIPPED_EXAMPLES)
def test_listed_example_normalises(product: str, version: str) -> None:
    assert normalise_version(product, version) == EXPECTED_MAJOR[(product, version)]


@pytest.mark.parametrize(("product", "version"), SHIPPED_EXAMPLES)
def test_listed_example_has_a_release(product: str, version: str) -> None:
    info = lookup(product, version, date(2026, 11, 24))
    assert info.major == EXPECTED_MAJOR[(product, version)]
    assert info.phase != "unknown"
    assert info.label


@pytest.mark.parametrize(
    ("product", "version", "expected"),
    [
        ("rds-mysql", "5.7.44-rds.20250508", "5.7"),
        ("rds-mysql", "5.7.44-Rds.20240808", "5.7"),
        ("rds-mariadb", "10.6", "10.6"),
        ("rds-postgresql", "10.23", "10"),
        ("rds-postgresql", "11.22-RDS.20240418", "11"),
        ("aurora-postgresql", "9.6.22", "9.6"),
        ("aurora-mysql", "8.0.mysql_aurora.3.12.0", "3"),
        ("aurora-mysql", "5.6.10", "1"),
        ("lambda", "nodejs4.3-edge", "nodejs4.3-edge"),
    ],
)
def test_more_versions_normalise(product: str, version: str, expected: str) -> None:
    assert normalise_version(product, version) == expected


@pytest.mark.parametrize(
    ("product", "version"),
    [
        ("rds-mysql", "8.0"),
        ("rds-mysql", "8.0.35-foo"),
        ("rds-mysql", "8.0.35-rds.2024"),
        ("rds-mysql", ""),
        ("rds-mariadb", "10"),
        ("rds-postgresql", "16"),
        ("rds-postgresql", "sixteen"),
        ("aurora-postgresql", "15.4.x"),
        ("aurora-mysql", "8.0.35"),
        ("aurora-mysql", "8.0.mysql_aurora."),
        ("aurora-mysql", "8.0.MYSQL_AURORA.3.04.0"),
        ("eks", "1.29.0"),
        ("eks", "v1.29"),
        ("lambda", ""),
        ("lambda", "Python 3.12"),
        ("no-such-product", "1.0"),
    ],
)
def test_unparseable_versions_give_none(product: str, version: str) -> None:
    assert normalise_version(product, version) is None


def test_non_string_version_gives_none() -> None:
    assert normalise_version("rds-mysql", None) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("engine", "product"),
    [
        ("mysql", "rds-mysql"),
        ("mariadb", "rds-mariadb"),
        ("postgres", "rds-postgresql"),
        ("aurora-mysql", "aurora-mysql"),
        ("aurora", "aurora-mysql"),
        ("aurora-postgresql", "aurora-postgresql"),
        ("oracle-ee", None),
        ("", None),
    ],
)
def test_product_for_engine(engine: str, product: str | None) -> None:
    assert product_for_engine(engine) == product


def test_product_for_engine_covers_the_datasets_engine_values() -> None:
    for product, entry in SHIPPED["version_normalization"].items():
        for engine in entry.get("engine_values", []):
            assert product_for_engine(engine) == product


def test_legacy_aurora_engine_resolves_to_aurora_mysql_1() -> None:
    product = product_for_engine("aurora")
    assert product is not None
    info = lookup(product, "5.6.10a", date(2023, 2, 28))
    assert (info.major, info.phase, info.end_of_standard_support) == (
        "1",
        "end_of_life",
        date(2023, 2, 28),
    )


# -- phases --------------------------------------------------------------------------------------

# (product, version, on, phase, days to end of standard, days to end of extended, days to next)
PHASE_CASES = [
    # RDS MySQL 8.0: standard ends 2026-07-31, extended 2029-07-31 (a leap day in between).
    ("rds-mysql", "8.0.35", "2026-07-30", "supported", 1, 1097, 1),
    ("rds-mysql", "8.0.35", "2026-07-31", "extended_support", 0, 1096, 1096),
    ("rds-mysql", "8.0.35", "2026-08-01", "extended_support", -1, 1095, 1095),
    ("rds-mysql", "8.0.35", "2029-07-30", "extended_support", -1095, 1, 1),
    ("rds-mysql", "8.0.35", "2029-07-31", "end_of_life", -1096, 0, None),
    # RDS MySQL 5.7 standard support ended on a leap day, 2024-02-29; extended 2029-06-30
    # (two more leap days on the way: 2024-02-29 itself and 2028-02-29).
    ("rds-mysql", "5.7.44-rds.20240808", "2024-02-28", "supported", 1, 1949, 1),
    ("rds-mysql", "5.7.44-rds.20240808", "2024-02-29", "extended_support", 0, 1948, 1948),
    # RDS MySQL 5.6: no extended support, so end of standard support is end of life.
    ("rds-mysql", "5.6.51", "2022-02-28", "supported", 1, None, 1),
    ("rds-mysql", "5.6.51", "2022-03-01", "end_of_life", 0, None, None),
    # RDS PostgreSQL 11: 2024-02-29 / 2027-03-31.
    ("rds-postgresql", "11.22-rds.20240418", "2024-03-01", "extended_support", -1, 1125, 1125),
    ("rds-postgresql", "11.22-rds.20240418", "2027-03-31", "end_of_life", -1126, 0, None),
    # RDS PostgreSQL 13 on the day the data was read: 2026-02-28 / 2029-02-28.
    ("rds-postgresql", "13.12", "2026-11-24", "extended_support", -269, 827, 827),
    ("rds-postgresql", "9.6.24", "2022-04-29", "supported", 1, None, 1),
    ("rds-postgresql", "9.6.24", "2022-04-30", "end_of_life", 0, None, None),
    # RDS MariaDB has no extended support: 10.6 ends 2026-12-31.
    ("rds-mariadb", "10.6.20", "2026-12-30", "supported", 1, None, 1),
    ("rds-mariadb", "10.6.20", "2026-12-31", "end_of_life", 0, None, None),
    # Aurora MySQL 3: 2028-04-30 / 2029-07-31.
    ("aurora-mysql", "8.0.mysql_aurora.3.04.0", "2028-04-29", "supported", 1, 458, 1),
    ("aurora-mysql", "8.0.mysql_aurora.3.04.0", "2028-04-30", "extended_support", 0, 457, 457),
    ("aurora-mysql", "8.0.mysql_aurora.3.04.0", "2029-07-31", "end_of_life", -457, 0, None),
    # Aurora MySQL 8.4: extended support unknown and no end announced -> end of life at 2032-04-30.
    ("aurora-mysql", "8.4.mysql_aurora.8.4.7", "2032-04-29", "supported", 1, None, 1),
    ("aurora-mysql", "8.4.mysql_aurora.8.4.7", "2032-04-30", "end_of_life", 0, None, None),
    ("aurora-mysql", "5.6.10a", "2023-02-27", "supported", 1, None, 1),
    # Aurora PostgreSQL 15: 2028-02-29 / 2031-02-28.
    ("aurora-postgresql", "15.4", "2028-02-28", "supported", 1, 1096, 1),
    ("aurora-postgresql", "15.4", "2028-02-29", "extended_support", 0, 1095, 1095),
    ("aurora-postgresql", "15.4", "2031-02-28", "end_of_life", -1095, 0, None),
    # EKS 1.29: 2025-03-23 / 2026-03-23.
    ("eks", "1.29", "2025-03-22", "supported", 1, 366, 1),
    ("eks", "1.29", "2025-03-23", "extended_support", 0, 365, 365),
    ("eks", "1.29", "2026-03-22", "extended_support", -364, 1, 1),
    ("eks", "1.29", "2026-03-23", "end_of_life", -365, 0, None),
    # EKS 1.20 predates extended support.
    ("eks", "1.20", "2022-10-31", "supported", 1, None, 1),
    ("eks", "1.20", "2022-11-01", "end_of_life", 0, None, None),
    # Lambda python3.10: deprecated 2026-10-31, create blocked 2027-02-01, update 2027-03-03.
    ("lambda", "python3.10", "2026-10-30", "supported", 1, None, 1),
    ("lambda", "python3.10", "2026-10-31", "deprecated", 0, None, 93),
    ("lambda", "python3.10", "2027-01-31", "deprecated", -92, None, 1),
    ("lambda", "python3.10", "2027-02-01", "create_blocked", -93, None, 30),
    ("lambda", "python3.10", "2027-03-02", "create_blocked", -122, None, 1),
    ("lambda", "python3.10", "2027-03-03", "update_blocked", -123, None, None),
    # nodejs4.3-edge: blocks (2019-03-31, 2019-04-30) came before deprecation (2020-03-05).
    ("lambda", "nodejs4.3-edge", "2019-03-30", "supported", 341, None, 1),
    ("lambda", "nodejs4.3-edge", "2019-03-31", "create_blocked", 340, None, 30),
    ("lambda", "nodejs4.3-edge", "2019-04-30", "update_blocked", 310, None, None),
    ("lambda", "nodejs4.3-edge", "2020-03-05", "update_blocked", 0, None, None),
    # nodejs8.10: create blocked 2020-02-04, before deprecation = update block 2020-03-06.
    ("lambda", "nodejs8.10", "2020-02-03", "supported", 32, None, 1),
    ("lambda", "nodejs8.10", "2020-02-04", "create_blocked", 31, None, 31),
    ("lambda", "nodejs8.10", "2020-03-06", "update_blocked", 0, None, None),
    # dotnet9 is container-image only: no block dates, so deprecation is the last phase.
    ("lambda", "dotnet9", "2026-11-09", "supported", 1, None, 1),
    ("lambda", "dotnet9", "2026-11-10", "deprecated", 0, None, None),
    # java17.al2023: create block unknown, update block 2029-08-31.
    ("lambda", "java17.al2023", "2029-06-30", "deprecated", 0, None, 62),
    ("lambda", "java17.al2023", "2029-08-31", "update_blocked", -62, None, None),
]


@pytest.mark.parametrize(
    ("product", "version", "on", "phase", "to_standard", "to_extended", "to_next"), PHASE_CASES
)
def test_phase_and_days(
    product: str,
    version: str,
    on: str,
    phase: str,
    to_standard: int | None,
    to_extended: int | None,
    to_next: int | None,
) -> None:
    info = lookup(product, version, date.fromisoformat(on))
    assert info.phase == phase
    assert info.days_to_end_of_standard_support == to_standard
    assert info.days_to_end_of_extended_support == to_extended
    assert info.days_to_next_deadline == to_next
    assert (info.product, info.version) == (product, version)


def test_next_deadline_lands_on_a_phase_change() -> None:
    for product, version, on, *_ in PHASE_CASES:
        day = date.fromisoformat(on)
        info = lookup(product, version, day)
        if info.days_to_next_deadline is not None:
            later = lookup(product, version, day + timedelta(days=info.days_to_next_deadline))
            earlier = lookup(product, version, day + timedelta(days=info.days_to_next_deadline - 1))
            assert later.phase != info.phase
            assert earlier.phase == info.phase


def test_lambda_dates_and_no_extended_support() -> None:
    info = lookup("lambda", "python3.10", date(2026, 11, 24))
    assert info.label == "Python 3.10"
    assert info.release_date == date(2023, 4, 18)
    assert info.end_of_standard_support == date(2026, 10, 31)
    assert info.block_function_create == date(2027, 2, 1)
    assert info.block_function_update == date(2027, 3, 3)
    assert info.end_of_extended_support is None


def test_managed_products_have_no_block_dates() -> None:
    info = lookup("eks", "1.29", date(2026, 11, 24))
    assert (info.block_function_create, info.block_function_update) == (None, None)


def test_datetime_is_taken_as_its_utc_day() -> None:
    early_morning_utc_plus_3 = datetime(2026, 7, 31, 1, 0, tzinfo=timezone(timedelta(hours=3)))
    assert lookup("rds-mysql", "8.0.35", early_morning_utc_plus_3).phase == "supported"
    assert lookup("rds-mysql", "8.0.35", datetime(2026, 7, 31, tzinfo=UTC)).phase == (
        "extended_support"
    )


# -- unknowns ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("product", "version", "major"),
    [
        ("oracle-ee", "19.0.0.0.ru-2024-01.rur-2024-01.r1", None),
        ("rds-mysql", "9.9.1", "9.9"),
        ("rds-mysql", "garbage", None),
        ("rds-postgresql", "8.4.22", "8.4"),
        ("aurora-mysql", "8.0.mysql_aurora.4.00.0", "4"),
        ("lambda", "python9.99", "python9.99"),
        ("lambda", "", None),
        ("eks", "1.17", "1.17"),
        ("eks", "", None),
    ],
)
def test_unknown_is_never_supported(product: str, version: str, major: str | None) -> None:
    info = lookup(product, version, date(2026, 11, 24))
    assert info.phase == "unknown"
    assert (info.product, info.version, info.major) == (product, version, major)
    assert info.label is None
    assert info.end_of_standard_support is None
    assert info.days_to_next_deadline is None
    assert info.source == "dataset"
    assert info.data_date == date(2026, 11, 24)


# -- output shape and dataset ---------------------------------------------------------------------


def test_to_dict_is_json_friendly_and_complete() -> None:
    info = lookup("rds-mysql", "5.7.44-rds.20240808", date(2026, 11, 24))
    plain = info.to_dict()
    assert json.loads(json.dumps(plain)) == plain
    assert plain == {
        "product": "rds-mysql",
        "version": "5.7.44-rds.20240808",
        "major": "5.7",
        "phase": "extended_support",
        "label": "MySQL 5.7",
        "release_date": "2016-02-22",
        "end_of_standard_support": "2024-02-29",
        "end_of_extended_support": "2029-06-30",
        "block_function_create": None,
        "block_function_update": None,
        "days_to_end_of_standard_support": -999,
        "days_to_end_of_extended_support": 949,
        "days_to_next_deadline": 949,
        "source": "dataset",
        "data_date": "2026-11-24",
        "note": None,
    }


def test_live_dates_win_and_the_difference_is_noted() -> None:
    from engine.lifecycle import LiveDates

    live = {
        ("rds-mysql", "5.7"): LiveDates(
            date(2024, 2, 29),
            date(2027, 2, 28),
            "rds:DescribeDBMajorEngineVersions",
            date(2026, 11, 25),
        )
    }
    info = lookup("mysql", "5.7.44-rds.20240808", date(2026, 11, 25), live)
    assert info.product == "rds-mysql"  # the RDS engine name is accepted as the product
    assert info.end_of_extended_support == date(2027, 2, 28)
    assert info.source == "rds:DescribeDBMajorEngineVersions"
    assert info.data_date == date(2026, 11, 25)
    assert info.note == "end_of_extended_support 2029-06-30 in the dataset, 2027-02-28 live"
    same = lookup(
        "mysql",
        "5.7.44",
        date(2026, 11, 25),
        {
            ("rds-mysql", "5.7"): LiveDates(
                date(2024, 2, 29),
                date(2029, 6, 30),
                "rds:DescribeDBMajorEngineVersions",
                date(2026, 11, 25),
            )
        },
    )
    assert same.note is None and same.phase == "extended_support"
    unseen = lookup(
        "eks",
        "1.99",
        date(2026, 11, 25),
        {
            ("eks", "1.99"): LiveDates(
                date(2027, 1, 1),
                date(2028, 1, 1),
                "eks:DescribeClusterVersions",
                date(2026, 11, 25),
            )
        },
    )
    assert unseen.phase == "supported"
    assert unseen.note == "not in the shipped dataset; dates from the live API"


def test_info_is_frozen() -> None:
    info = lookup("eks", "1.29", date(2026, 11, 24))
    assert isinstance(info, LifecycleInfo)
    with pytest.raises(AttributeError):
        info.phase = "supported"  # type: ignore[misc]


def test_dataset_info_and_age() -> None:
    info = dataset_info()
    assert info["data_read_on"] == "2026-11-24"
    assert info["sources"]["endoflife_date"]["commit"] == "a70eca337600e7d721dc48112c271f98661d208b"
    assert info["sources"]["cfn_lint"]["commit"] == "217397c819d2cebe4c1e836c9ab18fafd0e10135"
    info["sources"].clear()
    assert dataset_info()["sources"], "dataset_info must return a copy"
    assert dataset_age_days(date(2026, 11, 24)) == 0
    assert dataset_age_days(date(2027, 11, 24)) == 365
    assert dataset_age_days(date(2026, 11, 1)) == -23


def test_import_is_pure() -> None:
    code = (
        "import sys, engine.lifecycle as m; "
        "assert 'boto3' not in sys.modules, 'boto3 imported'; "
        "assert m._dataset.cache_info().currsize == 0, 'data read at import'"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)
