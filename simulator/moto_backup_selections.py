"""The AWS Backup operations moto 5.2 lacks, answered for the simulated account.

Demo and test support, not product code. moto implements backup plans and vaults but not
CreateBackupSelection, ListBackupSelections, GetBackupSelection or ListProtectedResources (it
raises ``NotImplementedError`` in-process). ``install(session, ...)`` registers botocore event
handlers on one boto3 ``Session`` that answer exactly those four operations from an in-memory
store, so the real collectors run unchanged against the simulated account.

Why event handlers rather than a moto backend extension: moto routes requests through
module-level URL tables shared by every moto user in the process; patching them would change
moto for everyone. Handlers on one session touch nothing else. The hook is ``before-call``:
its first non-None answer short-circuits the HTTP send, and moto is never asked. (``before-send``
is broadcast to every handler, so moto's own stubber would still receive, and fail, the
request.) botocore calls handlers of a more specific event name first, so the answer is
registered on plain ``before-call`` with ``register_last`` and picks its four operations itself:
per-client hooks on ``before-call``, such as the API-call counter, still run before it.
The parameters are captured at ``before-parameter-build``; botocore has validated them against
the service model by the time ``before-call`` fires. Answers use the service model's output
shapes (``tests/test_simulated_backup.py`` validates them with botocore's shape validator) and
errors the operations document: ResourceNotFoundException, InvalidParameterValueException.

Recovery points: moto has no backup jobs, so ``record_recovery_point`` is this store's own seam
for the builder; ListProtectedResources reports what it recorded.
"""

from __future__ import annotations

import copy
import hashlib
import weakref
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, cast

import boto3
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.exceptions import ClientError

OPERATIONS = (
    "CreateBackupSelection",
    "ListBackupSelections",
    "GetBackupSelection",
    "ListProtectedResources",
)
_PARAMS = "simulator.backup_params"  # key in botocore's per-call context dict
_SELECTION_FIELDS = ("Resources", "NotResources", "ListOfTags")
_CONDITION_OPERATORS = ("StringEquals", "StringNotEquals", "StringLike", "StringNotLike")
_STORES: weakref.WeakKeyDictionary[boto3.Session, BackupSelectionStore] = (
    weakref.WeakKeyDictionary()
)


