"""AWS Backup coverage joined onto resources: which plans select a resource, and its last backup.

Where it sits: between collection and evaluation. ``collectors.backup_coverage`` reads each
(account, region)'s backup plans, their selections and the protected-resource list into a
``BackupCoverage``; ``join_backup`` then resolves every selection against every resource of a
type AWS Backup protects (``BACKUP_TYPES``) and writes ``attributes["backup"]``. It is pure: no
boto3, no clock, no I/O, so it is tested case by case from plain values.

Where the coverage of an (account, region) could not be read, ``backup`` is ``None`` and
``attributes["unreadable"]["backup"]`` names the error: a rule reading ``backup`` is then an
evaluation error (``engine.evaluator._unusable``), never "not covered" and never "covered".

Selection semantics, as AWS documents them ("Assign resources with AWS CLI",
https://docs.aws.amazon.com/aws-backup/latest/devguide/assigning-resources-json.html, and the
BackupSelection API reference,
https://docs.aws.amazon.com/aws-backup/latest/devguide/API_BackupSelection.html, both read
2026-11-25)::

    selected = (no Resources and no ListOfTags, or an ARN matches Resources, or a ListOfTags
                entry matches)
               and every Conditions entry holds
               and no NotResources ARN pattern matches

* "The Boolean arithmetic is similar to that in IAM policies, with those in Resources combined
  using a Boolean OR and those in Conditions combined with a Boolean AND"; "Items in
  NotResources are combined using the Boolean OR".
* ListOfTags: "If you specify multiple conditions, the resources much [sic] match any of the
  conditions (OR logic)". Resources and ListOfTags add up (OR): the guide's example "Select all
  FSx file systems, the Aurora cluster "my-aurora-cluster", and all resources tagged with
  "backup":"true", except for resources tagged with "stage":"test"" puts the cluster in
  Resources, the tag in ListOfTags and the exception in Conditions.
* With neither Resources nor ListOfTags, "Backup attempts to select all supported and opted-in
  storage resources", narrowed by Conditions and NotResources.
* "The wildcard * represents zero or more non-whitespace characters"; ``"*"`` alone selects
  every resource.
* Conditions are case sensitive; StringLike/StringNotLike take ``*`` "anywhere in the string"
  (API_Conditions). A tag key the resource does not have: StringEquals and StringLike are
  false, StringNotEquals and StringNotLike are true, as in IAM ("If the policy condition
  requires that the key is not matched, such as StringNotLike ... and the right key is not
  present, the condition is true",
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html,
  read 2026-11-25) and as the guide's example "tagged with "backup":"true" but not
  "stage":"test"" needs for resources without a ``stage`` tag.

Not modelled: service opt-in (DescribeRegionSettings). A tag-only selection skips resource types
the account has not opted in; such a resource shows a plan here but no recovery point. Tag
values the collectors redacted as secret-looking (``collectors.secrets``) are compared as
redacted; a backup selection keyed on such a tag would be misjudged.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.model import Resource

#: resource types AWS Backup protects that the engine collects; the join writes ``backup`` on them
BACKUP_TYPES = frozenset(
    {
        "aws.ec2.instance",
        "aws.ebs.volume",
        "aws.rds.instance",
        "aws.rds.cluster",
        "aws.dynamodb.table",
    }
)
#: ``unreadable["backup"]`` when no coverage was collected for the resource's account and region
NOT_COLLECTED = "BackupCoverageNotCollected"
#: ``unreadable["backup"]`` for coverage marked incomplete without an error code
INCOMPLETE = "BackupCoverageIncomplete"
#: ``unreadable["backup"]`` for a cluster member whose DB cluster is not in the inventory
CLUSTER_NOT_COLLECTED = "DBClusterNotCollected"


@dataclass(frozen=True, slots=True)
class TagCondition:
    """One ``{ConditionKey, ConditionValue}``, the key already stripped to the bare tag key."""

    key: str
    value: str


@dataclass(frozen=True, slots=True)
class Conditions:
    """A selection's ``Conditions``: every entry of every operator must hold (AND)."""

    string_equals: tuple[TagCondition, ...] = ()
    string_not_equals: tuple[TagCondition, ...] = ()
    string_like: tuple[TagCondition, ...] = ()
    string_not_like: tuple[TagCondition, ...] = ()


@dataclass(frozen=True, slots=True)
class Selection:
    """One resource assignment (GetBackupSelection ``BackupSelection``), IamRoleArn left out."""

    name: str
    resources: tuple[str, ...] = ()
    not_resources: tuple[str, ...] = ()
    list_of_tags: tuple[TagCondition, ...] = ()
    conditions: Conditions = Conditions()


@dataclass(frozen=True, slots=True)
class Plan:
    """A backup plan (ListBackupPlans) with its selections."""

    plan_id: str
    name: str
    selections: tuple[Selection, ...] = ()


@dataclass(frozen=True, slots=True)
class BackupCoverage:
    """What AWS Backup protects in one (account, region).

    ``complete=False`` means a call failed (``error_code`` says which error): the coverage is
    unknown, which is not the same as "no plans".
    """

    plans: tuple[Plan, ...] = ()
    #: resource ARN -> ListProtectedResources LastBackupTime (ISO 8601 UTC)
    last_backup_times: Mapping[str, str] = field(default_factory=dict)
    complete: bool = True
    error_code: str | None = None

    @classmethod
    def incomplete(cls, error_code: str) -> BackupCoverage:
        return cls(complete=False, error_code=error_code)


