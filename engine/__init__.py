"""Policy-as-code engine for AWS inventory.

The pipeline is one straight line (see ``engine.pipeline``)::

    collectors.collect() -> Resource -> evaluate() -> Finding -> rank() -> report

This package is the core: model, rules, evaluator, ranker, reports and CLI. It imports no
boto3; only ``collectors`` (and, later, the store, explainer and notifier) talk to AWS.
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
