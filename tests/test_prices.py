"""The shipped price table: every table cites its source and date; prices are positive."""

from __future__ import annotations

import re
from importlib import resources

import jmespath
import pytest
import yaml

from engine.clock import parse_timestamp
from engine.functions import FunctionContext, make_functions

DATA = yaml.safe_load(resources.files("rules").joinpath("data", "prices.yaml").read_text())


def test_shape_and_provenance() -> None:
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", DATA["read_on"])
    tables = {k: v for k, v in DATA.items() if isinstance(v, dict)}
    assert {"ebs_gb_month", "eks_cluster_hour", "rds_extended_support_vcpu_hour"} <= set(tables)
    for name, table in tables.items():
        assert table["source"], name
        if name != "constants":
            assert "https://aws.amazon.com/" in table["source"], name
            assert "read 2026-" in table["source"], name
        assert all(isinstance(v, int | float) and v > 0 for v in table["prices"].values()), name
    ebs = tables["ebs_gb_month"]["prices"]
    assert ebs["gp3"] < ebs["gp2"], "gp3 is the cheaper general purpose type"
    eks = tables["eks_cluster_hour"]["prices"]
    assert eks["extended"] > eks["standard"]


def test_price_function_unknown_key_and_table() -> None:
    options = jmespath.Options(
        custom_functions=make_functions(FunctionContext(parse_timestamp("2026-01-01")))
    )
    assert jmespath.search("price('ebs_gb_month', 'gp9')", {}, options=options) is None
    assert jmespath.search("price('ebs_gb_month', t)", {"t": None}, options=options) is None
    with pytest.raises(ValueError, match="unknown price table"):
        jmespath.search("price('ebs_per_gb', 'gp2')", {}, options=options)
