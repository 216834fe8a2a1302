"""Model prices, for the estimated cost of one explain run (shown in the manifest and report).

Where it sits: the explain stage; ``bedrock.py`` prices the ``usage`` tokens the Converse
response reports. These are list prices copied by hand, so the result is an *estimate*: the
bill is what AWS charges (prompt caching, batch, private pricing and taxes are not modelled).

Sources (all read 2026-11-25):

* Anthropic list prices per million tokens, which Amazon Bedrock charges for these models on
  *global* cross-Region inference profiles (``global.`` ids): Sonnet 4.6 $3 / $15,
  https://platform.claude.com/docs/pt-BR/models/sonnet-4-6/overview.md ; Sonnet 5 $2 / $10 and
  Haiku 4.5 $1 / $5, https://platform.claude.com/docs/zh-CN/models/sonnet-5/overview ; Sonnet 5.5
  $2 / $10 and Opus 5 $5 / $25,
  https://platform.claude.com/docs/about-claude/models/whats-new-opus-5 ; Bedrock rates on par
  with Anthropic's for the 4.5+ generation, https://clauder-navi.com/en/bedrock-claude-cost/
* Geographic profiles (``us.``, ``eu.``, ``jp.`` ...) and in-Region ids cost about 10% more:
  "Global cross-Region inference ... offers approximately 10% savings on both input and output
  token pricing compared to geographic cross-Region inference",
  https://docs.aws.amazon.com/bedrock/latest/userguide/global-cross-region-inference.html
* The authoritative page is https://aws.amazon.com/bedrock/pricing/ (its price tables are
  rendered client-side and could not be read here).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

PRICES_READ_ON = "2026-11-25"
GEO_PREMIUM = 1.10
#: prefixes of system-defined cross-Region inference profiles that are not ``global.``
GEO_PREFIXES = ("us.", "us-gov.", "eu.", "apac.", "jp.", "au.", "ca.")
CHARS_PER_TOKEN = 3.5  # rough, for JSON-heavy English text; only for estimates before a call


@dataclass(frozen=True)
class ModelPrice:
    """USD per 1,000 tokens at the global (list) rate."""

    input_per_1k: float
    output_per_1k: float
    source: str


_SONNET_46 = "https://platform.claude.com/docs/pt-BR/models/sonnet-4-6/overview.md"
_SONNET_5 = "https://platform.claude.com/docs/zh-CN/models/sonnet-5/overview"
_LINEUP = "https://platform.claude.com/docs/about-claude/models/whats-new-opus-5"
PRICES: dict[str, ModelPrice] = {
    "anthropic.claude-sonnet-4-6": ModelPrice(0.003, 0.015, _SONNET_46),
    "anthropic.claude-sonnet-5": ModelPrice(0.002, 0.010, _SONNET_5),
    "anthropic.claude-sonnet-5-5": ModelPrice(0.002, 0.010, _LINEUP),
    "anthropic.claude-haiku-4-5-20251001-v1:0": ModelPrice(0.001, 0.005, _SONNET_5),
    "anthropic.claude-opus-5": ModelPrice(0.005, 0.025, _LINEUP),
}


def base_model(model_id: str) -> tuple[str, float]:
    """The foundation model id behind an inference profile id, and the price multiplier."""
    if model_id.startswith("arn:"):  # a profile or model ARN: the id is after the last '/'
        model_id = model_id.rsplit("/", 1)[-1]
    if model_id.startswith("global."):
        return model_id.removeprefix("global."), 1.0
    for prefix in GEO_PREFIXES:
        if model_id.startswith(prefix):
            return model_id.removeprefix(prefix), GEO_PREMIUM
    return model_id, GEO_PREMIUM  # an in-Region model id is priced like a geographic profile


def price_for(model_id: str) -> ModelPrice | None:
    """Prices per 1,000 tokens for this model id (profile premium applied), None if unknown."""
    base, multiplier = base_model(model_id)
    price = PRICES.get(base)
    if price is None:
        return None
    return ModelPrice(
        round(price.input_per_1k * multiplier, 8),
        round(price.output_per_1k * multiplier, 8),
        price.source,
    )


def estimate_cost(model_id: str, input_tokens: int, output_tokens: int) -> float | None:
    """Estimated USD for one call's tokens, None when no price is on file for the model."""
    price = price_for(model_id)
    if price is None:
        return None
    cost = input_tokens / 1000 * price.input_per_1k + output_tokens / 1000 * price.output_per_1k
    return round(cost, 6)


def estimate_tokens(chars: int) -> int:
    """A rough token count for ``chars`` characters of prompt (before any call is made)."""
    return math.ceil(chars / CHARS_PER_TOKEN)
