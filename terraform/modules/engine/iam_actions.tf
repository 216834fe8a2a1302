# What each role may do, as data. One map per role: key = the statement's Sid in iam.tf,
# value = its actions. iam.tf builds every statement from these maps and nothing else, so the
# least-privilege test can compare them with the AWS calls recorded from the code:
#
#   collector_actions   calls the collector's code makes with its own role (plus, when the
#                       deployment account is scanned without a role, module.own_account_read:
#                       the same read policy as the member-role module)
#   analyser_actions    calls the analyser's code makes
#   lambda_runtime_actions   made by the Lambda service for either function (logs, traces),
#                            never by our code: keep them out of the recorded-call comparison
#   state_machine_actions, scheduler_actions   made by Step Functions and EventBridge Scheduler
#
# KMS use on our behalf (DynamoDB, SNS, S3 and CloudWatch Logs encrypting with the engine's key)
# is granted in the key policy (kms.tf), scoped by kms:ViaService, not here: no code of ours
# calls KMS, so no recorded call could justify a KMS action in these maps.
#
# Statements whose Resource is "*" are the ones whose actions have no resource types in the
# Service Authorization Reference; each such action is listed, with its page, in
# terraform/iam-unscoped-actions.json, which the tests hold every "*" statement to.

locals {
  collector_actions = {
    # sts:GetCallerIdentity needs no permission (it always works); listed to mirror the calls.
    IdentifyAccount       = ["sts:GetCallerIdentity"]
    AssumeMemberReadRoles = ["sts:AssumeRole"]
    StoreScanParts        = ["dynamodb:BatchWriteItem"]
  }

  analyser_actions = {
    # engine/store/dynamodb.py: BatchWriteItem (resources, findings, manifest, pointers) and
    # Query (partitions and the scan_date-index GSI). No GetItem, PutItem or Scan.
    StoreReadWrite = ["dynamodb:BatchWriteItem", "dynamodb:Query"]
    # The Converse API is authorised by bedrock:InvokeModel.
    # https://docs.aws.amazon.com/bedrock/latest/userguide/conversation-inference-call.html
    ExplainWithBedrock = ["bedrock:InvokeModel"]
    PublishSummary     = ["sns:Publish"]
    WriteHtmlReport    = ["s3:PutObject"]
  }

  lambda_runtime_actions = {
    # The log group exists already (lambda.tf): no logs:CreateLogGroup, so the runtime cannot
    # create a group without retention or encryption.
    WriteOwnLogs = ["logs:CreateLogStream", "logs:PutLogEvents"]
    # Active tracing: the runtime sends segments (list_awsx-ray.html: no resource types).
    SendTraces = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
  }

  state_machine_actions = {
    InvokeEngineFunctions = ["lambda:InvokeFunction"]
    # A Distributed Map runs its items as child executions of this state machine.
    # https://docs.aws.amazon.com/step-functions/latest/dg/iam-policies-eg-dist-map.html
    # (read 2026-11-25)
    StartMapRunChildren  = ["states:StartExecution"]
    ManageMapRunChildren = ["states:DescribeExecution", "states:StopExecution"]
    # Vended-log delivery to CloudWatch Logs: these actions have no resource types.
    # https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html (read 2026-11-25)
    DeliverLogs = [
      "logs:CreateLogDelivery",
      "logs:DeleteLogDelivery",
      "logs:DescribeLogGroups",
      "logs:DescribeResourcePolicies",
      "logs:GetLogDelivery",
      "logs:ListLogDeliveries",
      "logs:PutResourcePolicy",
      "logs:UpdateLogDelivery",
    ]
    # https://docs.aws.amazon.com/step-functions/latest/dg/xray-iam.html (read 2026-11-25)
    SendTraces = [
      "xray:GetSamplingRules",
      "xray:GetSamplingTargets",
      "xray:PutTelemetryRecords",
      "xray:PutTraceSegments",
    ]
  }

  scheduler_actions = {
    StartScan = ["states:StartExecution"]
    # EventBridge Scheduler sends undeliverable events to the DLQ with the schedule's role.
    # https://docs.aws.amazon.com/scheduler/latest/UserGuide/configuring-schedule-dlq.html
    # (read 2026-11-25)
    DeadLetter = ["sqs:SendMessage"]
  }
}
