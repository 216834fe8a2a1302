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


def generate(n: int, seed: int, now: datetime) -> list[Resource]:
    """N resources: the templates in turn, each clone with its own id, name, account, region."""
    rows = templates(now)
    texts = [json.dumps(row) for row in rows]
    rng = random.Random(seed)
    out = []
    for i in range(n):
        row = json.loads(texts[i % len(texts)])  # a private copy, as a real inventory has
        account, region = rng.choice(ACCOUNTS), rng.choice(REGIONS)
        old_region, old_account = str(row["region"]), str(row["account_id"])
        rid = str(row["resource_id"]).replace(old_account, account)
        if f":{old_region}:" in rid:
            rid = rid.replace(f":{old_region}:", f":{region}:")
        row["resource_id"] = f"{rid}-{i:07d}"
        row["account_id"], row["region"] = account, region
        row["name"] = f"{row['name'] or 'unnamed'}-{i:07d}"
        out.append(Resource.from_dict(row))
    return out
