"""Cost model: a month of the deployment's daily scans, and AWS Config's price for the same work.

Where it sits: benchmark support in ``bench/``, not product code. ``bench/scale_benchmark.py``
measures one scan of N resources (findings, write units, item and report sizes, local CPU time,
peak memory, the Bedrock request) and hands a ``ScanMeasure`` to ``engine_monthly`` and
``aws_config_monthly`` here; ``tests/test_costs.py`` checks the arithmetic. Nothing here
imports boto3 or calls AWS.

Prices: us-east-1, on-demand list prices, USD, without free tiers (they are account-wide and
shared with whatever else the account runs, so the marginal cost of this deployment is the
list price), without taxes, savings plans or private pricing. Every price is a named constant
citing where it was read and when. The AWS pricing pages render most of their tables
client-side, so several prices were read on AWS's own text (FAQs, whitepapers, localised
pages) or on third-party pages quoting them; the comment says which, and says so when a price
could not be confirmed. A "GB" is 2**30 bytes, as AWS bills it.

What is modelled (``Deployment`` holds the Terraform defaults of ``terraform/modules/engine``):

- one scan a day (``schedule_expression`` ``cron(0 2 * * ? *)``): 30 scans a month;
- the Step Functions Standard state machine: one collector invocation per (account, region)
  target in a Distributed Map, then one analyser invocation;
- collectors (512 MB): duration estimated from the README's collection figures (see
  ``Assumptions``), writing their resources to DynamoDB;
- the analyser (1769 MB, one full vCPU; 900 s timeout): reads the scan's resources,
  evaluates, ranks, calls Bedrock once, writes findings and the manifest, renders the HTML
  report to S3 and publishes the e-mail. Its CPU time is the *measured* local time scaled to
  the CPU share Lambda gives its memory size (an assumption: one local core = one Lambda
  vCPU); when the measured peak
  memory does not fit the configured size, the size that fits is priced instead and a note
  says so, as it does when the duration exceeds the timeout (the deployment would need
  reconfiguring; the price is that of the reconfigured one);
- DynamoDB on demand: measured write units x scans (``bench/capacity.py``: the production
  store's items, one per resource plus compressed pages of the scan's resources and findings);
  the analyser's reads (the scan's resource pages and the previous scan's finding pages,
  strongly consistent); storage of ``retention_days`` daily scans (the table, and the GSI's
  copy of the items it indexes: the manifests) and point-in-time recovery (enabled in
  dynamodb.tf) on the table;
- Bedrock: one Converse request per scan, input tokens from the measured request size, output
  tokens at the configured maximum (an upper bound);
- SNS (one publish per scan, one e-mail per subscriber), S3 (one PUT per scan, reports kept
  ``report_expiration_days``), CloudWatch Logs ingestion, the one KMS customer managed key.

Left out as below a cent a month at these volumes: KMS requests (DynamoDB caches its data
keys), X-Ray traces (targets + 2 per scan), CloudWatch alarms (8, under the 10 free per
account), the EventBridge Scheduler invocation, Lambda ephemeral storage, log storage.

AWS Config for the same rules and resources: every resource recorded once a month as a
configuration item (a parameter), and every (rule, resource) pair the engine evaluates
evaluated by an equivalent Config rule periodically, once a day, tiered per region.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from engine.store.pages import shards_for

READ_ON = "2026-11-25"  # the date every price below was read

# --- AWS Lambda -------------------------------------------------------------------------------
# x86_64, first 6 billion GB-seconds a month, and per request. "$0.0000166667 per GB-second"
# (x86, first 6 billion GB-s, US East) https://cloudchipr.com/blog/aws-lambda-pricing and
# "$0.20 per 1 million requests ... $0.00001667 for every GB-second", AWS's own whitepaper:
# https://docs.aws.amazon.com/whitepapers/latest/how-aws-pricing-works/lambda.html (both read
# 2026-11-25; the tables of https://aws.amazon.com/lambda/pricing/ render client-side).
LAMBDA_USD_PER_GB_SECOND = 0.0000166667
LAMBDA_USD_PER_REQUEST = 0.20 / 1_000_000
# A function gets one vCPU's worth of CPU at 1,769 MB, proportionally less below:
# https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html (read 2026-11-25;
# also quoted in https://git.mcrn.ar/mariano/lambda_local_runner/src/commit/957e45b8adae23ce50b966346229585b5df18b4d/docs/lambdas-md/lambda-13-cost.md).
LAMBDA_MB_PER_VCPU = 1769
LAMBDA_MAX_MEMORY_MB = 10_240
LAMBDA_MAX_TIMEOUT_S = 900

# --- Amazon DynamoDB (on demand, Standard table class) ----------------------------------------
# $0.625 per million write request units and $0.125 per million read request units, in force
# since the 50% on-demand price cut of 1 November 2024:
# https://airbyte.com/data-engineering-resources/dynamodb-pricing (quoting US East) and
# https://www.jusdb.com/blog/dynamodb-cost-optimization-a-comprehensive-guide-by-jusdb (read
# 2026-11-25; https://aws.amazon.com/dynamodb/pricing/on-demand/ renders its table client-side;
# bench/store_benchmark.py uses the same two prices).
DYNAMODB_USD_PER_WRITE_UNIT = 0.625 / 1_000_000
DYNAMODB_USD_PER_READ_UNIT = 0.125 / 1_000_000
# "prices start from $0.25 per GB-month" (after the first 25 GB):
# https://aws.amazon.com/dynamodb/pricing/ (read 2026-11-25).
DYNAMODB_USD_PER_GB_MONTH = 0.25
# Point-in-time recovery, "$0.20 per GB-month" of table size (plus local secondary indexes; a
# GSI is not counted): https://finops.com.py/services/dynamodb/backups and
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Point-in-time-recovery.html
# (read 2026-11-25; the price is third-party, the basis AWS's own).
DYNAMODB_PITR_USD_PER_GB_MONTH = 0.20
# 100 bytes of per-item overhead in storage, per copy (table and index):
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
DYNAMODB_ITEM_OVERHEAD_BYTES = 100
DYNAMODB_READ_UNIT_BYTES = 4096  # a strongly consistent read: one unit per 4 KB
#: Queries the analyser makes per target (its manifest, its "latest" pointer, its resource
#: pages' partitions: engine/store/dynamodb.py RESOURCE_PARTITIONS at most), each billed at
#: least one unit; plus one per finding shard of the previous scan
DYNAMODB_QUERIES_PER_TARGET = 2 + 16

# --- AWS Step Functions (Standard) ------------------------------------------------------------
# "$0.025 per 1,000 state transitions" (US East (N. Virginia) $0.0250), retries included:
# https://aws.amazon.com/step-functions/pricing/ (read 2026-11-25).
SFN_USD_PER_TRANSITION = 0.025 / 1000
# The definition (statemachine.asl.json.tftpl): HasScanId, SplitStartTime, NewScanId,
# CollectAll, Analyse = 5 in the parent; each Distributed Map child (STANDARD) runs one Task,
# counted as 2 (its start and Collect) to stay on the safe side. An assumption, not a reading.
SFN_PARENT_TRANSITIONS = 5
SFN_TRANSITIONS_PER_TARGET = 2

# --- Amazon SNS -------------------------------------------------------------------------------
# Standard topics: "$0.50 per 1 million" publishes (each 64 KB chunk of a message counts as one
# request); e-mail "$2 per 100,000" notifications:
# https://www.factualminds.com/blog/amazon-sns-pricing-publishes-fanout-protocols/ and
# https://bpo.knowledgehills.com/aws/aws-simple-notification-service-sns.htm (read 2026-11-25;
# third-party pages: https://aws.amazon.com/sns/pricing/ could not be read here).
SNS_USD_PER_PUBLISH = 0.50 / 1_000_000
SNS_USD_PER_EMAIL = 2.00 / 100_000
SNS_CHUNK_BYTES = 64 * 1024

# --- Amazon S3 (Standard) ---------------------------------------------------------------------
# "$0.023 per GB-month for the first 50 TB" and "$0.005 per 1,000" PUT requests, US East:
# https://deepeshsoni.com/archives/256 and
# https://www.cloudkaramchari.com/blog/understanding-per-1000-put-copy-post-or-list-requests-in-amazon-s3-pricing/
# (read 2026-11-25; https://aws.amazon.com/s3/pricing/ renders its tables client-side, so the
# PUT price is not confirmed on AWS's own page).
S3_USD_PER_GB_MONTH = 0.023
S3_USD_PER_PUT = 0.005 / 1000

# --- Amazon CloudWatch Logs -------------------------------------------------------------------
# Standard log class, "Ingestion: $0.50 per GB" (us-east-1):
# https://c3x.dev/blog/cloudwatch-logs-cost-optimization and
# https://hykell.com/knowledge-base/aws-cloudwatch-logs-pricing (read 2026-11-25; third-party).
LOGS_USD_PER_GB_INGESTED = 0.50

# --- AWS KMS ----------------------------------------------------------------------------------
# "Each AWS KMS key that you create in KMS costs $1/month": https://aws.amazon.com/kms/pricing/
# (read 2026-11-25). kms.tf creates one customer managed key.
KMS_USD_PER_KEY_MONTH = 1.00
KMS_KEYS = 1

# --- Amazon Bedrock: the default model of terraform/modules/engine (bedrock_model_id) ---------
# us.anthropic.claude-sonnet-4-6 (US geographic cross-Region inference profile). Anthropic's
# list price for Sonnet 4.6, which Bedrock charges on global profiles, is $3 / $15 per million
# input / output tokens: https://platform.claude.com/docs/pt-BR/models/sonnet-4-6/overview.md ;
# geographic profiles cost about 10% more ("Global cross-Region inference ... offers
# approximately 10% savings ... compared to geographic cross-Region inference"):
# https://docs.aws.amazon.com/bedrock/latest/userguide/global-cross-region-inference.html (both
# read 2026-11-25, the sources engine/explain/pricing.py cites; https://aws.amazon.com/bedrock/pricing/
# renders its tables client-side and could not be confirmed). tests/test_costs.py holds these
# equal to engine.explain.pricing.price_for(BEDROCK_MODEL_ID).
BEDROCK_MODEL_ID = "us.anthropic.claude-sonnet-4-6"
BEDROCK_USD_PER_INPUT_TOKEN = 3.00 * 1.10 / 1_000_000
BEDROCK_USD_PER_OUTPUT_TOKEN = 15.00 * 1.10 / 1_000_000
BEDROCK_CHARS_PER_TOKEN = 3.5  # engine/explain/pricing.py CHARS_PER_TOKEN (an estimate)
BEDROCK_MAX_OUTPUT_TOKENS = 3000  # engine/explain/bedrock.py ExplainConfig.max_output_tokens

# --- AWS Config -------------------------------------------------------------------------------
# "$0.003 for each configuration item recorded" (continuous recording):
# https://www.vantage.sh/blog/aws-config-pricing (read 2026-11-25).
CONFIG_USD_PER_CONFIGURATION_ITEM = 0.003
# Rule evaluations, "per rule evaluation per region": first 100,000 $0.001; next 400,000
# (100,001-500,000) $0.0008; "500,001 and more" $0.0005. With consolidated billing the tier is
# reached by all accounts' evaluations in a region together. Tier bounds and "per region":
# AWS's own page, https://aws.amazon.com/ar/config/pricing/ (its prices render client-side) and
# https://aws.amazon.com/tw/config/pricing/ ($0.001 for the first 100,000); $0.001 and $0.0008:
# https://www.vantage.sh/blog/aws-config-pricing (all read 2026-11-25). The $0.0005 of the last
# tier could NOT be confirmed here (the pages read were cut before it); it is the figure.
CONFIG_RULE_EVALUATION_TIERS: tuple[tuple[float, float], ...] = (
    (100_000, 0.001),
    (400_000, 0.0008),
    (math.inf, 0.0005),
)

# --- API calls the collectors make per resource (README "Performance", Collection) ------------
# RDS is not in the README: DescribeDBInstances/DescribeDBClusters pages of 100 carry the tags,
# so 0.01 is assumed. Types not listed count 1.
API_CALLS_PER_RESOURCE: Mapping[str, float] = {
    "aws.ec2.instance": 0.05,
    "aws.ebs.volume": 0.03,
    "aws.rds.instance": 0.01,
    "aws.rds.cluster": 0.01,
    "aws.lambda.function": 1.0,
    "aws.eks.cluster": 1.0,
    "aws.dynamodb.table": 4.0,
    "aws.s3.bucket": 6.0,
}

GB = 2**30
MB = 2**20


@dataclass(frozen=True)
class Deployment:
    """The deployment's shape and settings (defaults: terraform/modules/engine variables)."""

    accounts: int = 10  # the examples scan one account; 10 x 4 is a mid-sized organisation
    regions: int = 4
    scans_per_month: int = 30  # schedule_expression cron(0 2 * * ? *): daily
    collector_memory_mb: int = 512
    collector_timeout_s: int = 300
    analyser_memory_mb: int = 1769
    analyser_timeout_s: int = 900
    retention_days: int = 90  # DynamoDB TTL
    report_expiration_days: int = 90  # S3 lifecycle of the HTML reports
    email_subscribers: int = 1  # notification_emails defaults to [], one reader assumed
    bedrock: bool = True  # bedrock_model_id defaults to us.anthropic.claude-sonnet-4-6
    html_report: bool = True  # create_report_bucket defaults to true

    @property
    def targets(self) -> int:
        """(account, region) pairs: collector invocations per scan."""
        return self.accounts * self.regions

    @property
    def scans_per_day(self) -> float:
        return self.scans_per_month / 30


