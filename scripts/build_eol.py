"""Build the engine's own end-of-life data file from the shared, curated AWS EOL dataset.

Where it sits: offline, before packaging. Its output, ``rules/data/eol.yaml``, ships inside the
``rules`` package and is read (lazily) by ``engine.lifecycle``, which rules reach through a
JMESPath function during the evaluate stage. Nothing at run time reads the shared dataset.

What it does: keeps the products the engine evaluates, renames them to short engine names,
reduces every release to one fixed shape with ISO date strings, and keeps the provenance
(sources with commits, ``data_read_on``, per-product source, notes and confidence). The output
is deterministic: the same input gives the same bytes.

Usage, from the repository root::

    python scripts/build_eol.py [SOURCE] [--output rules/data/eol.yaml]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from datetime import date
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = REPO_ROOT / ".." / "shared" / "data" / "eol" / "aws-eol.yaml"
DEFAULT_OUTPUT = REPO_ROOT / "rules" / "data" / "eol.yaml"
COMMAND = "python scripts/build_eol.py ../shared/data/eol/aws-eol.yaml"

# upstream product key -> engine product key; the order here is the order in the output.
PRODUCTS: dict[str, str] = {
    "aws-lambda": "lambda",
    "amazon-rds-mysql": "rds-mysql",
    "amazon-rds-postgresql": "rds-postgresql",
    "amazon-rds-mariadb": "rds-mariadb",
    "amazon-aurora-mysql": "aurora-mysql",
    "amazon-aurora-postgresql": "aurora-postgresql",
    "amazon-eks": "eks",
}
# engine product key -> key of its entry in the dataset's ``version_normalization`` section.
NORMALIZATION_KEYS: dict[str, str] = {
    "lambda": "lambda",
    "rds-mysql": "rds_mysql",
    "rds-postgresql": "rds_postgres",
    "rds-mariadb": "rds_mariadb",
    "aurora-mysql": "aurora_mysql",
    "aurora-postgresql": "aurora_postgresql",
    "eks": "eks",
}
# RDS/Aurora/EKS rows carry no label upstream; these build one ("MySQL 8.0", "Kubernetes 1.29").
LABEL_PREFIXES: dict[str, str] = {
    "rds-mysql": "MySQL",
    "rds-postgresql": "PostgreSQL",
    "rds-mariadb": "MariaDB",
    "aurora-mysql": "Aurora MySQL",
    "aurora-postgresql": "Aurora PostgreSQL",
    "eks": "Kubernetes",
}
PRODUCT_FIELDS = ("name", "policy_page", "source", "semantics", "notes", "confidence")
DATE_FIELDS = ("release_date", "end_of_standard_support", "end_of_extended_support")
LAMBDA_DATE_FIELDS = ("block_function_create", "block_function_update")
OPTIONAL_RELEASE_FIELDS = ("notes", "confidence", "source")


class BuildError(Exception):
    """The shared dataset does not have the shape this script expects."""


def iso_dates(value: Any) -> Any:
    """Return ``value`` with every ``date`` (at any depth) replaced by its ISO string."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: iso_dates(item) for key, item in value.items()}
    if isinstance(value, list):
        return [iso_dates(item) for item in value]
    return value


def release_label(product: str, row: dict[str, Any]) -> str:
    """Upstream label for Lambda; a built one elsewhere (Aurora MySQL names its MySQL line)."""
    if "label" in row:
        return str(row["label"])
    label = f"{LABEL_PREFIXES[product]} {row['id']}"
    if "mysql_compat" in row:
        label += f" (MySQL {row['mysql_compat']} compatible)"
    return label


def build_release(product: str, row: dict[str, Any]) -> dict[str, Any]:
    """One release in the fixed shape; block dates only for Lambda, which alone has them."""
    try:
        release: dict[str, Any] = {"id": str(row["id"]), "label": release_label(product, row)}
        for field in DATE_FIELDS:
            # Lambda has no paid extended support, so upstream omits that field: null here.
            lambda_gap = product == "lambda" and field == "end_of_extended_support"
            release[field] = row.get(field) if lambda_gap else row[field]
        release["extended_support"] = row["extended_support"]
        if product == "lambda":
            for field in LAMBDA_DATE_FIELDS:
                release[field] = row[field]
    except KeyError as exc:
        raise BuildError(f"{product}: release {row.get('id')!r}: missing field {exc}") from exc
    for field in OPTIONAL_RELEASE_FIELDS:
        if field in row:
            release[field] = row[field]
    return release


def build_product(upstream_key: str, product: str, raw: dict[str, Any]) -> dict[str, Any]:
    """Provenance and releases of one product, in a fixed key order."""
    out: dict[str, Any] = {"upstream_key": upstream_key}
    out.update({field: raw[field] for field in PRODUCT_FIELDS if field in raw})
    out["releases"] = [build_release(product, row) for row in raw["releases"]]
    return out


def build(dataset: dict[str, Any]) -> dict[str, Any]:
    """The engine's data document built from the parsed shared dataset."""
    try:
        products = dataset["products"]
        normalization = dataset["version_normalization"]
        document: dict[str, Any] = {
            "schema_version": dataset["schema_version"],
            "data_read_on": dataset["data_read_on"],
            "sources": dataset["sources"],
            "version_normalization": {
                product: normalization[key] for product, key in NORMALIZATION_KEYS.items()
            },
            "products": {
                product: build_product(upstream, product, products[upstream])
                for upstream, product in PRODUCTS.items()
            },
        }
    except KeyError as exc:
        raise BuildError(f"shared dataset: missing key {exc}") from exc
    return iso_dates(document)  # type: ignore[no-any-return]


def header(source_name: str, digest: str, data_read_on: str) -> str:
    """The comment block that says the file is generated, from what and by which command."""
    return (
        "# GENERATED FILE: do not edit by hand.\n"
        f"# Generated from {source_name} (sha256 {digest}), data read on {data_read_on},\n"
        "# the shared curated AWS end-of-life dataset (see its README for the upstream files).\n"
        f"# Regenerate from the repository root with: {COMMAND}\n"
        "# Upstream data: endoflife.date (MIT) and cfn-lint (MIT-0); commits under `sources`.\n"
        "# Dates are ISO strings (UTC calendar days); null = not announced or not applicable.\n"
    )


def render(source_bytes: bytes, source_name: str) -> str:
    """The complete output text for the given shared dataset bytes."""
    document = build(yaml.safe_load(source_bytes))
    digest = hashlib.sha256(source_bytes).hexdigest()
    body = yaml.safe_dump(
        document, sort_keys=False, default_flow_style=False, allow_unicode=True, width=100
    )
    return header(source_name, digest, document["data_read_on"]) + body


def main(argv: list[str] | None = None) -> int:
    """Read the shared dataset, write the engine's data file; exit 2 on unusable input."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--output", "-o", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    try:
        text = render(args.source.read_bytes(), args.source.name)
    except (OSError, yaml.YAMLError, BuildError) as exc:
        print(f"build_eol: {args.source}: {exc}", file=sys.stderr)
        return 2
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8", newline="\n")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
