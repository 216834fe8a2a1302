"""Live lifecycle lookups: the RDS and EKS APIs' shapes (Stubber), and moto lacking both."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from collectors.base import Api
from collectors.lifecycle_live import api_major, fetch_live_lifecycle
from engine.lifecycle import live_table
from engine.model import Resource

TODAY = date(2026, 11, 25)


def resource(rtype: str, **attributes: Any) -> Resource:
    return Resource(
        resource_id=f"arn:aws:x:us-east-1:123456789012:{rtype}/{len(attributes)}",
        resource_type=rtype,
        account_id="123456789012",
        region="us-east-1",
        name="n",
        state="available",
        created_at=None,
        tags={},
        attributes=attributes,
        collected_at="2026-11-25T00:00:00Z",
        scan_id="s",
    )


def api_with(clients: dict[str, Any]) -> Api:
    return Api(
        "123456789012", ("us-east-1",), lambda service, region: clients[service], lambda e: None
    )


@pytest.mark.parametrize(
    ("engine", "version", "expected"),
    [
        ("mysql", "5.7.44-rds.20240808", "5.7"),
        ("postgres", "13.12", "13"),
        ("postgres", "9.6.24", "9.6"),
        ("aurora-mysql", "8.0.mysql_aurora.3.04.0", "8.0"),
        ("aurora-postgresql", "11.21", "11"),
        ("mariadb", "10.6.20", "10.6"),
        ("mysql", "garbage", None),
    ],
)
def test_api_major(engine: str, version: str, expected: str | None) -> None:
    assert api_major(engine, version) == expected


def test_live_dates_read_once_per_distinct_version_and_win() -> None:
    rds = boto3.client(
        "rds", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    eks = boto3.client(
        "eks", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(rds) as rds_stub, Stubber(eks) as eks_stub:
        rds_stub.add_response(
            "describe_db_major_engine_versions",
            {
                "DBMajorEngineVersions": [
                    {
                        "Engine": "mysql",
                        "MajorEngineVersion": "5.7",
                        "SupportedEngineLifecycles": [
                            {
                                "LifecycleSupportName": "open-source-rds-standard-support",
                                "LifecycleSupportStartDate": datetime(2016, 2, 22, tzinfo=UTC),
                                "LifecycleSupportEndDate": datetime(2024, 2, 29, tzinfo=UTC),
                            },
                            {
                                "LifecycleSupportName": "open-source-rds-extended-support",
                                "LifecycleSupportStartDate": datetime(2024, 3, 1, tzinfo=UTC),
                                "LifecycleSupportEndDate": datetime(2027, 2, 28, tzinfo=UTC),
                            },
                        ],
                    }
                ]
            },
            {"Engine": "mysql", "MajorEngineVersion": "5.7"},
        )
        eks_stub.add_response(
            "describe_cluster_versions",
            {
                "clusterVersions": [
                    {
                        "clusterVersion": "1.29",
                        "endOfStandardSupportDate": datetime(2025, 3, 23, tzinfo=UTC),
                        "endOfExtendedSupportDate": datetime(2026, 3, 23, tzinfo=UTC),
                    }
                ]
            },
            {"clusterVersions": ["1.29"]},
        )
        found = fetch_live_lifecycle(
            api_with({"rds": rds, "eks": eks}),
            "us-east-1",
            [
                resource("aws.rds.instance", engine="mysql", engine_version="5.7.44"),
                resource("aws.rds.instance", engine="mysql", engine_version="5.7.44-rds.20240808"),
                resource("aws.eks.cluster", version="1.29"),
            ],
            TODAY,
        )
        rds_stub.assert_no_pending_responses()
    assert found.notes == []
    table = live_table(found.to_dict())
    assert table[("rds-mysql", "5.7")].end_of_extended_support == date(2027, 2, 28)
    assert table[("eks", "1.29")].end_of_standard_support == date(2025, 3, 23)


def test_unavailable_api_is_a_note_not_an_error() -> None:
    from moto import mock_aws

    errors: list[Any] = []
    with mock_aws():
        api = Api(
            "123456789012",
            ("us-east-1",),
            lambda service, region: boto3.client(
                service, region_name=region, aws_access_key_id="x", aws_secret_access_key="x"
            ),
            errors.append,
        )
        found = fetch_live_lifecycle(
            api,
            "us-east-1",
            [
                resource(
                    "aws.rds.cluster",
                    engine="aurora-mysql",
                    engine_version="8.0.mysql_aurora.3.04.0",
                ),
                resource("aws.eks.cluster", version="1.24"),
            ],
            TODAY,
        )
    assert errors == []
    assert found.entries == []
    assert len(found.notes) == 2
    assert any("rds:DescribeDBMajorEngineVersions unavailable" in n for n in found.notes)
    assert any("eks:DescribeClusterVersions unavailable" in n for n in found.notes)
