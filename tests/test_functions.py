"""Every custom JMESPath function's docstring example runs, and the registry refuses duplicates."""

from __future__ import annotations

import textwrap

import jmespath
import pytest
import yaml

from engine.clock import parse_timestamp
from engine.functions import FUNCTIONS, FunctionContext, function, make_functions
from engine.registry import DuplicateKeyError


def example(doc: str) -> dict[str, object]:
    assert "Example:" in doc, "every function documents an example"
    block = textwrap.dedent(doc.split("Example:", 1)[1])
    data = yaml.safe_load(block)
    assert set(data) == {"now", "data", "expr", "result"}
    return data


@pytest.mark.parametrize("name", FUNCTIONS.keys())
def test_docstring_example_runs(name: str) -> None:
    spec = example(FUNCTIONS.get(name).doc)
    funcs = make_functions(FunctionContext(parse_timestamp(str(spec["now"]))))
    got = jmespath.search(
        str(spec["expr"]), spec["data"], options=jmespath.Options(custom_functions=funcs)
    )
    assert got == spec["result"]
    assert name + "(" in str(spec["expr"])


def test_duplicate_function_refused() -> None:
    with pytest.raises(DuplicateKeyError):
        function("days_since", ["string"])(lambda ctx, value: value)


def test_days_since_null_and_bad_input() -> None:
    funcs = make_functions(FunctionContext(parse_timestamp("2026-01-10T00:00:00Z")))
    options = jmespath.Options(custom_functions=funcs)
    assert jmespath.search("days_since(x)", {"x": None}, options=options) is None
    assert jmespath.search("days_since(x)", {"x": "2026-01-09T23:59:59Z"}, options=options) == 0
    assert jmespath.search("days_until(x)", {"x": "2026-01-09T00:00:00Z"}, options=options) == -1
    with pytest.raises(ValueError):
        jmespath.search("days_since(x)", {"x": "yesterday"}, options=options)
    with pytest.raises(jmespath.exceptions.JMESPathTypeError):
        jmespath.search("days_since(x)", {"x": 5}, options=options)


def test_lifecycle_uses_live_dates_when_the_scan_has_them() -> None:
    from datetime import date

    from engine.lifecycle import LiveDates

    live = {
        ("eks", "1.29"): LiveDates(
            date(2025, 3, 23), date(2027, 3, 23), "eks:DescribeClusterVersions", date(2026, 11, 25)
        )
    }
    now = parse_timestamp("2026-11-25T00:00:00Z")
    with_live = jmespath.Options(custom_functions=make_functions(FunctionContext(now, live)))
    without = jmespath.Options(custom_functions=make_functions(FunctionContext(now)))
    expr = "lifecycle('eks', version).[phase, source]"
    assert jmespath.search(expr, {"version": "1.29"}, options=with_live) == [
        "extended_support",
        "eks:DescribeClusterVersions",
    ]
    assert jmespath.search(expr, {"version": "1.29"}, options=without)[1] == "dataset"
    assert (
        jmespath.search("lifecycle('lambda', runtime)", {"runtime": None}, options=without) is None
    )
    assert (
        jmespath.search(
            "lifecycle('lambda', runtime).phase", {"runtime": "cobol1.0"}, options=without
        )
        == "unknown"
    )
