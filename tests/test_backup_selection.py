"""AWS Backup selection resolution (engine.backup_join), case by case, as AWS documents it.

https://docs.aws.amazon.com/aws-backup/latest/devguide/assigning-resources-json.html and
https://docs.aws.amazon.com/aws-backup/latest/devguide/API_BackupSelection.html (read 2026-11-25).
"""

from __future__ import annotations

from typing import Any

import pytest

from engine.backup_join import (
    BACKUP_TYPES,
    CLUSTER_NOT_COLLECTED,
    NOT_COLLECTED,
    BackupCoverage,
    Conditions,
    Plan,
    Selection,
    TagCondition,
    arn_matches,
    join_backup,
    selection_covers,
)
from engine.model import Resource

ACCOUNT, REGION = "123456789012", "eu-west-1"
DB = f"arn:aws:rds:{REGION}:{ACCOUNT}:db:prod-orders"
CLUSTER = f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster:prod-aurora"
VOLUME = f"arn:aws:ec2:{REGION}:{ACCOUNT}:volume/vol-0123456789abcdef0"
INSTANCE = f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/i-0123456789abcdef0"
TABLE = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/orders"


def tag(key: str, value: str) -> TagCondition:
    return TagCondition(key, value)


# --- Resources, NotResources -------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "arn", "expected"),
    [
        ("*", DB, True),  # "Select all resources in my account"
        ("*", TABLE, True),
        ("arn:aws:rds:*:*:db:*", DB, True),
        ("arn:aws:rds:*:*:db:*", CLUSTER, False),  # db:* selects DB instances only
        ("arn:aws:rds:*:*:db:prod-*", DB, True),
        ("arn:aws:rds:*:*:db:dev-*", DB, False),
        ("arn:aws:rds:*", CLUSTER, True),  # a service-wide pattern
        ("arn:aws:ec2:*:*:volume/*", VOLUME, True),
        ("arn:aws:ec2:*:*:volume/*", INSTANCE, False),
        (INSTANCE, INSTANCE, True),  # an exact ARN
        (INSTANCE + "0", INSTANCE, False),  # no prefix matching without a wildcard
        ("arn:aws:ec2:*:*:instance/i-0123*ef0", INSTANCE, True),  # a wildcard in the middle
        ("arn:aws:ec2:us-east-1:*:instance/*", INSTANCE, False),  # another region
        ("arn:aws:rds:*:*:db:PROD-*", DB, False),  # case sensitive
        ("arn:aws:rds:*:*:db:prod-orders.", DB, False),  # "." is literal, not a regex
    ],
)
def test_arn_patterns(pattern: str, arn: str, expected: bool) -> None:
    assert arn_matches(pattern, arn) is expected


def test_star_is_non_whitespace_characters() -> None:
    # "The wildcard * represents zero or more non-whitespace characters"
    assert arn_matches("a*b", "ab")
    assert not arn_matches("a*b", "a b")


def test_resources_are_or_ed() -> None:
    selection = Selection("s", resources=("arn:aws:ec2:*:*:volume/*", "arn:aws:rds:*:*:db:*"))
    assert selection_covers(selection, VOLUME, {})
    assert selection_covers(selection, DB, {})
    assert not selection_covers(selection, TABLE, {})


def test_not_resources_exclude_and_are_or_ed() -> None:
    selection = Selection(
        "s", resources=("*",), not_resources=("arn:aws:ec2:*:*:volume/*", "arn:aws:rds:*")
    )
    assert not selection_covers(selection, VOLUME, {})
    assert not selection_covers(selection, DB, {})
    assert selection_covers(selection, INSTANCE, {})


def test_not_resources_win_over_an_exact_resource_and_a_tag() -> None:
    selection = Selection(
        "s", resources=(DB,), list_of_tags=(tag("backup", "true"),), not_resources=(DB,)
    )
    assert not selection_covers(selection, DB, {"backup": "true"})


def test_nothing_specified_selects_every_resource() -> None:
    # "Otherwise, Backup attempts to select all supported and opted-in storage resources"
    assert selection_covers(Selection("all"), TABLE, {})


def test_only_not_resources_selects_every_other_resource() -> None:
    selection = Selection("s", not_resources=("arn:aws:dynamodb:*",))
    assert selection_covers(selection, DB, {})
    assert not selection_covers(selection, TABLE, {})


# --- Conditions: each operator, and a tag key the resource does not have ------------------