@dataclass(frozen=True)
class Assumptions:
    """What the model estimates rather than measures; each one is printed with the results."""

    # Collection (README "Performance"): one region alone took 1.35 s with 100 ms per API call
    # (its fixed list calls); cold import of the collector handler 0.57 s, of the analyser 0.345 s.
    collector_fixed_s: float = 1.35
    collector_cold_start_s: float = 0.57
    analyser_cold_start_s: float = 0.345
    api_latency_s: float = 0.100  # the README's injected latency per call
    collector_concurrency: int = 8  # collectors.runner DEFAULT_WORKERS
    # DynamoDB, measured against DynamoDB Local on this 2-core machine (the real service scales
    # further; DynamoDB Local itself is the limit here): the collectors' one item per resource
    # (bench/store_benchmark.py, 8 BatchWriteItem calls in flight); the analyser's compressed
    # pages, read and written (bench/analyser_benchmark.py at 100,000 resources, 2026-12-06:
    # 4.4 MiB of resource pages read in 2.7 s, the previous scan's 9.6 MiB of finding pages in
    # 6.7 s, 9.2 MiB of finding pages written in 4.5 s; decoding and encoding included)
    dynamodb_write_items_per_s: float = 1667.0
    dynamodb_read_page_mb_per_s: float = 1.5
    dynamodb_write_page_mb_per_s: float = 2.0
    bedrock_seconds: float = 30.0  # one Converse call of up to 3,000 output tokens
    bedrock_output_tokens: int = BEDROCK_MAX_OUTPUT_TOKENS
    log_bytes_per_invocation: int = 4096  # START/END/REPORT, one summary line, metrics (EMF)
    memory_headroom: float = 1.25  # a function is sized at measured peak RSS x this, if larger
    config_items_per_resource: float = 1.0  # each resource changes once a month
    config_evaluations_per_month: int = 30  # periodic rules, daily