class _ApiError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class BackupSelectionStore:
    """Backup selections and protected resources of one simulated account, per region."""

    def __init__(
        self, account_id: str, plan_clients: dict[str, Any], clock: Callable[[], datetime]
    ) -> None:
        self.account_id = account_id
        self._plan_clients = plan_clients  # region -> moto-backed backup client, for plan checks
        self._clock = clock
        self._selections: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
        self._protected: dict[str, dict[str, dict[str, Any]]] = {}

    # -- the seam the builder uses ------------------------------------------------------------

    def record_recovery_point(
        self, region: str, resource_arn: str, resource_type: str, at: datetime, vault_name: str
    ) -> None:
        """Note a completed backup of ``resource_arn`` at ``at`` (the newest one wins)."""
        known = self._protected.setdefault(region, {}).get(resource_arn)
        if known is not None and known["LastBackupTime"] >= at:
            return
        backup = f"arn:aws:backup:{region}:{self.account_id}"
        self._protected[region][resource_arn] = {
            "ResourceArn": resource_arn,
            "ResourceType": resource_type,
            "ResourceName": resource_arn.rsplit(":", 1)[-1].rsplit("/", 1)[-1],
            "LastBackupTime": at,
            "LastBackupVaultArn": f"{backup}:backup-vault:{vault_name}",
            "LastRecoveryPointArn": f"{backup}:recovery-point:{_digest(resource_arn, at)}",
        }

    # -- the four operations -----------------------------------------------------------------

    def create_backup_selection(self, region: str, params: dict[str, Any]) -> dict[str, Any]:
        plan_id = self._known_plan(region, params["BackupPlanId"])
        body = copy.deepcopy(params["BackupSelection"])
        # Unset lists come back empty, as the API answers them.
        for name in _SELECTION_FIELDS:
            body.setdefault(name, [])
        conditions = body.setdefault("Conditions", {})
        for operator in _CONDITION_OPERATORS:
            conditions.setdefault(operator, [])
        selections = self._selections.setdefault((region, plan_id), {})
        selection_id = _digest(region, plan_id, body["SelectionName"], str(len(selections)))
        created = self._clock()
        selections[selection_id] = {
            "BackupSelection": body,
            "SelectionId": selection_id,
            "BackupPlanId": plan_id,
            "CreationDate": created,
            "CreatorRequestId": params.get("CreatorRequestId"),
        }
        return {"SelectionId": selection_id, "BackupPlanId": plan_id, "CreationDate": created}

    def list_backup_selections(self, region: str, params: dict[str, Any]) -> dict[str, Any]:
        plan_id = self._known_plan(region, params["BackupPlanId"])
        items = [
            {
                "SelectionId": s["SelectionId"],
                "SelectionName": s["BackupSelection"]["SelectionName"],
                "BackupPlanId": plan_id,
                "CreationDate": s["CreationDate"],
                "IamRoleArn": s["BackupSelection"]["IamRoleArn"],
                **({"CreatorRequestId": s["CreatorRequestId"]} if s["CreatorRequestId"] else {}),
            }
            for s in self._selections.get((region, plan_id), {}).values()
        ]
        return _page(items, "BackupSelectionsList", params)

    def get_backup_selection(self, region: str, params: dict[str, Any]) -> dict[str, Any]:
        plan_id = self._known_plan(region, params["BackupPlanId"])
        found = self._selections.get((region, plan_id), {}).get(params["SelectionId"])
        if found is None:
            raise _ApiError("ResourceNotFoundException", "Failed reading backup selection")
        answer = {k: v for k, v in copy.deepcopy(found).items() if v is not None}
        return answer

    def list_protected_resources(self, region: str, params: dict[str, Any]) -> dict[str, Any]:
        rows = sorted(self._protected.get(region, {}).values(), key=lambda r: r["ResourceArn"])
        return _page(copy.deepcopy(rows), "Results", params)

    def _known_plan(self, region: str, plan_id: str) -> str:
        try:
            self._plan_clients[region].get_backup_plan(BackupPlanId=plan_id)
        except ClientError as exc:
            raise _ApiError("ResourceNotFoundException", f"no backup plan {plan_id}") from exc
        return plan_id

    # -- botocore plumbing -------------------------------------------------------------------

    def capture(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context[_PARAMS] = copy.deepcopy(params)

    def answer(
        self, model: Any, context: dict[str, Any], **_: Any
    ) -> tuple[AWSResponse, Any] | None:
        if model.service_model.service_name != "backup" or model.name not in OPERATIONS:
            return None
        method = getattr(self, _snake(model.name))
        region = str(context.get("client_region"))
        try:
            body = method(region, context.get(_PARAMS, {}))
        except _ApiError as exc:
            error = {"Code": exc.code, "Message": str(exc)}
            return _http(400), {"Error": error, "ResponseMetadata": _metadata(400)}
        return _http(200), dict(body, ResponseMetadata=_metadata(200))


def install(
    session: boto3.Session,
    account_id: str,
    regions: Iterable[str],
    clock: Callable[[], datetime],
) -> BackupSelectionStore:
    """Answer the four operations for clients created from ``session`` after this call.

    Installing twice on one session returns the first store.
    """
    existing = _STORES.get(session)
    if existing is not None:
        return existing
    # Built before the handlers are registered: these clients reach moto for GetBackupPlan.
    plan_clients = {r: session.client("backup", region_name=r) for r in regions}
    store = BackupSelectionStore(account_id, plan_clients, clock)
    # botocore-stubs type handlers as returning None; a before-call handler may return an answer.
    events = cast(Any, session.events)
    for operation in OPERATIONS:
        events.register(f"before-parameter-build.backup.{operation}", store.capture)
    events.register_last("before-call", store.answer)
    _STORES[session] = store
    return store


def store_for(session: boto3.Session) -> BackupSelectionStore | None:
    """The store installed on ``session``, if any."""
    return _STORES.get(session)


def _page(items: list[dict[str, Any]], key: str, params: dict[str, Any]) -> dict[str, Any]:
    size = int(params.get("MaxResults") or 50)
    token = params.get("NextToken")
    try:
        start = int(str(token).removeprefix("sim-")) if token else 0
    except ValueError as exc:
        raise _ApiError("InvalidParameterValueException", "invalid NextToken") from exc
    answer: dict[str, Any] = {key: items[start : start + size]}
    if start + size < len(items):
        answer["NextToken"] = f"sim-{start + size}"
    return answer


def _http(status: int) -> AWSResponse:
    return AWSResponse("https://backup.simulated.invalid/", status, HTTPHeaders(), None)


def _metadata(status: int) -> dict[str, Any]:
    return {"RequestId": "simulated", "HTTPStatusCode": status, "HTTPHeaders": {}}


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def _digest(*parts: object) -> str:
    text = hashlib.sha256("\x00".join(str(p) for p in parts).encode()).hexdigest()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:32]}"
