"""AWS Backup coverage of one (account, region): plans, their selections, last backup times.

Where it sits: a stage of its own after the resource collectors, and before
``engine.backup_join.join_backup``, which resolves the selections against the collected
resources. It is not a resource collector (nothing here subclasses ``Collector`` or registers),
and importing it has no side effects, since ``collectors.load_all`` imports every module of the
package.

Calls, all in the given region: ListBackupPlans (paginated; deleted plans are left out by
default), ListBackupSelections per plan (paginated), GetBackupSelection per selection (the list
does not carry Resources, NotResources, ListOfTags or Conditions), and ListProtectedResources
(paginated) for each backed-up resource's LastBackupTime. A failed call, or a selection this
code cannot evaluate, is recorded as a collection error and gives ``complete=False``: unknown
coverage must never look like "no plan covers anything".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from collectors.base import Api, to_iso
from engine.backup_join import BackupCoverage, Conditions, Plan, Selection, TagCondition

__all__ = ["RESOURCE_TYPE", "BackupCoverage", "UnsupportedSelection", "fetch_backup_coverage"]

#: the resource type collection errors of this stage are filed under
RESOURCE_TYPE = "aws.backup.coverage"
# NotImplementedError: what moto raises in-process for the Backup calls it lacks; recorded like
# any failed call (coverage incomplete), never a crash of the whole scan.
AWS_ERRORS = (ClientError, BotoCoreError, NotImplementedError)
# Conditions keys name a resource tag: "aws:ResourceTag/backup" (API_BackupSelection,
# https://docs.aws.amazon.com/aws-backup/latest/devguide/API_BackupSelection.html, read
# 2026-11-25). ListOfTags documents the bare key ("ConditionKey": "backup"), but tools such as
# the AWS CDK write the prefixed form there too, so the prefix is removed where present.
_TAG_PREFIX = "aws:ResourceTag/"
_OPERATORS = {
    "StringEquals": "string_equals",
    "StringNotEquals": "string_not_equals",
    "StringLike": "string_like",
    "StringNotLike": "string_not_like",
}
T = TypeVar("T")


class UnsupportedSelection(ValueError):
    """A selection uses a condition this code cannot evaluate (an unknown key or operator)."""


class _Failed(Exception):
    """One step failed: which operation, on which plan, and the underlying error."""

    def __init__(self, operation: str, cause: BaseException, resource_id: str | None) -> None:
        super().__init__(operation)
        self.operation = operation
        self.cause = cause
        self.resource_id = resource_id


def fetch_backup_coverage(api: Api, region: str) -> BackupCoverage:
    """Read the backup plans, selections and protected resources of ``region``.

    Any failure is recorded with ``api.record_error`` (service ``backup``, resource type
    ``aws.backup.coverage``) and the answer is ``BackupCoverage.incomplete(<error code>)``.
    """
    client = api.client("backup", region)
    try:
        plans = tuple(_plans(client))
        protected = _step(
            "ListProtectedResources",
            None,
            lambda: {
                str(item["ResourceArn"]): to_iso(item.get("LastBackupTime"))
                for item in _pages(client, "list_protected_resources", "Results")
            },
        )
    except _Failed as failure:
        code = api.record_error(
            region,
            "backup",
            failure.operation,
            failure.cause,
            resource_type=RESOURCE_TYPE,
            resource_id=failure.resource_id,
        )
        return BackupCoverage.incomplete(code)
    times = {arn: at for arn, at in sorted(protected.items()) if at is not None}
    return BackupCoverage(plans=plans, last_backup_times=times)


def _plans(client: Any) -> Iterator[Plan]:
    listed = _step(
        "ListBackupPlans",
        None,
        lambda: list(_pages(client, "list_backup_plans", "BackupPlansList")),
    )
    for item in sorted(listed, key=lambda p: (str(p.get("BackupPlanName")), p["BackupPlanId"])):
        plan_id, arn = str(item["BackupPlanId"]), item.get("BackupPlanArn")
        ids = _step("ListBackupSelections", arn, partial(_selection_ids, client, plan_id))
        selections = [
            _step("GetBackupSelection", arn, partial(_selection, client, plan_id, sid))
            for sid in ids
        ]
        yield Plan(
            plan_id=plan_id,
            name=str(item.get("BackupPlanName") or plan_id),
            selections=tuple(sorted(selections, key=lambda s: s.name)),
        )


def _selection_ids(client: Any, plan_id: str) -> list[str]:
    pages = _pages(client, "list_backup_selections", "BackupSelectionsList", BackupPlanId=plan_id)
    return [str(item["SelectionId"]) for item in pages]


def _selection(client: Any, plan_id: str, selection_id: str) -> Selection:
    answer = client.get_backup_selection(BackupPlanId=plan_id, SelectionId=selection_id)
    return parse_selection(answer["BackupSelection"])


def _step(operation: str, resource_id: str | None, call: Callable[[], T]) -> T:
    """Run one call (and the reading of its answer); any failure becomes ``_Failed``."""
    try:
        return call()
    except (*AWS_ERRORS, KeyError, TypeError, ValueError) as exc:
        # ValueError includes UnsupportedSelection; Key/TypeError is an answer we cannot read.
        raise _Failed(operation, exc, resource_id) from exc


def _pages(client: Any, method: str, key: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    for page in client.get_paginator(method).paginate(**kwargs):
        yield from page.get(key) or []


def parse_selection(raw: dict[str, Any]) -> Selection:
    """A GetBackupSelection ``BackupSelection`` as a ``Selection``; absent and empty lists alike.

    Raises ``UnsupportedSelection`` for a condition that is not a resource tag, or a ListOfTags
    ConditionType other than STRINGEQUALS (the only value the API defines).
    """
    name = str(raw.get("SelectionName") or "")
    conditions = raw.get("Conditions") or {}
    unknown = sorted(set(conditions) - set(_OPERATORS))
    if unknown:
        raise UnsupportedSelection(f"selection {name!r}: unknown condition operator(s) {unknown}")
    parsed = {
        attr: tuple(_condition(name, c, prefixed=True) for c in conditions.get(op) or [])
        for op, attr in _OPERATORS.items()
    }
    tags = []
    for entry in raw.get("ListOfTags") or []:
        if str(entry.get("ConditionType", "")).upper() != "STRINGEQUALS":
            raise UnsupportedSelection(
                f"selection {name!r}: ListOfTags ConditionType {entry.get('ConditionType')!r}"
            )
        tags.append(_condition(name, entry, prefixed=False))
    return Selection(
        name=name,
        resources=tuple(str(r) for r in raw.get("Resources") or []),
        not_resources=tuple(str(r) for r in raw.get("NotResources") or []),
        list_of_tags=tuple(tags),
        conditions=Conditions(**parsed),
    )


def _condition(selection: str, raw: dict[str, Any], *, prefixed: bool) -> TagCondition:
    key, value = str(raw["ConditionKey"]), str(raw["ConditionValue"])
    if key.startswith(_TAG_PREFIX):
        return TagCondition(key[len(_TAG_PREFIX) :], value)
    if prefixed:
        raise UnsupportedSelection(
            f"selection {selection!r}: condition key {key!r} is not aws:ResourceTag/<key>"
        )
    return TagCondition(key, value)
