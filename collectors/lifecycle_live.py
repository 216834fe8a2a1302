"""Live lifecycle dates, read once per distinct engine or version present (after collection).

RDS (``DescribeDBMajorEngineVersions``: ``SupportedEngineLifecycles`` for MySQL, MariaDB,
PostgreSQL and Aurora) and EKS (``DescribeClusterVersions``: end of standard and of extended
support) say when AWS ends support. Where they answer, their dates win over the shipped
dataset; where they do not (an older partition, a denied call, or moto, which implements
neither), the dataset is used and the manifest notes it. That is not a collection failure: the
scan is not partial because of it.

https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBMajorEngineVersions.html
https://docs.aws.amazon.com/eks/latest/APIReference/API_DescribeClusterVersions.html
(both read 2026-11-25)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from collectors.base import Api, describe_error
from engine.lifecycle import normalise_version, product_for_engine
from engine.model import Resource

# NotImplementedError: moto raises it in-process for operations it lacks.
UNAVAILABLE = (ClientError, BotoCoreError, NotImplementedError)
RDS_TYPES = ("aws.rds.instance", "aws.rds.cluster")
STANDARD = "open-source-rds-standard-support"
EXTENDED = "open-source-rds-extended-support"


@dataclass
class LiveLifecycle:
    """What the live APIs said, keyed by (product, normalised major), plus notes."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        unique = {(e["product"], e["major"]): e for e in self.entries}
        return {"live": [unique[k] for k in sorted(unique)], "notes": sorted(set(self.notes))}


def api_major(engine: str, version: str) -> str | None:
    """The MajorEngineVersion RDS uses: 8.0 (MySQL, Aurora MySQL 3), 16 / 9.6 (PostgreSQL)."""
    parts = version.split(".")
    if len(parts) < 2 or not (parts[0].isascii() and parts[0].isdigit()):
        return None
    if engine in ("postgres", "aurora-postgresql"):
        return parts[0] if int(parts[0]) >= 10 else f"{parts[0]}.{parts[1]}"
    return f"{parts[0]}.{parts[1]}"


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        return date.fromisoformat(value[:10])
    return None


def fetch_live_lifecycle(
    api: Api, region: str, resources: Iterable[Resource], today: date
) -> LiveLifecycle:
    """Ask RDS and EKS for the support dates of the versions present in ``resources``."""
    result = LiveLifecycle()
    rds: dict[tuple[str, str], tuple[str, str]] = {}
    eks: set[str] = set()
    for resource in resources:
        if resource.account_id != api.account_id:
            continue
        attrs = resource.attributes
        if resource.resource_type in RDS_TYPES:
            engine, version = attrs.get("engine"), attrs.get("engine_version")
            product = product_for_engine(str(engine)) if engine else None
            if not product or not isinstance(version, str):
                continue
            major, wanted = normalise_version(product, version), api_major(str(engine), version)
            if major and wanted:
                rds[(str(engine), wanted)] = (product, major)
        elif resource.resource_type == "aws.eks.cluster" and isinstance(attrs.get("version"), str):
            eks.add(attrs["version"])
    for (engine, wanted), (product, major) in sorted(rds.items()):
        _rds(
            api,
            region,
            engine=engine,
            wanted=wanted,
            key=(product, major),
            today=today,
            result=result,
        )
    if eks:
        _eks(api, region, sorted(eks), today, result)
    return result


def _rds(
    api: Api,
    region: str,
    *,
    engine: str,
    wanted: str,
    key: tuple[str, str],
    today: date,
    result: LiveLifecycle,
) -> None:
    try:
        answer = api.client("rds", region).describe_db_major_engine_versions(
            Engine=engine, MajorEngineVersion=wanted
        )
    except UNAVAILABLE as exc:
        code = describe_error(exc)[0]
        result.notes.append(
            f"rds:DescribeDBMajorEngineVersions unavailable ({code}) in {api.account_id} "
            f"{region}: the shipped dataset was used for RDS and Aurora"
        )
        return
    for item in answer.get("DBMajorEngineVersions", []):
        phases = {
            p.get("LifecycleSupportName"): p for p in item.get("SupportedEngineLifecycles", [])
        }
        if STANDARD not in phases:
            continue
        result.entries.append(
            {
                "product": key[0],
                "major": key[1],
                "end_of_standard_support": _iso(phases[STANDARD].get("LifecycleSupportEndDate")),
                "end_of_extended_support": _iso(
                    phases.get(EXTENDED, {}).get("LifecycleSupportEndDate")
                ),
                "source": "rds:DescribeDBMajorEngineVersions",
                "fetched_on": today.isoformat(),
            }
        )


def _eks(api: Api, region: str, versions: list[str], today: date, result: LiveLifecycle) -> None:
    try:
        client = api.client("eks", region)
        pages = client.get_paginator("describe_cluster_versions").paginate(clusterVersions=versions)
        items = [item for page in pages for item in page.get("clusterVersions", [])]
    except UNAVAILABLE as exc:
        code = describe_error(exc)[0]
        result.notes.append(
            f"eks:DescribeClusterVersions unavailable ({code}) in {api.account_id} {region}: "
            "the shipped dataset was used for EKS"
        )
        return
    for item in items:
        version = item.get("clusterVersion")
        if version not in versions:
            continue
        result.entries.append(
            {
                "product": "eks",
                "major": version,
                "end_of_standard_support": _iso(item.get("endOfStandardSupportDate")),
                "end_of_extended_support": _iso(item.get("endOfExtendedSupportDate")),
                "source": "eks:DescribeClusterVersions",
                "fetched_on": today.isoformat(),
            }
        )


def _iso(value: Any) -> str | None:
    day = _day(value)
    return day.isoformat() if day else None