def conditions(**kw: Any) -> Selection:
    return Selection("s", resources=("*",), conditions=Conditions(**kw))


@pytest.mark.parametrize(
    ("selection", "tags", "expected"),
    [
        # StringEquals: exact and case sensitive; an absent key is false
        (conditions(string_equals=(tag("backup", "true"),)), {"backup": "true"}, True),
        (conditions(string_equals=(tag("backup", "true"),)), {"backup": "True"}, False),
        (conditions(string_equals=(tag("backup", "true"),)), {"Backup": "true"}, False),
        (conditions(string_equals=(tag("backup", "true"),)), {}, False),
        # StringNotEquals: an absent key is true (the key "is not matched")
        (conditions(string_not_equals=(tag("stage", "test"),)), {"stage": "test"}, False),
        (conditions(string_not_equals=(tag("stage", "test"),)), {"stage": "prod"}, True),
        (conditions(string_not_equals=(tag("stage", "test"),)), {}, True),
        # StringLike: "*" anywhere; "prod*" and "*rod*" match "production"; absent key false
        (conditions(string_like=(tag("env", "prod*"),)), {"env": "production"}, True),
        (conditions(string_like=(tag("env", "*rod*"),)), {"env": "production"}, True),
        (conditions(string_like=(tag("env", "prod*"),)), {"env": "preprod"}, False),
        (conditions(string_like=(tag("env", "*"),)), {"env": ""}, True),  # any value
        (conditions(string_like=(tag("env", "*"),)), {}, False),  # "tagged with a tag backup"
        (conditions(string_like=(tag("env", "a b*"),)), {"env": "a b c"}, True),  # spaces ok
        (conditions(string_like=(tag("env", "prod?"),)), {"env": "prod1"}, False),  # ? literal
        # StringNotLike: an absent key is true
        (conditions(string_not_like=(tag("k2", "*exclude*"),)), {"k2": "do-exclude-me"}, False),
        (conditions(string_not_like=(tag("k2", "*exclude*"),)), {"k2": "keep"}, True),
        (conditions(string_not_like=(tag("k2", "*exclude*"),)), {}, True),
    ],
)
def test_condition_operators(selection: Selection, tags: dict[str, str], expected: bool) -> None:
    assert selection_covers(selection, DB, tags) is expected


def test_conditions_are_and_ed_across_and_within_operators() -> None:
    # "Select all resources tagged with key1 and a value which begins with include but not with
    # key2 and value that contains the word exclude"
    selection = conditions(
        string_equals=(tag("backup", "true"), tag("stage", "prod")),
        string_like=(tag("key1", "include*"),),
        string_not_like=(tag("key2", "*exclude*"),),
    )
    good = {"backup": "true", "stage": "prod", "key1": "include-me"}
    assert selection_covers(selection, DB, good)
    assert not selection_covers(selection, DB, {**good, "stage": "test"})
    assert not selection_covers(selection, DB, {**good, "key2": "please-exclude"})
    assert not selection_covers(selection, DB, {"backup": "true", "stage": "prod"})


def test_conditions_narrow_the_resources() -> None:
    # "Select all EBS volumes and RDS instances tagged with backup:true but not stage:test"
    selection = Selection(
        "s",
        resources=("arn:aws:ec2:*:*:volume/*", "arn:aws:rds:*:*:db:*"),
        conditions=Conditions(
            string_equals=(tag("backup", "true"),), string_not_equals=(tag("stage", "test"),)
        ),
    )
    assert selection_covers(selection, VOLUME, {"backup": "true"})  # no stage tag: selected
    assert not selection_covers(selection, VOLUME, {"backup": "true", "stage": "test"})
    assert not selection_covers(selection, TABLE, {"backup": "true"})  # not in Resources


def test_conditions_without_resources_select_all_matching() -> None:
    selection = Selection("s", conditions=Conditions(string_equals=(tag("Backup", "daily"),)))
    assert selection_covers(selection, TABLE, {"Backup": "daily"})
    assert selection_covers(selection, INSTANCE, {"Backup": "daily"})
    assert not selection_covers(selection, INSTANCE, {"Backup": "weekly"})


# --- ListOfTags, and its combination with Resources ----------------------------------------


