"""The cost model's arithmetic (bench/costs.py): known inputs give known dollars.

Every expected figure is worked out by hand in the test from the published prices, so a wrong
price constant or a wrong formula fails here; nothing is timed.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import pytest

from bench import costs
from engine.explain.bedrock import DEFAULT_MODEL_ID
from engine.explain.pricing import CHARS_PER_TOKEN, price_for

GB = 2**30


def measure(**changes: Any) -> costs.ScanMeasure:
    base = costs.ScanMeasure(
        resources=1000,
        findings=500,
        evaluations=6000,
        analyser_cpu_s=2.0,
        analyser_peak_rss_mb=100.0,
        write_units=10_000.0,
        stored_bytes=1_200_000,
        stored_items=1_020,
        indexed_bytes=10_000,
        indexed_items=5,
        read_bytes=4 * 2**20,
        written_bytes=2**20,
        html_bytes=GB // 90,
        email_bytes=100_000,
        bedrock_request_bytes=35_000,
        api_calls_per_resource=1.0,
    )
    return replace(base, **changes)


# --- AWS Config tiering -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("evaluations", "usd"),
    [
        (0, 0.0),
        (50_000, 50.0),  # all in the first tier, $0.001
        (100_000, 100.0),
        (300_000, 100.0 + 200_000 * 0.0008),  # 260
        (500_000, 100.0 + 400_000 * 0.0008),  # 420
        (1_000_000, 420.0 + 500_000 * 0.0005),  # 670
    ],
)
def test_config_tiers_in_one_region(evaluations: int, usd: float) -> None:
    assert costs.config_rule_evaluations_usd(evaluations, regions=1) == pytest.approx(usd)


def test_config_tiers_apply_per_region() -> None:
    # 1,000,000 over 4 regions: 250,000 each = 100 + 150,000 x 0.0008 = 220, x 4 = 880
    assert costs.config_rule_evaluations_usd(1_000_000, regions=4) == pytest.approx(880.0)
    # in one region the same evaluations reach the cheaper tiers: 670
    assert costs.config_rule_evaluations_usd(1_000_000, regions=1) == pytest.approx(670.0)


def test_config_tiers_reject_no_region() -> None:
    with pytest.raises(ValueError, match="regions"):
        costs.config_rule_evaluations_usd(10, regions=0)


def test_tiered_is_piecewise_linear() -> None:
    tiers = ((10, 1.0), (10, 0.5), (math.inf, 0.1))
    assert [costs.tiered(q, tiers) for q in (-5, 0, 5, 10, 15, 20, 30)] == pytest.approx(
        [0, 0, 5, 10, 12.5, 15, 16]
    )


def test_aws_config_month() -> None:
    m = measure(resources=1000, evaluations=6000)
    d = costs.Deployment(regions=2)
    estimate = costs.aws_config_monthly(m, d)
    # 1,000 configuration items x $0.003
    assert estimate.lines["configuration_items"] == pytest.approx(3.0)
    # 6,000 x 30 daily = 180,000 a month, 90,000 per region: all at $0.001
    assert estimate.lines["rule_evaluations"] == pytest.approx(180.0)
    assert estimate.total == pytest.approx(183.0)
    busy = costs.aws_config_monthly(m, d, costs.Assumptions(config_items_per_resource=3))
    assert busy.lines["configuration_items"] == pytest.approx(9.0)


# --- Lambda -------------------------------------------------------------------------------


def test_lambda_requests_and_gb_seconds() -> None:
    # 30 runs of 10 s at 1024 MB: 300 GB-s x 0.0000166667 + 30 x $0.0000002
    assert costs.lambda_usd(30, 10.0, 1024) == pytest.approx(300 * 0.0000166667 + 30 * 0.2e-6)
    assert costs.lambda_usd(1_000_000, 0.0, 128) == pytest.approx(0.20)


def test_cpu_share_follows_memory() -> None:
    assert costs.lambda_cpu_factor(1769) == 1.0
    assert costs.lambda_cpu_factor(3538) == 1.0  # one thread gains nothing past one vCPU
    assert costs.lambda_cpu_factor(256) == pytest.approx(1769 / 256)


def test_memory_sized_from_the_measured_peak() -> None:
    assert costs.memory_for(100, 256, 1.25) == 256  # 125 MB fits
    assert costs.memory_for(250, 256, 1.25) == 384  # 312.5 MB: next 128 MB step
    assert costs.memory_for(20_000, 256, 1.25) == costs.LAMBDA_MAX_MEMORY_MB


def test_collector_duration() -> None:
    a = costs.Assumptions()
    # 800 resources x 1 call x 0.1 s / 8 workers = 10 s; 800 / 1667 writes/s; fixed 1.35 + 0.57
    expected = 0.57 + 1.35 + 10.0 + 800 / 1667
    assert costs.collector_seconds(800, 1.0, a) == pytest.approx(expected)


def test_analyser_duration() -> None:
    a = costs.Assumptions(dynamodb_read_page_mb_per_s=4.0, dynamodb_write_page_mb_per_s=1.0)
    m = measure(analyser_cpu_s=2.0, read_bytes=8 * 2**20, written_bytes=3 * 2**20)
    # 0.345 cold + 2 s x 1769/1769 + 8 MB at 4 MB/s + 3 MB at 1 MB/s + 30 s of Bedrock
    assert costs.analyser_seconds(m, 1769, True, a) == pytest.approx(0.345 + 2 + 2 + 3 + 30)
    assert costs.analyser_seconds(m, 1769, False, a) == pytest.approx(0.345 + 2 + 2 + 3)
    none = replace(m, findings=0)  # no findings: no Bedrock call
    assert costs.analyser_seconds(none, 1769, True, a) == pytest.approx(0.345 + 2 + 2 + 3)
    # at half a vCPU the CPU part takes twice as long, the waits do not
    assert costs.analyser_seconds(m, 884, False, a) == pytest.approx(0.345 + 2 * 1769 / 884 + 2 + 3)


# --- DynamoDB -----------------------------------------------------------------------------


def test_read_units_per_scan() -> None:
    # 120 x 4 KB strongly consistent = 120 units; 10 targets x 18 queries; 5,000 findings make
    # 4 shards of the previous scan (2,048 a shard at most), one query each
    m = measure(read_bytes=4096 * 120, findings=5000)
    assert costs.read_units_per_scan(m, 10) == pytest.approx(120 + 180 + 4)


def test_table_and_index_sizes_keep_the_retention() -> None:
    m = measure(stored_bytes=1_500_000, stored_items=1_200, indexed_bytes=10_000, indexed_items=4)
    d = costs.Deployment(retention_days=90)
    per_scan = 1_500_000 + 1_200 * 100
    assert costs.dynamodb_table_gb(m, d) == pytest.approx(per_scan * 90 / GB)
    assert costs.dynamodb_index_gb(m, d) == pytest.approx((10_000 + 4 * 100) * 90 / GB)


# --- Bedrock ------------------------------------------------------------------------------


def test_bedrock_prices_match_the_engine() -> None:
    assert costs.BEDROCK_MODEL_ID == DEFAULT_MODEL_ID
    price = price_for(costs.BEDROCK_MODEL_ID)
    assert price is not None
    per_1k = (costs.BEDROCK_USD_PER_INPUT_TOKEN * 1000, costs.BEDROCK_USD_PER_OUTPUT_TOKEN * 1000)
    assert per_1k == pytest.approx((price.input_per_1k, price.output_per_1k))
    assert costs.BEDROCK_CHARS_PER_TOKEN == CHARS_PER_TOKEN


def test_bedrock_call() -> None:
    # 35,000 bytes / 3.5 = 10,000 input tokens x $3.30/M + 3,000 output x $16.50/M
    assert costs.bedrock_usd_per_scan(35_000, 3000) == pytest.approx(0.033 + 0.0495)


# --- the whole month ----------------------------------------------------------------------


def test_engine_month_line_by_line() -> None:
    m = measure()
    d = costs.Deployment(accounts=2, regions=2, email_subscribers=3)
    a = costs.Assumptions()
    estimate = costs.engine_monthly(m, d, a)
    lines = estimate.lines
    scans, targets = 30, 4
    collect_s = costs.collector_seconds(250, 1.0, a)
    analyse_s = costs.analyser_seconds(m, 1769, True, a)
    assert estimate.figures["collector_seconds"] == pytest.approx(collect_s)
    assert estimate.figures["analyser_seconds"] == pytest.approx(analyse_s)
    assert lines["lambda_collectors"] == pytest.approx(
        120 * 0.2e-6 + 120 * collect_s * 0.5 * 0.0000166667
    )
    assert lines["lambda_analyser"] == pytest.approx(
        30 * 0.2e-6 + 30 * analyse_s * (1769 / 1024) * 0.0000166667
    )
    assert lines["dynamodb_writes"] == pytest.approx(10_000 * 30 * 0.625e-6)  # 0.1875
    reads = costs.read_units_per_scan(m, targets)
    assert lines["dynamodb_reads"] == pytest.approx(reads * scans * 0.125e-6)
    table_gb = costs.dynamodb_table_gb(m, d)
    index_gb = costs.dynamodb_index_gb(m, d)
    assert lines["dynamodb_storage"] == pytest.approx((table_gb + index_gb) * 0.25)
    assert lines["dynamodb_pitr"] == pytest.approx(table_gb * 0.20)
    # (5 + 2 x 4) x 30 = 390 transitions x $0.000025
    assert lines["step_functions"] == pytest.approx(390 * 0.000025)
    assert lines["bedrock"] == pytest.approx(30 * (0.033 + 0.0495))
    # a 100,000-byte e-mail is 2 chunks of 64 KB: 60 publishes; 3 readers x 30 e-mails
    assert lines["sns"] == pytest.approx(60 * 0.5e-6 + 90 * 2e-5)
    # 30 PUTs; 90 reports of GB/90 each = 1 GB at $0.023
    assert lines["s3"] == pytest.approx(30 * 0.005e-3 + 0.023, rel=1e-3)
    # 5 invocations x 30 x 4 KB at $0.50 per GB
    assert lines["cloudwatch_logs"] == pytest.approx(150 * 4096 / GB * 0.5)
    assert lines["kms"] == 1.0
    assert estimate.total == pytest.approx(sum(lines.values()))
    assert estimate.notes == []  # 100 MB fits 1769 MB; ~34 s fits 900 s


def test_engine_month_without_bedrock_or_reports() -> None:
    d = costs.Deployment(bedrock=False, html_report=False)
    estimate = costs.engine_monthly(measure(), d)
    assert estimate.lines["bedrock"] == 0.0
    assert estimate.lines["s3"] == 0.0
    assert costs.engine_monthly(measure(findings=0)).lines["bedrock"] == 0.0


def test_engine_month_says_when_the_defaults_do_not_fit() -> None:
    big = measure(analyser_peak_rss_mb=2000.0, analyser_cpu_s=1000.0)
    estimate = costs.engine_monthly(big)
    assert estimate.figures["analyser_memory_mb"] == 2560  # 2,500 MB rounded up
    assert any("does not fit the analyser's 1769 MB" in note for note in estimate.notes)
    assert any("over its 900 s timeout" in note for note in estimate.notes)
    # the analyser is priced at the memory that fits
    analyse_s = estimate.figures["analyser_seconds"]
    assert estimate.lines["lambda_analyser"] == pytest.approx(costs.lambda_usd(30, analyse_s, 2560))
