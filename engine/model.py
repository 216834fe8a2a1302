"""The contracts every stage shares: ``Resource``, ``Finding``, ``ScanManifest``.

Collectors produce ``Resource`` values, the evaluator turns them into ``Finding`` values, and
the ``ScanManifest`` records what a scan looked at and what it could not see. All are frozen
dataclasses but ``Finding``, which is treated as immutable (stages make new ones with
``evolve``) without the frozen dataclass's cost: its ``__init__`` goes through
``object.__setattr__`` once per field, 3.3 us against 0.35 us for a plain slotted one, and a
large scan builds, tracks and ranks a finding per failing (rule, resource) pair. Their JSON
shapes are pinned by the schemas in ``engine/schemas/``.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["critical", "high", "medium", "low", "info"]
Category = Literal["cost", "reliability", "security", "lifecycle"]
Outcome = Literal["fail", "error"]
Status = Literal["new", "open", "resolved", "suppressed"]

SEVERITIES: tuple[Severity, ...] = ("critical", "high", "medium", "low", "info")
CATEGORIES: tuple[Category, ...] = ("cost", "reliability", "security", "lifecycle")
SEVERITY_ORDER: dict[str, int] = {name: index for index, name in enumerate(SEVERITIES)}


@dataclass(frozen=True, slots=True)
class Resource:
    """One normalised AWS resource, the only shape rules ever read."""

    resource_id: str
    resource_type: str
    account_id: str
    region: str
    name: str | None
    state: str | None
    created_at: str | None
    tags: dict[str, str]
    attributes: dict[str, Any]
    collected_at: str
    scan_id: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "resource_id": self.resource_id,
            "resource_type": self.resource_type,
            "account_id": self.account_id,
            "region": self.region,
            "name": self.name,
            "state": self.state,
            "created_at": self.created_at,
            "tags": dict(self.tags),
            "attributes": self.attributes,
            "collected_at": self.collected_at,
            "scan_id": self.scan_id,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Resource:
        """Build from an already schema-validated dict."""
        return cls(
            resource_id=data["resource_id"],
            resource_type=shared(data["resource_type"]),
            account_id=shared(data["account_id"]),
            region=shared(data["region"]),
            name=data.get("name"),
            state=data.get("state"),
            created_at=data.get("created_at"),
            tags=dict(data.get("tags") or {}),
            attributes=dict(data.get("attributes") or {}),
            collected_at=data["collected_at"],
            scan_id=data["scan_id"],
        )


def _copy(value: Any) -> Any:
    """A deep copy of a JSON-like value, as ``asdict`` makes of a field's dicts and lists."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_copy(v) for v in value)
    return value


def finding_id(rule_id: str, resource_id: str) -> str:
    """Stable id of (rule, resource), so re-runs and history line up."""
    digest = hashlib.sha256(f"{rule_id}\x00{resource_id}".encode()).hexdigest()
    return digest[:32]