def test_list_of_tags_entries_are_or_ed() -> None:
    selection = Selection("s", list_of_tags=(tag("backup", "true"), tag("tier", "gold")))
    assert selection_covers(selection, DB, {"tier": "gold"})
    assert selection_covers(selection, DB, {"backup": "true"})
    assert not selection_covers(selection, DB, {"backup": "false", "tier": "silver"})
    assert not selection_covers(selection, DB, {})


def test_list_of_tags_is_string_equals() -> None:
    selection = Selection("s", list_of_tags=(tag("backup", "tr*"),))
    assert not selection_covers(selection, DB, {"backup": "true"})
    assert selection_covers(selection, DB, {"backup": "tr*"})


def test_resources_or_list_of_tags_and_conditions() -> None:
    # "Select all FSx file systems, the Aurora cluster my-aurora-cluster, and all resources
    # tagged with backup:true, except for resources tagged with stage:test"
    selection = Selection(
        "s",
        resources=("arn:aws:fsx:*", "arn:aws:rds:*:*:cluster:my-aurora-cluster"),
        list_of_tags=(tag("backup", "true"),),
        conditions=Conditions(string_not_equals=(tag("stage", "test"),)),
    )
    cluster = f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster:my-aurora-cluster"
    assert selection_covers(selection, cluster, {})  # by ARN alone
    assert selection_covers(selection, TABLE, {"backup": "true"})  # by tag alone
    assert not selection_covers(selection, TABLE, {})  # neither
    assert not selection_covers(selection, cluster, {"stage": "test"})  # condition fails
    assert not selection_covers(selection, TABLE, {"backup": "true", "stage": "test"})


# --- join_backup -------------------------------------------------------------------------


def resource(
    resource_type: str,
    arn: str,
    tags: dict[str, str] | None = None,
    region: str = REGION,
    **attributes: Any,
) -> Resource:
    return Resource(
        resource_id=arn,
        resource_type=resource_type,
        account_id=ACCOUNT,
        region=region,
        name=arn.rsplit(":", 1)[-1],
        state="available",
        created_at=None,
        tags=tags or {},
        attributes={"backup": None, **attributes},
        collected_at="2026-11-25T09:00:00Z",
        scan_id="scan-test",
    )


def member(identifier: str, cluster: str | None, **tags: str) -> Resource:
    arn = f"arn:aws:rds:{REGION}:{ACCOUNT}:db:{identifier}"
    return resource("aws.rds.instance", arn, tags, db_cluster_identifier=cluster, unreadable={})


def cluster(identifier: str, **tags: str) -> Resource:
    arn = f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster:{identifier}"
    return resource("aws.rds.cluster", arn, tags, db_cluster_identifier=identifier, unreadable={})


def coverage(*plans: Plan, times: dict[str, str] | None = None) -> dict[Any, BackupCoverage]:
    return {(ACCOUNT, REGION): BackupCoverage(plans=plans, last_backup_times=times or {})}


def by_name(resources: list[Resource]) -> dict[str, Any]:
    return {r.name: r.attributes["backup"] for r in resources}


def test_join_lists_sorted_plan_names_once_and_the_last_recovery_point() -> None:
    plans = (
        Plan("2", "weekly", (Selection("a", resources=(DB,)),)),
        Plan("1", "daily", (Selection("x", resources=("*",)), Selection("y", resources=(DB,)))),
        Plan("3", "other", (Selection("z", resources=("arn:aws:s3:::*",)),)),
    )
    joined = join_backup(
        [member("prod-orders", None)], coverage(*plans, times={DB: "2026-11-24T05:00:00Z"})
    )
    assert joined[0].attributes["backup"] == {
        "plans": ["daily", "weekly"],
        "last_recovery_point_at": "2026-11-24T05:00:00Z",
    }
    assert joined[0].attributes["unreadable"] == {}


def test_join_reports_a_recovery_point_without_a_plan_and_no_plan_no_point() -> None:
    joined = join_backup(
        [member("prod-orders", None), member("other", None)],
        coverage(times={DB: "2026-11-01T00:00:00Z"}),
    )
    assert by_name(joined) == {
        "prod-orders": {"plans": [], "last_recovery_point_at": "2026-11-01T00:00:00Z"},
        "other": {"plans": [], "last_recovery_point_at": None},
    }


