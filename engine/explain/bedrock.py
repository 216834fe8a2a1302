"""``explain()``: Bedrock (Converse, one forced tool) orders and explains the ranked findings.

Where it sits: after ``engine.ranker.rank`` and before the report. The model sees the bounded
request of ``prompt.py``; its answer goes through ``validate.py``; the findings come back as the
same set with only ``rank``, ``explanation`` and ``explained_by`` changed. Every failure returns
the deterministic ranking untouched with ``ranked_by="rules"`` and a one-line reason:

    client cannot be built, no credentials, endpoint unreachable     not retried
    ThrottlingException, ModelNotReadyException, 5xx                 retried, bounded backoff
    read or connect timeout, ModelTimeoutException                   not retried (no time left)
    AccessDeniedException, ResourceNotFoundException,
    ValidationException (unknown model, profile/region mismatch)     not retried
    no tool call, tool input not JSON or not the schema              not retried
    time budget or attempts used up                                  stops retrying

botocore's own retries are switched off (``total_max_attempts: 1``) so that this module's
budget governs: an attempt starts only when backoff plus a full timeout still fits in
``total_budget_s``. The client is built without ``endpoint_url`` unless one is given, so
``AWS_ENDPOINT_URL`` and ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME`` redirect it like every client;
https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html (read 2026-11-25).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

from engine.errors import ConfigError
from engine.explain.pricing import estimate_cost
from engine.explain.prompt import Prompt, PromptLimits, build_request
from engine.explain.schema import TOOL_NAME
from engine.explain.validate import (
    AnswerLimits,
    reorder,
    same_findings,
    sanitize,
    validate_answer,
)
from engine.model import Finding

#: Claude Sonnet 4.6 through the US geographic cross-Region inference profile. Not Sonnet 5.5:
#: it rejects forced tool use (toolChoice any/tool), which this design relies on. Not Sonnet 5:
#: on Bedrock its adaptive thinking cannot be turned off, which costs time against the Lambda's
#: 60 s. Profile ids follow ``<geo>.<model id>``, e.g. ``jp.anthropic.claude-sonnet-4-6``:
#: https://dev.classmethod.jp/articles/tsnote-bedrock-check-inference-profile-name/ (read
#: 2026-11-25). A ``us.`` profile must be called from a US Region; use ``eu.``/``global.`` ids
#: elsewhere.
DEFAULT_MODEL_ID = "us.anthropic.claude-sonnet-4-6"
DEFAULT_REGION = "us-east-1"
RETRYABLE = frozenset(
    {"ThrottlingException", "ModelNotReadyException", "InternalServerException",
     "ServiceUnavailableException"}
)  # fmt: skip
ClientFactory = Callable[[], Any]


@dataclass(frozen=True)
class ExplainConfig:
    """How the explainer calls Bedrock and how much it may send; checked on construction."""

    model_id: str = DEFAULT_MODEL_ID
    region: str | None = DEFAULT_REGION
    max_input_chars: int = 60_000
    max_groups: int = 20
    exemplars_per_group: int = 3
    include_resource_names: bool = False
    total_budget_s: float = 45.0
    timeout_s: float = 30.0
    connect_timeout_s: float = 5.0
    max_attempts: int = 4
    max_output_tokens: int = 3000
    backoff_base_s: float = 1.0
    backoff_cap_s: float = 8.0

    def __post_init__(self) -> None:
        checks = [
            ("model_id", bool(self.model_id) and not any(c.isspace() for c in self.model_id),
             "must be a Bedrock model or inference profile id without spaces"),
            ("max_input_chars", self.max_input_chars >= 8_000,
             "must be at least 8000 (instructions and tool schema alone take about 4000)"),
            ("max_groups", self.max_groups >= 1, "must be at least 1"),
            ("exemplars_per_group", self.exemplars_per_group >= 0, "must not be negative"),
            ("timeout_s", self.timeout_s > 0 and self.connect_timeout_s > 0, "must be positive"),
            ("total_budget_s", self.total_budget_s >= self.timeout_s + self.connect_timeout_s,
             "must leave room for one attempt (timeout_s + connect_timeout_s)"),
            ("max_attempts", self.max_attempts >= 1, "must be at least 1"),
            ("max_output_tokens", self.max_output_tokens >= 256, "must be at least 256"),
            ("backoff_base_s", min(self.backoff_base_s, self.backoff_cap_s) >= 0,
             "must not be negative"),
        ]  # fmt: skip
        for name, ok, rule in checks:
            if not ok:
                value = getattr(self, name)
                raise ConfigError(f"explain config: {name}: {value!r} is invalid: {rule}")

    def prompt_limits(self) -> PromptLimits:
        return PromptLimits(
            max_input_chars=self.max_input_chars,
            max_groups=self.max_groups,
            exemplars_per_group=self.exemplars_per_group,
            include_resource_names=self.include_resource_names,
            max_output_tokens=self.max_output_tokens,
        )


@dataclass(frozen=True)
class Usage:
    """What one explain run cost and sent; ``to_dict`` goes into the scan manifest."""

    input_tokens: int = 0
    output_tokens: int = 0
    estimated_cost_usd: float | None = 0.0
    request_bytes: int = 0
    groups_sent: int = 0
    groups_omitted: int = 0
    findings_omitted_from_prompt: int = 0
    attempts: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ExplainResult:
    """The findings (same set as given), who ranked them, and what the report must say."""

    findings: list[Finding]
    summary: str | None
    ranked_by: str
    fallback_reason: str | None
    usage: Usage
    notes: tuple[str, ...] = field(default_factory=tuple)


def make_client(config: ExplainConfig, session: Any = None, endpoint_url: str | None = None) -> Any:
    """A ``bedrock-runtime`` client with botocore retries off and this config's timeouts."""
    import boto3
    from botocore.config import Config

    client_config = Config(
        retries={"mode": "standard", "total_max_attempts": 1},
        connect_timeout=config.connect_timeout_s,
        read_timeout=config.timeout_s,
        user_agent_extra="aws-inventory-engine-explain",
    )
    kwargs: dict[str, Any] = {"config": client_config}
    if config.region:
        kwargs["region_name"] = config.region
    if endpoint_url:
        kwargs["endpoint_url"] = endpoint_url
    return (session or boto3.session.Session()).client("bedrock-runtime", **kwargs)


