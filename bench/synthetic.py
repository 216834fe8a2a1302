"""Synthetic inventories for the benchmarks, cloned from the simulated account.

The simulated account holds every resource type with both sides of every shipped rule, built
by the real collectors from moto. Cloning it N times (new ids, names, accounts and regions;
attributes as collected) gives a large inventory that is schema-valid by construction and
exercises every rule, without a hand-written generator per type drifting from the schemas.
The templates are built once per (engine, simulator, schemas) version and cached in the
temporary folder, so benchmark subprocesses do not rebuild them.
"""

from __future__ import annotations

import hashlib
import json
import random
import tempfile
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from engine.model import Resource

ROOT = Path(__file__).resolve().parents[1]
ACCOUNTS = ("111111111111", "222222222222", "333333333333")
REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2")


def _fingerprint(now: datetime) -> str:
    digest = hashlib.sha256(now.isoformat().encode())
    for folder in ("simulator", "collectors", "engine/schemas"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and path.suffix in (".py", ".json"):
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def templates(now: datetime) -> list[dict[str, object]]:
    """The simulated account's resources as dicts (cached on disk)."""
    cache = Path(tempfile.gettempdir()) / f"aws-inventory-bench-{_fingerprint(now)}.json"
    if cache.exists():
        loaded: list[dict[str, object]] = json.loads(cache.read_text())
        return loaded
    from engine.sources import SimulatedSource

    resources, _ = SimulatedSource().load(now, None)
    rows = [r.to_dict() for r in resources]
    cache.write_text(json.dumps(rows))
    return rows


def _plan(n: int, seed: int, count: int) -> Iterator[tuple[int, str, str]]:
    """(template index, account, region) of each clone: the seeded draws, in order."""
    rng = random.Random(seed)
    for i in range(n):
        yield i % count, rng.choice(ACCOUNTS), rng.choice(REGIONS)


def iter_generate(n: int, seed: int, now: datetime) -> Iterator[Resource]:
    """N resources, one at a time (the same ones as ``generate``, never all held at once)."""
    rows = templates(now)
    texts = [json.dumps(row) for row in rows]
    for i, (index, account, region) in enumerate(_plan(n, seed, len(texts))):
        row = json.loads(texts[index])  # a private copy, as a real inventory has
        old_region, old_account = str(row["region"]), str(row["account_id"])
        rid = str(row["resource_id"]).replace(old_account, account)
        if f":{old_region}:" in rid:
            rid = rid.replace(f":{old_region}:", f":{region}:")
        row["resource_id"] = f"{rid}-{i:07d}"
        row["account_id"], row["region"] = account, region
        row["name"] = f"{row['name'] or 'unnamed'}-{i:07d}"
        yield Resource.from_dict(row)


def generate(n: int, seed: int, now: datetime) -> list[Resource]:
    """N resources: the templates in turn, each clone with its own id, name, account, region."""
    return list(iter_generate(n, seed, now))


def counts(n: int, seed: int, now: datetime) -> list[dict[str, object]]:
    """``engine.model.count_resources`` of ``generate(n, seed, now)``, without building it."""
    types = [str(row["resource_type"]) for row in templates(now)]
    tally: Counter[tuple[str, str, str]] = Counter(
        (account, region, types[index]) for index, account, region in _plan(n, seed, len(types))
    )
    return [
        {"account_id": a, "region": r, "resource_type": t, "count": c}
        for (a, r, t), c in sorted(tally.items())
    ]