@dataclass(frozen=True)
class ScanMeasure:
    """One scan of N resources, as ``bench/scale_benchmark.py`` measured it."""

    resources: int
    findings: int
    evaluations: int  # (rule, resource) pairs
    analyser_cpu_s: float  # local: evaluate+rank, the HTML report and the e-mail
    analyser_peak_rss_mb: float
    write_units: float  # DynamoDB write units of the whole scan (collectors and analyser)
    stored_bytes: float  # the scan's items in the table (engine.store.codec.item_size), summed
    stored_items: float
    indexed_bytes: float  # the items the GSI copies (manifests)
    indexed_items: float
    read_bytes: float  # what the analyser reads: resource pages, previous finding pages
    written_bytes: float  # what the analyser writes: finding pages and the manifest
    html_bytes: int
    email_bytes: int
    bedrock_request_bytes: int
    api_calls_per_resource: float  # of this inventory's mix of types


@dataclass
class Estimate:
    """Dollars per month by line, the estimated durations behind them, and caveats."""

    lines: dict[str, float]
    figures: dict[str, float]
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> float:
        return sum(self.lines.values())

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "total": self.total}


# --- arithmetic -------------------------------------------------------------------------------


def tiered(quantity: float, tiers: Sequence[tuple[float, float]]) -> float:
    """Dollars for ``quantity`` units priced in consecutive tiers of (size, unit price)."""
    cost, left = 0.0, max(0.0, quantity)
    for size, price in tiers:
        step = min(left, size)
        cost += step * price
        left -= step
        if left <= 0:
            break
    return cost