def explain(
    findings: Sequence[Finding],
    config: ExplainConfig,
    *,
    now: datetime,
    client_factory: ClientFactory | None = None,
    monotonic: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    jitter: Callable[[], float] = random.random,
) -> ExplainResult:
    """Order and explain ``findings`` (already ranked by ``engine.ranker.rank``); never raises.

    ``now`` dates the findings' ages; ``monotonic`` and ``sleep`` measure and spend the budget.
    """
    ranked = list(findings)
    try:
        return _explain(ranked, config, now, client_factory, _Clock(monotonic, sleep, jitter))
    except _NotUsed as stop:
        return _fallback(ranked, stop.reason, stop.usage)
    except Exception as exc:  # noqa: BLE001 - nothing a model does may raise out of the pipeline
        return _fallback(ranked, f"internal error in the explainer ({type(exc).__name__})", Usage())


@dataclass(frozen=True)
class _Clock:
    monotonic: Callable[[], float]
    sleep: Callable[[float], None]
    jitter: Callable[[], float]


@dataclass(frozen=True)
class _Outcome:
    response: dict[str, Any] | None
    error: str | None
    attempts: int


class _NotUsed(Exception):
    """Raised inside ``_explain`` to return the deterministic ranking with ``reason``."""

    def __init__(self, reason: str, usage: Usage) -> None:
        super().__init__(reason)
        self.reason = reason
        self.usage = usage


def _explain(
    findings: list[Finding],
    config: ExplainConfig,
    now: datetime,
    factory: ClientFactory | None,
    clock: _Clock,
) -> ExplainResult:
    if not findings:
        return ExplainResult(findings, None, "rules", None, Usage(), ("No findings to explain.",))
    prompt = build_request(findings, now=now, limits=config.prompt_limits())
    usage = Usage(
        request_bytes=prompt.request_chars,
        groups_sent=len(prompt.sent),
        groups_omitted=prompt.omitted_groups,
        findings_omitted_from_prompt=prompt.omitted_findings,
    )
    if not prompt.sent:
        reason = f"the input budget of {config.max_input_chars} characters holds no group"
        raise _NotUsed(reason, usage)
    outcome = _converse(factory or (lambda: make_client(config)), prompt.request, config, clock)
    usage = _with_tokens(usage, outcome, config.model_id)
    if outcome.response is None:
        raise _NotUsed(outcome.error or "no response", usage)
    raw, error = _tool_input(outcome.response)
    if error:
        raise _NotUsed(error, usage)
    answer = validate_answer(raw, prompt.sent, AnswerLimits())
    if not answer.usable:
        stop = outcome.response.get("stopReason")
        suffix = f" (stopReason {stop})" if stop not in (None, "tool_use") else ""
        raise _NotUsed(f"model answer rejected: {answer.problems[0]}{suffix}", usage)
    sent = set(prompt.sent)
    unsent = tuple(g.group_id for g in prompt.groups if g.group_id not in sent)
    label = f"bedrock:{config.model_id}"
    ordered = reorder(findings, replace(answer, order=answer.order + unsent), label)
    if not same_findings(findings, ordered):
        raise _NotUsed("internal check failed: reordered findings differ", usage)
    notes = _notes(prompt)
    if answer.problems:
        notes.append(f"Model answer corrected: {'; '.join(answer.problems)}.")
    return ExplainResult(ordered, answer.summary, label, None, usage, tuple(notes))