def test_cluster_members_take_their_clusters_coverage() -> None:
    plans = (Plan("1", "daily", (Selection("s", resources=(CLUSTER,)),)),)
    resources = [
        cluster("prod-aurora"),
        member("prod-aurora-1", "prod-aurora"),
        member("prod-aurora-2", "prod-aurora"),
    ]
    joined = by_name(
        join_backup(resources, coverage(*plans, times={CLUSTER: "2026-10-01T00:00:00Z"}))
    )
    expected = {"plans": ["daily"], "last_recovery_point_at": "2026-10-01T00:00:00Z"}
    assert joined == {"prod-aurora": expected, "prod-aurora-1": expected, "prod-aurora-2": expected}


def test_a_members_own_arn_or_tag_does_not_cover_it() -> None:
    # "arn:aws:rds:*:*:db:*" selects no Aurora instance: Aurora is backed up per cluster.
    plans = (
        Plan("1", "daily", (Selection("s", resources=("arn:aws:rds:*:*:db:*",)),)),
        Plan("2", "tagged", (Selection("t", list_of_tags=(tag("Backup", "daily"),)),)),
    )
    resources = [
        cluster("analytics"),
        member("analytics-1", "analytics", Backup="daily"),
        member("standalone", None),
    ]
    joined = by_name(join_backup(resources, coverage(*plans)))
    assert joined["analytics-1"] == {"plans": [], "last_recovery_point_at": None}
    assert joined["analytics"] == {"plans": [], "last_recovery_point_at": None}
    assert joined["standalone"]["plans"] == ["daily"]


def test_a_member_whose_cluster_was_not_collected_is_unreadable() -> None:
    joined = join_backup([member("orphan-1", "gone")], coverage())
    assert joined[0].attributes["backup"] is None
    assert joined[0].attributes["unreadable"] == {"backup": CLUSTER_NOT_COLLECTED}


def test_clusters_are_matched_within_their_own_region() -> None:
    other = resource(
        "aws.rds.cluster",
        CLUSTER.replace(REGION, "us-east-1"),
        region="us-east-1",
        db_cluster_identifier="prod-aurora",
    )
    joined = join_backup([other, member("prod-aurora-1", "prod-aurora")], coverage())
    assert joined[1].attributes["unreadable"] == {"backup": CLUSTER_NOT_COLLECTED}


def test_incomplete_or_missing_coverage_marks_backup_unreadable() -> None:
    resources = [
        member("here", None),
        resource("aws.ec2.instance", INSTANCE.replace(REGION, "us-east-1"), region="us-east-1"),
    ]
    joined = join_backup(
        resources, {(ACCOUNT, REGION): BackupCoverage.incomplete("AccessDeniedException")}
    )
    assert joined[0].attributes["backup"] is None
    assert joined[0].attributes["unreadable"] == {"backup": "AccessDeniedException"}
    # no coverage at all for us-east-1: unknown too, never "not covered"
    assert joined[1].attributes["backup"] is None
    assert joined[1].attributes["unreadable"] == {"backup": NOT_COLLECTED}


def test_unreadable_tags_make_backup_unreadable() -> None:
    table = resource("aws.dynamodb.table", TABLE, unreadable={"tags": "AccessDeniedException"})
    joined = join_backup([table], coverage(Plan("1", "p", (Selection("s"),))))
    assert joined[0].attributes["backup"] is None
    assert joined[0].attributes["unreadable"] == {
        "backup": "AccessDeniedException",
        "tags": "AccessDeniedException",
    }


def test_other_types_are_untouched_and_inputs_not_mutated() -> None:
    bucket = resource("aws.s3.bucket", "arn:aws:s3:::logs")
    db = member("prod-orders", None)
    before = db.to_dict()
    joined = join_backup([bucket, db], coverage(Plan("1", "p", (Selection("s"),))))
    assert joined[0] is bucket
    assert db.to_dict() == before
    assert joined[1].attributes["backup"] == {"plans": ["p"], "last_recovery_point_at": None}
    assert "aws.s3.bucket" not in BACKUP_TYPES


def test_join_is_idempotent_and_clears_a_stale_unreadable_backup() -> None:
    db = member("prod-orders", None)
    failed = join_backup([db], {(ACCOUNT, REGION): BackupCoverage.incomplete("Throttling")})
    again = join_backup(failed, coverage(Plan("1", "p", (Selection("s"),))))
    assert again[0].attributes["unreadable"] == {}
    assert again[0].attributes["backup"] == {"plans": ["p"], "last_recovery_point_at": None}
    assert join_backup(again, coverage(Plan("1", "p", (Selection("s"),)))) == again