def config_rule_evaluations_usd(evaluations: float, regions: int) -> float:
    """A month's Config rule evaluations, spread evenly over ``regions``, tiered per region."""
    if regions < 1:
        raise ValueError("regions must be at least 1")
    return regions * tiered(evaluations / regions, CONFIG_RULE_EVALUATION_TIERS)


def lambda_cpu_factor(memory_mb: int) -> float:
    """How much longer CPU-bound work takes at ``memory_mb`` than on one full vCPU."""
    return max(1.0, LAMBDA_MB_PER_VCPU / memory_mb)


def lambda_usd(invocations: float, seconds: float, memory_mb: int) -> float:
    """Requests plus GB-seconds of ``invocations`` runs of ``seconds`` at ``memory_mb``."""
    gb_seconds = invocations * seconds * memory_mb / 1024
    return invocations * LAMBDA_USD_PER_REQUEST + gb_seconds * LAMBDA_USD_PER_GB_SECOND


def memory_for(peak_rss_mb: float, configured_mb: int, headroom: float) -> int:
    """The configured size if the measured peak (with headroom) fits, else the next 128 MB."""
    needed = peak_rss_mb * headroom
    if needed <= configured_mb:
        return configured_mb
    return min(LAMBDA_MAX_MEMORY_MB, math.ceil(needed / 128) * 128)