@dataclass(slots=True)
class Finding:
    """A rule that failed (``outcome='fail'``) or could not be evaluated (``'error'``).

    Never changed in place once built: ``evolve`` makes the changed copy (see the module
    docstring for why it is not a frozen dataclass). Not hashable (``evidence`` is a dict).
    """

    finding_id: str
    rule_id: str
    resource_id: str
    resource_type: str
    resource_name: str | None
    account_id: str
    region: str
    outcome: Outcome
    severity: Severity
    category: Category
    title: str
    evidence: dict[str, Any]
    remediation: str
    references: dict[str, Any]
    status: Status
    first_seen: str
    last_seen: str
    rank: int | None = None
    score: float | None = None
    explanation: str | None = None
    explained_by: str = "rules"
    error: str | None = None
    estimated_monthly_cost_usd: float | None = None
    #: why the status is what it is, e.g. kept open because its region was not scanned
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """What ``dataclasses.asdict`` returns (nested values copied), at a fifth of its cost:
        the store and every report call this once per finding."""
        out = self.fields()
        out["evidence"] = _copy(self.evidence)
        out["references"] = _copy(self.references)
        return out

    def evolve(self, **changes: Any) -> Finding:
        """``dataclasses.replace(self, **changes)`` at a seventh of its cost (history, ranking
        and suppression make one per finding); an unknown name is a ``TypeError`` as there."""
        new = Finding(
            self.finding_id,
            self.rule_id,
            self.resource_id,
            self.resource_type,
            self.resource_name,
            self.account_id,
            self.region,
            self.outcome,
            self.severity,
            self.category,
            self.title,
            self.evidence,
            self.remediation,
            self.references,
            self.status,
            self.first_seen,
            self.last_seen,
            self.rank,
            self.score,
            self.explanation,
            self.explained_by,
            self.error,
            self.estimated_monthly_cost_usd,
            self.note,
        )
        for name, value in changes.items():
            if name not in _FINDING_FIELDS:
                raise TypeError(f"Finding.evolve() got an unexpected field {name!r}")
            setattr(new, name, value)
        return new

    def fields(self) -> dict[str, Any]:
        """Every field by name, nested values shared (read-only use: serialising, copying)."""
        return {
            "finding_id": self.finding_id,
            "rule_id": self.rule_id,
            "resource_id": self.resource_id,
            "resource_type": self.resource_type,
            "resource_name": self.resource_name,
            "account_id": self.account_id,
            "region": self.region,
            "outcome": self.outcome,
            "severity": self.severity,
            "category": self.category,
            "title": self.title,
            "evidence": self.evidence,
            "remediation": self.remediation,
            "references": self.references,
            "status": self.status,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "rank": self.rank,
            "score": self.score,
            "explanation": self.explanation,
            "explained_by": self.explained_by,
            "error": self.error,
            "estimated_monthly_cost_usd": self.estimated_monthly_cost_usd,
            "note": self.note,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        """Build from a stored or serialised finding. The values that repeat across findings
        (ids of rules, types, accounts and regions, enums, stamps, titles, remediation and
        references) are shared: a scan's findings read back from the store otherwise hold a
        copy each, 3.7 KB a finding instead of about 1 KB (164,471 findings: 600 MB)."""
        values = dict(data)
        for name in _REPEATED:
            if name in values:
                values[name] = shared(values[name])
        if "references" in values:
            values["references"] = _shared_references(values["references"])
        return cls(**values)


_FINDING_FIELDS = frozenset(Finding.__slots__)
_REPEATED = (
    "rule_id",
    "resource_type",
    "account_id",
    "region",
    "outcome",
    "severity",
    "category",
    "title",
    "remediation",
    "status",
    "first_seen",
    "last_seen",
    "explained_by",
)


def shared(value: Any) -> Any:
    """One string object for equal strings (``sys.intern``): a JSON or DynamoDB decoder makes a
    new ``"aws.ec2.instance"`` for every resource, and a scan keeps one per finding."""
    return sys.intern(value) if value.__class__ is str else value


#: equal ``references`` mappings seen so far, one object each (a rule's findings all carry its
#: references); bounded, so odd stored data cannot grow it without end
_REFERENCES: dict[tuple[tuple[str, tuple[str, ...]], ...], dict[str, Any]] = {}
_REFERENCES_MAX = 4096


def _shared_references(references: Any) -> Any:
    """One object for equal ``{source: [reference, ...]}`` mappings of strings (what rules
    declare); anything else is kept as it is."""
    if references.__class__ is not dict:
        return references
    key = []
    for name, values in references.items():
        if values.__class__ is not list or not all(v.__class__ is str for v in values):
            return references
        key.append((name, tuple(shared(v) for v in values)))
    frozen = tuple(key)
    found = _REFERENCES.get(frozen)
    if found is None and len(_REFERENCES) < _REFERENCES_MAX:
        found = _REFERENCES[frozen] = {name: list(values) for name, values in frozen}
    return references if found is None else found


@dataclass(frozen=True, slots=True)
class CollectionError:
    """A call that failed during collection; its presence marks the scan partial."""

    account_id: str
    region: str
    service: str
    operation: str
    error_code: str
    message: str
    resource_type: str | None = None
    resource_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ScanManifest:
    """What a scan looked at, what it found, and what it could not see."""

    scan_id: str
    source: str
    simulated: bool
    started_at: str
    finished_at: str
    accounts: list[str]
    regions: list[str]
    resource_types: list[str]
    counts: list[dict[str, Any]] = field(default_factory=list)
    api_calls: dict[str, int] = field(default_factory=dict)
    errors: list[CollectionError] = field(default_factory=list)
    evaluation: dict[str, Any] | None = None
    engine_version: str = ""
    duration_s: float | None = None
    #: live lifecycle dates read during collection, and notes on where the dataset was used
    lifecycle: dict[str, Any] | None = None
    #: the explainer's model, usage (tokens, estimated cost) and fallback reason, when it ran
    explain: dict[str, Any] | None = None

    @property
    def partial(self) -> bool:
        return bool(self.errors)

    def to_dict(self) -> dict[str, Any]:
        return {
            "scan_id": self.scan_id,
            "source": self.source,
            "simulated": self.simulated,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "accounts": list(self.accounts),
            "regions": list(self.regions),
            "resource_types": list(self.resource_types),
            "partial": self.partial,
            "counts": list(self.counts),
            "api_calls": dict(sorted(self.api_calls.items())),
            "errors": [e.to_dict() for e in self.errors],
            "evaluation": self.evaluation,
            "engine_version": self.engine_version,
            "duration_s": self.duration_s,
            "lifecycle": self.lifecycle,
            "explain": self.explain,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScanManifest:
        return cls(
            scan_id=data["scan_id"],
            source=data["source"],
            simulated=bool(data.get("simulated", False)),
            started_at=data["started_at"],
            finished_at=data["finished_at"],
            accounts=list(data.get("accounts", [])),
            regions=list(data.get("regions", [])),
            resource_types=list(data.get("resource_types", [])),
            counts=list(data.get("counts", [])),
            api_calls=dict(data.get("api_calls", {})),
            errors=[CollectionError(**e) for e in data.get("errors", [])],
            evaluation=data.get("evaluation"),
            engine_version=data.get("engine_version", ""),
            duration_s=data.get("duration_s"),
            lifecycle=data.get("lifecycle"),
            explain=data.get("explain"),
        )


def tally_resources(resources: Iterable[Resource], tally: dict[tuple[str, str, str], int]) -> None:
    """Add ``resources`` to ``tally``, counts per (account, region, type)."""
    for resource in resources:
        key = (resource.account_id, resource.region, resource.resource_type)
        tally[key] = tally.get(key, 0) + 1


def count_resources(
    resources: Iterable[Resource], tally: dict[tuple[str, str, str], int] | None = None
) -> list[dict[str, Any]]:
    """Counts per (account, region, type), sorted, for the manifest. ``tally`` carries the
    counts of earlier batches (the pipeline counts a streamed inventory batch by batch)."""
    tally = {} if tally is None else tally
    tally_resources(resources, tally)
    return [
        {"account_id": a, "region": r, "resource_type": t, "count": n}
        for (a, r, t), n in sorted(tally.items())
    ]
