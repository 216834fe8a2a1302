#!/usr/bin/env bash
# Static checks of the deployment in terraform/ (run from anywhere; CI runs it from .ci/run):
#
#   1. terraform fmt -check -recursive terraform/
#   2. terraform init -plugin-dir=<mirror> -backend=false, then terraform validate, in a copy of
#      the example root (the machine image carries hashicorp/aws 5.100.0 as an unpacked plugin
#      mirror; no registry is reachable). Without the mirror: "SKIPPED: no provider mirror".
#   3. terraform plan of the example root against moto's STS on 127.0.0.1 (one account and
#      region; member accounts with an ExternalId; a bad account id that must be refused): only a
#      plan evaluates expressions, validations and preconditions with values.
#   4. asl-validator on the state machine definition as Terraform renders it (npm package,
#      installed into .node_modules-ci/ on first use).
#   5. checkov on terraform/ in its own venv (.venv-checkov/: it pins an old boto3 and its
#      bc-python-hcl2 replaces python-hcl2's module); any failed check fails the script. Every
#      skip is a #checkov:skip comment with its reason beside the resource.
#
# Exit 0 only when every step that ran passed; a skipped step says so in capitals.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PIP_DISABLE_PIP_VERSION_CHECK=1
export CHECKPOINT_DISABLE=1 # no call home from terraform
python=${PYTHON:-python3}

echo "== terraform fmt"
if ! command -v terraform >/dev/null; then
  echo "SKIPPED: no terraform binary, so no provider mirror either (fmt and validate not run)"
  tf=""
else
  tf=terraform
  terraform version | sed -n 1p
  terraform fmt -check -recursive -diff terraform/
  echo "fmt: ok"
fi