def collector_seconds(
    resources_per_target: float, calls_per_resource: float, a: Assumptions
) -> float:
    """One collector invocation: fixed calls, per-resource calls in the pool, its writes."""
    calls = resources_per_target * calls_per_resource
    return (
        a.collector_cold_start_s
        + a.collector_fixed_s
        + calls * a.api_latency_s / a.collector_concurrency
        + resources_per_target / a.dynamodb_write_items_per_s
    )


def analyser_seconds(m: ScanMeasure, memory_mb: int, bedrock: bool, a: Assumptions) -> float:
    """One analyser invocation: measured CPU scaled to its vCPU share, plus its waits."""
    return (
        a.analyser_cold_start_s
        + m.analyser_cpu_s * lambda_cpu_factor(memory_mb)
        + m.read_bytes / (a.dynamodb_read_page_mb_per_s * MB)  # resources, previous findings
        + m.written_bytes / (a.dynamodb_write_page_mb_per_s * MB)  # findings, manifest
        + (a.bedrock_seconds if bedrock and m.findings else 0.0)
    )


def read_units_per_scan(m: ScanMeasure, targets: int) -> float:
    """The analyser's reads, strongly consistent: a unit per 4 KB read, and at least one per
    Query (each target's manifest, pointer and resource partitions; each finding shard)."""
    queries = targets * DYNAMODB_QUERIES_PER_TARGET + shards_for(m.findings)
    return m.read_bytes / DYNAMODB_READ_UNIT_BYTES + queries


def dynamodb_table_gb(m: ScanMeasure, d: Deployment) -> float:
    """Steady-state size of the table alone: ``retention_days`` of scans, with item overhead."""
    per_scan = m.stored_bytes + m.stored_items * DYNAMODB_ITEM_OVERHEAD_BYTES
    return per_scan * d.retention_days * d.scans_per_day / GB


def dynamodb_index_gb(m: ScanMeasure, d: Deployment) -> float:
    """Steady-state size of the GSI's copies (it projects ALL of the items it indexes)."""
    per_scan = m.indexed_bytes + m.indexed_items * DYNAMODB_ITEM_OVERHEAD_BYTES
    return per_scan * d.retention_days * d.scans_per_day / GB


def bedrock_usd_per_scan(request_bytes: int, output_tokens: int) -> float:
    """One Converse call: input tokens estimated from the request size, output as given."""
    input_tokens = math.ceil(request_bytes / BEDROCK_CHARS_PER_TOKEN)
    return input_tokens * BEDROCK_USD_PER_INPUT_TOKEN + output_tokens * BEDROCK_USD_PER_OUTPUT_TOKEN