@functools.lru_cache(maxsize=1024)
def _wildcard(pattern: str, any_character: bool) -> re.Pattern[str]:
    # ``*`` is the only wildcard AWS Backup documents; everything else is literal.
    star = ".*" if any_character else r"\S*"
    return re.compile(star.join(re.escape(part) for part in pattern.split("*")), re.DOTALL)


def arn_matches(pattern: str, arn: str) -> bool:
    """A Resources / NotResources pattern against an ARN (``*``: non-whitespace characters).

    >>> arn_matches("arn:aws:rds:*:*:db:prod-*", "arn:aws:rds:eu-west-1:111122223333:db:prod-a")
    True
    >>> arn_matches("arn:aws:rds:*:*:db:prod-*", "arn:aws:rds:eu-west-1:111122223333:cluster:x")
    False
    """
    return _wildcard(pattern, any_character=False).fullmatch(arn) is not None


def _like(pattern: str, value: str) -> bool:
    return _wildcard(pattern, any_character=True).fullmatch(value) is not None


def conditions_hold(conditions: Conditions, tags: Mapping[str, str]) -> bool:
    """Every condition holds for ``tags``; an absent key fails Equals/Like, passes the Not forms."""
    for c in conditions.string_equals:
        if tags.get(c.key) != c.value:
            return False
    for c in conditions.string_like:
        if c.key not in tags or not _like(c.value, tags[c.key]):
            return False
    for c in conditions.string_not_equals:
        if tags.get(c.key) == c.value:
            return False
    for c in conditions.string_not_like:
        if c.key in tags and _like(c.value, tags[c.key]):
            return False
    return True


def selection_covers(selection: Selection, arn: str, tags: Mapping[str, str]) -> bool:
    """Whether ``selection`` assigns the resource ``arn`` with ``tags`` (see module docstring)."""
    if any(arn_matches(p, arn) for p in selection.not_resources):
        return False
    if not conditions_hold(selection.conditions, tags):
        return False
    if not selection.resources and not selection.list_of_tags:
        return True
    by_arn = any(arn_matches(p, arn) for p in selection.resources)
    by_tag = any(tags.get(t.key) == t.value for t in selection.list_of_tags)
    return by_arn or by_tag


def covering_plans(coverage: BackupCoverage, arn: str, tags: Mapping[str, str]) -> list[str]:
    """Sorted names of the plans with at least one selection covering the resource."""
    return sorted(
        {
            p.name
            for p in coverage.plans
            if any(selection_covers(s, arn, tags) for s in p.selections)
        }
    )


def join_backup(
    resources: Iterable[Resource], coverage: Mapping[tuple[str, str], BackupCoverage]
) -> list[Resource]:
    """Resources with ``attributes["backup"]`` filled for ``BACKUP_TYPES``; others unchanged.

    ``coverage`` is keyed by ``(account_id, region)``. DB instances that belong to a DB cluster
    take their cluster's coverage: Aurora (and Multi-AZ DB cluster) storage is the cluster's, AWS
    Backup backs up "Aurora DB clusters"
    (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.Managing.Backups.html)
    and a ``db:`` ARN pattern "only selects RDS DB instances because there are no corresponding
    Aurora, Neptune, or DocumentDB resources" (assigning-resources-json.html; both read
    2026-11-25). So a member is covered when, and only when, its cluster is selected, whatever
    its own ARN or tags say, and its recovery point is the cluster's.
    """
    items = list(resources)
    clusters = {
        (r.account_id, r.region, r.attributes.get("db_cluster_identifier")): r
        for r in items
        if r.resource_type == "aws.rds.cluster"
    }
    out: list[Resource] = []
    for resource in items:
        if resource.resource_type not in BACKUP_TYPES:
            out.append(resource)
            continue
        found = coverage.get((resource.account_id, resource.region))
        if found is None or not found.complete:
            code = NOT_COLLECTED if found is None else found.error_code or INCOMPLETE
            out.append(_unreadable(resource, code))
            continue
        subject: Resource | None = resource
        member_of = resource.attributes.get("db_cluster_identifier")
        if resource.resource_type == "aws.rds.instance" and member_of:
            subject = clusters.get((resource.account_id, resource.region, member_of))
        out.append(_joined(resource, subject, found))
    return out


def _joined(resource: Resource, subject: Resource | None, coverage: BackupCoverage) -> Resource:
    if subject is None:
        return _unreadable(resource, CLUSTER_NOT_COLLECTED)
    subject_unreadable = subject.attributes.get("unreadable") or {}
    if "tags" in subject_unreadable:
        # Tag conditions cannot be judged without the tags.
        return _unreadable(resource, str(subject_unreadable["tags"]))
    backup = {
        "plans": covering_plans(coverage, subject.resource_id, subject.tags),
        "last_recovery_point_at": coverage.last_backup_times.get(subject.resource_id),
    }
    attributes = dict(resource.attributes, backup=backup)
    if isinstance(attributes.get("unreadable"), dict) and "backup" in attributes["unreadable"]:
        attributes["unreadable"] = {
            k: v for k, v in attributes["unreadable"].items() if k != "backup"
        }
    return dataclasses.replace(resource, attributes=attributes)


def _unreadable(resource: Resource, code: str) -> Resource:
    attributes: dict[str, Any] = dict(resource.attributes, backup=None)
    unreadable = dict(attributes.get("unreadable") or {}, backup=code)
    attributes["unreadable"] = dict(sorted(unreadable.items()))
    return dataclasses.replace(resource, attributes=attributes)