echo "== terraform validate (examples/complete)"
if [ -n "$tf" ]; then
  # TF_PROVIDER_MIRROR names the mirror root; otherwise look where the image puts it, then search.
  provider_dir=""
  for candidate in ${TF_PROVIDER_MIRROR:-} /opt/tf-plugins; do
    if [ -d "$candidate/registry.terraform.io/hashicorp/aws/5.100.0" ]; then
      provider_dir="$candidate/registry.terraform.io/hashicorp/aws/5.100.0"
      break
    fi
  done
  if [ -z "$provider_dir" ]; then
    provider_dir=$(find / -type d -path '*registry.terraform.io/hashicorp/aws/5.100.0' 2>/dev/null | head -n 1 || true)
  fi
  if [ -z "$provider_dir" ]; then
    echo "SKIPPED: no provider mirror (hashicorp/aws 5.100.0 not found on this machine)"
  else
    mirror=${provider_dir%/registry.terraform.io/*}
    echo "provider mirror: $mirror"
    # A copy, so .terraform/ and the lock file never land in the work tree.
    cp -R terraform "$work/terraform"
    (
      cd "$work/terraform/examples/complete"
      terraform init -input=false -no-color -backend=false -plugin-dir="$mirror" >"$work/init.log" 2>&1 \
        || { cat "$work/init.log"; exit 1; }
      terraform validate -no-color
    )
  fi
fi

echo "== terraform plan (examples/complete against moto's STS)"
# validate checks types; only a plan evaluates the expressions, variable validations and
# preconditions with real values. The plan calls nothing but STS (GetCallerIdentity, and
# AssumeRole for the member provider), which moto's server answers on 127.0.0.1.
if [ -z "$tf" ] || [ -z "${mirror:-}" ]; then
  echo "SKIPPED: no provider mirror, no plan"
elif ! "$python" -c "import moto.server, flask, flask_cors" 2>/dev/null; then
  echo "SKIPPED: terraform plan needs moto's server (flask, flask-cors): pip install -e '.[dev]'"
else
  port=$("$python" -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
  "$python" -c "
import signal
from moto.server import ThreadedMotoServer
ThreadedMotoServer(ip_address='127.0.0.1', port=$port).start()
signal.pause()
" >"$work/moto.log" 2>&1 &
  moto_pid=$!
  trap 'kill "$moto_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
  for _ in $(seq 100); do
    "$python" -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null && break
    sleep 0.1
  done
  "$python" -c "import zipfile; zipfile.ZipFile('$work/lambda.zip', 'w').writestr('lambdas/__init__.py', '')"
  endpoint="http://127.0.0.1:$port"
  cat >"$work/terraform/examples/complete/zz_moto_override.tf" <<EOF
provider "aws" {
  region                      = "us-east-1"
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  endpoints {
    sts = "$endpoint"
    iam = "$endpoint"
  }
}

provider "aws" {
  alias                       = "member"
  region                      = "us-east-1"
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  endpoints {
    sts = "$endpoint"
    iam = "$endpoint"
  }
}
EOF
  plan() { # plan NAME EXPECT(ok|fail) [PATTERN] -- terraform args...
    local name=$1 expect=$2 pattern=$3
    shift 4
    local log="$work/plan-$name.log"
    if (cd "$work/terraform/examples/complete" && AWS_EC2_METADATA_DISABLED=true \
      terraform plan -input=false -no-color -lock=false -var "lambda_zip_path=$work/lambda.zip" "$@") >"$log" 2>&1; then
      status=ok
    else
      status=fail
    fi
    if [ "$status" != "$expect" ] || ! grep -q -- "$pattern" "$log"; then
      tail -n 40 "$log"
      echo "FAILED: plan '$name' expected $expect with '$pattern', got $status"
      exit 1
    fi
    echo "plan $name: $expect ($(grep -m1 -o -- "$pattern" "$log"))"
  }
  plan one-account-one-region ok "Plan: [0-9]* to add" --
  cat >"$work/members.tfvars" <<'EOF'
regions             = ["us-east-1", "eu-west-1"]
external_id         = "inventory-2026"
member_accounts     = [{ account_id = "111122223333" }, { account_id = "444455556666", regions = ["eu-central-1"] }]
bedrock_model_id    = null
notification_emails = ["ops@example.com"]
EOF
  plan members-regions-external-id ok "Plan: [0-9]* to add" -- -var-file="$work/members.tfvars"
  plan bad-account-id fail "must be a 12-digit AWS account id" -- \
    -var 'member_accounts=[{account_id="12345"}]'
fi

echo "== asl-validator (the rendered state machine definition)"
command -v npm >/dev/null || { echo "FAILED: npm is needed for asl-validator"; exit 1; }
node_dir="$root/.node_modules-ci"
validator="$node_dir/node_modules/.bin/asl-validator"
if [ ! -x "$validator" ]; then
  npm install --silent --no-audit --no-fund --prefix "$node_dir" asl-validator@4.0.0 >/dev/null
fi
"$python" -m tests.support.terraform render "$work/statemachine.asl.json"
"$validator" --json-path "$work/statemachine.asl.json"

echo "== checkov"
venv="$root/.venv-checkov"
if [ ! -x "$venv/bin/checkov" ]; then
  "$python" -m venv "$venv"
  "$venv/bin/pip" install -q "checkov>=3.2,<4"
fi
"$venv/bin/checkov" --version
set +e
BC_SKIP_MAPPING=TRUE "$venv/bin/checkov" -d terraform/ --framework terraform --quiet --compact \
  --skip-download --output cli --output json --output-file-path "console,$work/checkov.json" \
  >"$work/checkov.txt" 2>&1
status=$?
set -e
cat "$work/checkov.txt"
"$python" - "$work/checkov.json" <<'EOF'
import json, sys
data = json.load(open(sys.argv[1]))
reports = data if isinstance(data, list) else [data]
totals = {"passed": 0, "failed": 0, "skipped": 0}
for report in reports:
    for key in totals:
        totals[key] += report.get("summary", {}).get(key, 0)
print("checkov summary: passed={passed} failed={failed} skipped={skipped}".format(**totals))
EOF
if [ "$status" -ne 0 ]; then
  echo "FAILED: checkov reported failed checks (exit $status)"
  exit 1
fi
echo "check-terraform: all checks passed"