def engine_monthly(
    m: ScanMeasure, d: Deployment | None = None, a: Assumptions | None = None
) -> Estimate:
    """A month of the deployment scanning ``m.resources`` resources every day."""
    d, a = d or Deployment(), a or Assumptions()
    scans, targets = d.scans_per_month, d.targets
    notes: list[str] = []

    per_target = m.resources / targets
    collect_s = collector_seconds(per_target, m.api_calls_per_resource, a)
    memory = memory_for(m.analyser_peak_rss_mb, d.analyser_memory_mb, a.memory_headroom)
    analyse_s = analyser_seconds(m, memory, d.bedrock, a)
    if memory != d.analyser_memory_mb:
        limit = " (Lambda's maximum: it does not fit)" if memory == LAMBDA_MAX_MEMORY_MB else ""
        notes.append(
            f"{m.resources:,}: peak RSS {m.analyser_peak_rss_mb:,.0f} MB does not fit the "
            f"analyser's {d.analyser_memory_mb} MB; priced at {memory:,} MB{limit}"
        )
    if analyse_s > d.analyser_timeout_s:
        over = "longer than Lambda allows" if analyse_s > LAMBDA_MAX_TIMEOUT_S else "raise it"
        notes.append(
            f"{m.resources:,}: the analyser runs ~{analyse_s:,.0f} s, over its "
            f"{d.analyser_timeout_s} s timeout ({over})"
        )
    if collect_s > d.collector_timeout_s:
        notes.append(
            f"{m.resources:,}: a collector runs ~{collect_s:,.0f} s, over its "
            f"{d.collector_timeout_s} s timeout"
        )

    table_gb = dynamodb_table_gb(m, d)
    index_gb = dynamodb_index_gb(m, d)
    report_gb = m.html_bytes * d.report_expiration_days * d.scans_per_day / GB
    invocations = (targets + 1) * scans
    publishes = scans * max(1, math.ceil(m.email_bytes / SNS_CHUNK_BYTES))
    transitions = scans * (SFN_PARENT_TRANSITIONS + SFN_TRANSITIONS_PER_TARGET * targets)
    bedrock = scans * bedrock_usd_per_scan(m.bedrock_request_bytes, a.bedrock_output_tokens)
    lines = {
        "lambda_collectors": lambda_usd(targets * scans, collect_s, d.collector_memory_mb),
        "lambda_analyser": lambda_usd(scans, analyse_s, memory),
        "dynamodb_writes": m.write_units * scans * DYNAMODB_USD_PER_WRITE_UNIT,
        "dynamodb_reads": read_units_per_scan(m, targets) * scans * DYNAMODB_USD_PER_READ_UNIT,
        "dynamodb_storage": (table_gb + index_gb) * DYNAMODB_USD_PER_GB_MONTH,
        "dynamodb_pitr": table_gb * DYNAMODB_PITR_USD_PER_GB_MONTH,
        "step_functions": transitions * SFN_USD_PER_TRANSITION,
        "bedrock": bedrock if d.bedrock and m.findings else 0.0,
        "sns": publishes * SNS_USD_PER_PUBLISH + scans * d.email_subscribers * SNS_USD_PER_EMAIL,
        "s3": (scans * S3_USD_PER_PUT + report_gb * S3_USD_PER_GB_MONTH) if d.html_report else 0.0,
        "cloudwatch_logs": invocations * a.log_bytes_per_invocation / GB * LOGS_USD_PER_GB_INGESTED,
        "kms": KMS_KEYS * KMS_USD_PER_KEY_MONTH,
    }
    figures = {
        "collector_seconds": collect_s,
        "analyser_seconds": analyse_s,
        "analyser_memory_mb": float(memory),
        "dynamodb_table_gb": table_gb,
        "report_storage_gb": report_gb,
        "state_transitions": float(transitions),
    }
    return Estimate(lines, figures, notes)


def aws_config_monthly(
    m: ScanMeasure, d: Deployment | None = None, a: Assumptions | None = None
) -> Estimate:
    """AWS Config recording the same resources and running equivalent rules periodically."""
    d, a = d or Deployment(), a or Assumptions()
    items = m.resources * a.config_items_per_resource
    evaluations = m.evaluations * a.config_evaluations_per_month
    lines = {
        "configuration_items": items * CONFIG_USD_PER_CONFIGURATION_ITEM,
        "rule_evaluations": config_rule_evaluations_usd(evaluations, d.regions),
    }
    return Estimate(lines, {"configuration_items": items, "rule_evaluations": float(evaluations)})
