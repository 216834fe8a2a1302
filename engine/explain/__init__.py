"""The explain stage: Amazon Bedrock orders and explains ranked findings, never changes them.

Where it sits: ``rank()`` -> ``explain()`` -> report. ``explain`` takes the findings as the
deterministic ranker ordered them and returns the same findings, possibly reordered by rule
group with explanations attached, plus an executive summary, who ranked them (``bedrock:<model>``
or ``rules``), a one-line reason when the model was not used, and usage for the manifest.

Modules: ``prompt`` (bounded request), ``schema`` (the answer tool), ``bedrock`` (the Converse
call and its failure handling), ``validate`` (checking and applying the answer), ``pricing``
(estimated cost). Importing this package imports no boto3; the call does.
"""

from __future__ import annotations

from engine.explain.bedrock import (
    DEFAULT_MODEL_ID,
    ExplainConfig,
    ExplainResult,
    Usage,
    explain,
    make_client,
)

__all__ = ["DEFAULT_MODEL_ID", "ExplainConfig", "ExplainResult", "Usage", "explain", "make_client"]