def _converse(
    factory: ClientFactory, request: dict[str, Any], config: ExplainConfig, clock: _Clock
) -> _Outcome:
    """Call Converse, retrying throttling and 5xx while a whole further attempt fits the budget."""
    start = clock.monotonic()
    try:
        client = factory()
    except Exception as exc:  # noqa: BLE001 - any factory failure is a reason, not a crash
        return _Outcome(None, f"cannot create the bedrock-runtime client: {_line(exc)}", 0)
    attempt = 0
    while True:
        attempt += 1
        response, problem, retryable = _attempt(client, request, config)
        if response is not None or not retryable:
            return _Outcome(response, problem, attempt)
        if attempt >= config.max_attempts:
            return _Outcome(None, f"{problem}, still failing after {attempt} attempts", attempt)
        delay = min(config.backoff_cap_s, config.backoff_base_s * 2 ** (attempt - 1))
        delay *= 0.5 + clock.jitter() / 2  # "equal jitter": never less than half the backoff
        worst = clock.monotonic() - start + delay + config.timeout_s + config.connect_timeout_s
        if worst > config.total_budget_s:
            budget = f"time budget of {config.total_budget_s:g} s used up"
            return _Outcome(None, f"{problem}, {budget} after {attempt} attempts", attempt)
        clock.sleep(delay)


def _attempt(  # noqa: PLR0911 - one return per kind of failure reads clearest
    client: Any, request: dict[str, Any], config: ExplainConfig
) -> tuple[dict[str, Any] | None, str | None, bool]:
    """One call: (response, None, False), or (None, problem, whether to retry)."""
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        ConnectTimeoutError,
        ReadTimeoutError,
    )

    try:
        return client.converse(modelId=config.model_id, **request), None, False
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        if code in RETRYABLE or 500 <= status < 600:
            return None, f"{code} (HTTP {status})", True
        return None, _describe(code, str(error.get("Message", "")), config), False
    except ReadTimeoutError:
        return None, f"Bedrock did not answer within {config.timeout_s:g} s (read timeout)", False
    except ConnectTimeoutError:
        return None, f"no connection to Bedrock within {config.connect_timeout_s:g} s", False
    except BotoCoreError as exc:
        return None, f"Bedrock call failed: {_line(exc)}", False
    except ValueError as exc:  # botocore could not even decode the body (e.g. not UTF-8)
        return None, f"Bedrock sent an unreadable answer ({type(exc).__name__})", False


def _describe(code: str, message: str, config: ExplainConfig) -> str:
    detail = sanitize(message, 200)
    if code == "AccessDeniedException":
        what = f"access denied to {config.model_id} (needs bedrock:InvokeModel and model access)"
    elif code == "ResourceNotFoundException":
        what = f"model {config.model_id} not found in {config.region or 'the default region'}"
    elif code == "ValidationException":
        what = f"Bedrock rejected the request for {config.model_id} (ValidationException)"
    else:
        what = f"Bedrock error {code}"
    return f"{what}: {detail}" if detail else what


def _tool_input(response: dict[str, Any]) -> tuple[Any, str | None]:
    """The forced tool's input; any other content (text, reasoning blocks) is ignored."""
    output = response.get("output")
    message = output.get("message") if isinstance(output, dict) else None
    content = message.get("content") if isinstance(message, dict) else None
    for block in content if isinstance(content, list) else []:
        tool = block.get("toolUse") if isinstance(block, dict) else None
        if isinstance(tool, dict) and tool.get("name") == TOOL_NAME:
            return tool.get("input"), None
    return None, f"the model did not call {TOOL_NAME} (stopReason {response.get('stopReason')})"


def _with_tokens(usage: Usage, outcome: _Outcome, model_id: str) -> Usage:
    raw = (outcome.response or {}).get("usage")
    tokens = raw if isinstance(raw, dict) else {}
    inp, out = (int(tokens.get(k) or 0) for k in ("inputTokens", "outputTokens"))
    cost = estimate_cost(model_id, inp, out)
    return replace(usage, input_tokens=inp, output_tokens=out, estimated_cost_usd=cost,
                   attempts=outcome.attempts)  # fmt: skip


def _notes(prompt: Prompt) -> list[str]:
    notes = []
    if prompt.omitted_groups:
        notes.append(
            f"The model saw {len(prompt.sent)} of {len(prompt.groups)} rule groups; "
            f"{prompt.omitted_groups} groups ({prompt.omitted_findings} findings) were left out "
            "of the request to fit its size limit and are ranked by the rules after the rest."
        )
    if prompt.exemplars_trimmed:
        notes.append(
            f"{prompt.exemplars_trimmed} groups were sent with fewer example resources "
            "to fit the request size limit."
        )
    return notes


def _fallback(findings: list[Finding], reason: str, usage: Usage) -> ExplainResult:
    line = sanitize(reason, 300)
    note = f"Bedrock ranking not used: {line}. Findings are ranked by the rules."
    return ExplainResult(findings, None, "rules", line, usage, (note,))


def _line(exc: BaseException) -> str:
    return sanitize(f"{type(exc).__name__}: {exc}", 200)
