"""The answer the model must give: one tool whose input JSON schema *is* the answer.

Where it sits: the explain stage, after ``engine.ranker.rank``. ``prompt.py`` puts
``tool_config()`` into the Converse request and forces the model to call the tool
(``toolChoice``); ``validate.py`` checks what comes back against the same limits. The model
only ever returns an ordering of *group ids* with prose; it never returns findings, severities,
evidence or statuses, so there is nothing of that kind in this schema to take from it.

Converse tool use: ``toolConfig.tools[].toolSpec.inputSchema.json`` holds a JSON Schema and
``toolChoice: {"tool": {"name": ...}}`` forces that tool.
https://docs.aws.amazon.com/bedrock/latest/userguide/tool-use-inference-call.html (read 2026-11-25)
"""

from __future__ import annotations

from typing import Any

TOOL_NAME = "submit_ranking"

#: What the prompt asks for; ``validate.py`` enforces larger hard caps (it cuts, never fails).
EXPLANATION_WORDS = "at most 35 words"
TOP_ACTION_WORDS = "at most 15 words"

#: Executive summary sections, in the order the original design's email shows them.
SUMMARY_SECTIONS: tuple[tuple[str, str, int], ...] = (
    ("cost_opportunities", "Top cost optimisation opportunities", 3),
    ("eol_warnings", "Critical end-of-life warnings", 5),
    ("compliance_issues", "Compliance issues", 5),
    ("recommendations", "Actionable recommendations", 5),
)

_SHORT_TEXT: dict[str, Any] = {"type": "string", "maxLength": 300}


def tool_input_schema() -> dict[str, Any]:
    """The JSON Schema of the tool's input: the whole answer."""
    summary_props = {
        key: {
            "type": "array",
            "description": f"{title}: up to {limit} short plain-text items, most important first.",
            "items": _SHORT_TEXT,
            "maxItems": limit,
        }
        for key, title, limit in SUMMARY_SECTIONS
    }
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["ranking", "summary"],
        "properties": {
            "ranking": {
                "type": "array",
                "description": (
                    "Every group_id from the data exactly once, most important first "
                    "(business impact: money wasted, support ending, data-loss or security risk)."
                ),
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["group_id", "rank", "explanation", "top_action"],
                    "properties": {
                        "group_id": {"type": "string", "description": "A group_id from the data."},
                        "rank": {"type": "integer", "minimum": 1, "description": "1 = first."},
                        "explanation": {
                            "type": "string",
                            "maxLength": 400,
                            "description": f"Why it matters, plain text, {EXPLANATION_WORDS}.",
                        },
                        "top_action": {
                            "type": "string",
                            "maxLength": 200,
                            "description": f"First thing to do, plain text, {TOP_ACTION_WORDS}.",
                        },
                    },
                },
            },
            "summary": {
                "type": "object",
                "additionalProperties": False,
                "required": [key for key, _, _ in SUMMARY_SECTIONS],
                "properties": summary_props,
            },
        },
    }


def tool_config() -> dict[str, Any]:
    """``toolConfig`` for Converse: the single answer tool, and the model forced to call it."""
    return {
        "tools": [
            {
                "toolSpec": {
                    "name": TOOL_NAME,
                    "description": (
                        "Submit the ranking of the finding groups and the executive summary. "
                        "Call exactly once."
                    ),
                    "inputSchema": {"json": tool_input_schema()},
                }
            }
        ],
        "toolChoice": {"tool": {"name": TOOL_NAME}},
    }
