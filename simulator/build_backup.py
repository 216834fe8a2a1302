"""Simulated AWS Backup: per region two plans, three selections and a few recovery points.

Runs last (ORDER 90) so it can select what earlier builders made:

* plan ``sim-daily``, selection ``prod-databases``: Resources ``arn:aws:rds:*:*:db:prod-*`` and
  ``arn:aws:rds:*:*:cluster:prod-*``, NotResources ``arn:aws:rds:*:*:db:*-replica`` (the
  read replica is left out);
* plan ``sim-daily``, selection ``tagged-daily``: no Resources, Conditions StringEquals
  ``aws:ResourceTag/Backup`` = ``daily`` (every supported resource so tagged: EC2, EBS and
  DynamoDB resources other builders tag, and an Aurora member instance, which AWS Backup does
  not back up on its own);
* plan ``sim-weekly``, selection ``web-and-weekly``: the ``web`` EC2 instance by ARN, or'ed with
  ListOfTags ``Backup`` = ``weekly``;
* recovery points: the covered PostgreSQL and MySQL instances (1 and 2 days old), the web
  instance (3 days), every resource tagged ``Backup=daily`` (1 day), the ``prod-aurora-mysql``
  cluster (40 days: a stale backup), and an on-demand backup of the uncovered
  ``dev-scratch-pg`` (10 days).

moto lacks the selection and protected-resource APIs; ``simulator.moto_backup_selections``
answers them for this session. Absent ``ctx.made`` keys are skipped, so the builder still runs
when another builder changes.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from simulator.base import SIMULATED_REGIONS, BuildContext
from simulator.moto_backup_selections import BackupSelectionStore, install

ORDER = 90
VAULT = "sim-vault"
_DAILY_TAG = {"ConditionKey": "aws:ResourceTag/Backup", "ConditionValue": "daily"}
_PROD_DATABASES = {
    "SelectionName": "prod-databases",
    "Resources": ["arn:aws:rds:*:*:db:prod-*", "arn:aws:rds:*:*:cluster:prod-*"],
    "NotResources": ["arn:aws:rds:*:*:db:*-replica"],
}
_TAGGED_DAILY = {"SelectionName": "tagged-daily", "Conditions": {"StringEquals": [_DAILY_TAG]}}
# (ctx.made key of an ARN, without the region; ListProtectedResources ResourceType; age in days
# in us-east-1, in eu-west-1). us-east-1's backups ran this morning; eu-west-1's daily jobs
# have been failing for days, so both sides of the "no recent recovery point" rules show.
FRESH = 0.25
_RECOVERY_POINTS = (
    ("rds:prod-orders-pg", "RDS", FRESH, 2),
    ("rds:prod-legacy-mysql", "RDS", 2, 2),
    ("rds-cluster:prod-aurora-mysql", "Aurora", FRESH, 40),
    ("rds-cluster:prod-aurora-v1", "Aurora", 3, 3),
    ("rds:dev-scratch-pg", "RDS", 10, 10),
)
_TAGGED_DAILY_AGE = {"us-east-1": FRESH}  # elsewhere: 3 days, a stale daily backup


def describe() -> list[str]:
    lines = []
    for region in SIMULATED_REGIONS:
        lines += [
            f"{region}: backup plan sim-daily: RDS prod-* instances and clusters except "
            "*-replica, and everything tagged Backup=daily",
            f"{region}: backup plan sim-weekly: the web instance, and anything tagged "
            "Backup=weekly",
            f"{region}: recovery points for covered resources ("
            + ("6 hours old for the daily ones" if region == "us-east-1" else "2-40 days old")
            + "), and an on-demand one for the uncovered dev-scratch-pg",
        ]
    return lines


def build(ctx: BuildContext) -> None:
    store = install(ctx.session, ctx.account_id, ctx.regions, clock=lambda: ctx.now)
    for region in ctx.regions:
        _build_region(ctx, store, region)


def _build_region(ctx: BuildContext, store: BackupSelectionStore, region: str) -> None:
    backup: Any = cast(Any, ctx.session).client("backup", region_name=region)
    backup.create_backup_vault(BackupVaultName=VAULT)
    role = f"arn:aws:iam::{ctx.account_id}:role/service-role/AWSBackupDefaultServiceRole"
    daily = _plan(backup, "sim-daily", "cron(0 5 ? * * *)", 35)
    weekly = _plan(backup, "sim-weekly", "cron(0 5 ? * SUN *)", 90)
    for body in (_PROD_DATABASES, _TAGGED_DAILY):
        backup.create_backup_selection(
            BackupPlanId=daily, BackupSelection=dict(body, IamRoleArn=role)
        )
    web = ctx.made.get(f"ec2:web-{region}")
    web_arn = f"arn:aws:ec2:{region}:{ctx.account_id}:instance/{web}" if web else None
    weekly_tag = {
        "ConditionType": "STRINGEQUALS",
        "ConditionKey": "Backup",
        "ConditionValue": "weekly",
    }
    backup.create_backup_selection(
        BackupPlanId=weekly,
        BackupSelection={
            "SelectionName": "web-and-weekly",
            "IamRoleArn": role,
            "Resources": [web_arn] if web_arn else [],
            "ListOfTags": [weekly_tag],
        },
    )
    points = {
        ctx.made[f"{key}-{region}"]: (kind, east if region == "us-east-1" else elsewhere)
        for key, kind, east, elsewhere in _RECOVERY_POINTS
        if f"{key}-{region}" in ctx.made
    }
    if web_arn:
        points[web_arn] = ("EC2", 3)
    for arn, kind in _tagged_daily(ctx, region):
        points.setdefault(arn, (kind, _TAGGED_DAILY_AGE.get(region, 3)))
    for arn, (kind, days) in sorted(points.items()):
        store.record_recovery_point(region, arn, kind, ctx.now - timedelta(days=days), VAULT)


def _plan(backup: Any, name: str, schedule: str, keep_days: int) -> str:
    answer = backup.create_backup_plan(
        BackupPlan={
            "BackupPlanName": name,
            "Rules": [
                {
                    "RuleName": f"{name}-rule",
                    "TargetBackupVaultName": VAULT,
                    "ScheduleExpression": schedule,
                    "Lifecycle": {"DeleteAfterDays": keep_days},
                }
            ],
        }
    )
    return str(answer["BackupPlanId"])


def _tagged_daily(ctx: BuildContext, region: str) -> list[tuple[str, str]]:
    """ARNs (and ListProtectedResources types) of the EC2, EBS and DynamoDB resources tagged
    Backup=daily by other builders, found through the APIs rather than their ``ctx.made`` keys."""
    session = cast(Any, ctx.session)
    ec2 = session.client("ec2", region_name=region)
    daily = [{"Name": "tag:Backup", "Values": ["daily"]}]
    prefix = f"arn:aws:ec2:{region}:{ctx.account_id}"
    found = [
        (f"{prefix}:instance/{i['InstanceId']}", "EC2")
        for r in ec2.describe_instances(Filters=daily)["Reservations"]
        for i in r["Instances"]
    ]
    found += [
        (f"{prefix}:volume/{v['VolumeId']}", "EBS")
        for v in ec2.describe_volumes(Filters=daily)["Volumes"]
    ]
    dynamodb = session.client("dynamodb", region_name=region)
    for name in dynamodb.list_tables().get("TableNames", []):
        arn = f"arn:aws:dynamodb:{region}:{ctx.account_id}:table/{name}"
        tags = dynamodb.list_tags_of_resource(ResourceArn=arn).get("Tags", [])
        if {"Key": "Backup", "Value": "daily"} in tags:
            found.append((arn, "DynamoDB"))
    return sorted(found)
