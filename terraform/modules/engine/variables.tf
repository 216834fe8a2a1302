# --- naming and the scan's scope ------------------------------------------------------------

variable "name_prefix" {
  description = "Prefix of every resource name (functions, roles, state machine, topics, queue, key alias)."
  type        = string
  default     = "aws-inventory"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,38}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-40 characters of a-z, 0-9 and -, starting with a letter."
  }
}

variable "table_name" {
  description = "Name of the DynamoDB history table (engine/store/codec.py TABLE_NAME is the default)."
  type        = string
  default     = "aws-inventory"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{3,255}$", var.table_name))
    error_message = "table_name must be 3-255 characters of A-Z a-z 0-9 _ . - (the DynamoDB rule)."
  }
}

variable "accounts" {
  description = <<-EOT
    Accounts to scan. account_id: 12 digits. role_arn: the member-role module's role in that
    account; leave it out for the deployment account itself, which the collector then reads with
    its own role. external_id: if the member role requires one. regions: overrides var.regions
    for this account. Each (account, region) pair is one item of the state machine's Map.
  EOT
  type = list(object({
    account_id  = string
    role_arn    = optional(string)
    external_id = optional(string)
    regions     = optional(list(string))
  }))

  validation {
    condition     = length(var.accounts) > 0
    error_message = "accounts must name at least one account."
  }
  validation {
    condition     = alltrue([for a in var.accounts : can(regex("^[0-9]{12}$", a.account_id))])
    error_message = "accounts[*].account_id must be a 12-digit AWS account id."
  }
  validation {
    condition     = length(distinct([for a in var.accounts : a.account_id])) == length(var.accounts)
    error_message = "accounts must not list the same account_id twice (give it several regions instead)."
  }
  validation {
    condition = alltrue([
      for a in var.accounts : a.role_arn == null || can(regex("^arn:aws(-cn|-us-gov)?:iam::${a.account_id}:role/.+$", a.role_arn))
    ])
    error_message = "accounts[*].role_arn must be an IAM role ARN in that same account (arn:aws:iam::<account_id>:role/<name>)."
  }
  validation {
    condition = alltrue([
      # RE2 caps a repetition at 1000, so the length is checked apart.
      for a in var.accounts : a.external_id == null ? true : (
        can(regex("^[A-Za-z0-9+=,.@:/-]+$", a.external_id)) && length(a.external_id) >= 2 && length(a.external_id) <= 1224
      )
    ])
    error_message = "accounts[*].external_id must be 2-1224 characters of A-Z a-z 0-9 and +=,.@:/-."
  }
  validation {
    condition     = alltrue([for a in var.accounts : a.external_id == null || a.role_arn != null])
    error_message = "accounts[*].external_id only makes sense with a role_arn."
  }
  validation {
    condition = alltrue(flatten([
      for a in var.accounts : [for r in coalesce(a.regions, ["us-east-1"]) : can(regex("^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]+$", r))]
    ]))
    error_message = "accounts[*].regions must be region names such as eu-west-1."
  }
  validation {
    condition     = alltrue([for a in var.accounts : a.regions == null ? true : length(a.regions) > 0])
    error_message = "accounts[*].regions, when given, must name at least one region (leave it out to use var.regions)."
  }
}

variable "regions" {
  description = "Regions scanned in every account that does not list its own."
  type        = list(string)

  validation {
    condition     = length(var.regions) > 0 && length(distinct(var.regions)) == length(var.regions)
    error_message = "regions must name at least one region, each once."
  }
  validation {
    condition     = alltrue([for r in var.regions : can(regex("^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]+$", r))])
    error_message = "regions must be region names such as eu-west-1 (\"all\" is a CLI option, not a deployment one)."
  }
}

# --- the Lambda functions -------------------------------------------------------------------

variable "lambda_zip_path" {
  description = "Path to the deployment zip both functions run (the build of lambdas/ with its dependencies)."
  type        = string

  validation {
    condition     = endswith(var.lambda_zip_path, ".zip")
    error_message = "lambda_zip_path must point to a .zip file."
  }
}

variable "lambda_architecture" {
  description = "Instruction set of the functions; must match the wheels inside the zip."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.lambda_architecture)
    error_message = "lambda_architecture must be x86_64 or arm64."
  }
}

variable "lambda_layer_arns" {
  description = "Layers (e.g. dependencies) added to both functions, if the build splits code and layer."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.lambda_layer_arns) <= 5
    error_message = "A function takes at most 5 layers."
  }
}

variable "collector_handler" {
  description = "Handler of the collector function (module.function)."
  type        = string
  default     = "lambdas.collector.handler"

  validation {
    condition     = can(regex("^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)+$", var.collector_handler))
    error_message = "collector_handler must be a dotted module.function path, e.g. lambdas.collector.handler."
  }
}

variable "analyser_handler" {
  description = "Handler of the analyser function (module.function)."
  type        = string
  default     = "lambdas.analyser.handler"

  validation {
    condition     = can(regex("^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)+$", var.analyser_handler))
    error_message = "analyser_handler must be a dotted module.function path, e.g. lambdas.analyser.handler."
  }
}

variable "collector_memory_mb" {
  description = "Memory of the collector function, MB."
  type        = number
  default     = 512

  validation {
    condition     = var.collector_memory_mb >= 128 && var.collector_memory_mb <= 10240
    error_message = "collector_memory_mb must be 128-10240."
  }
}

variable "collector_timeout_s" {
  description = "Timeout of one collector invocation (one account and region), seconds."
  type        = number
  default     = 300

  validation {
    condition     = var.collector_timeout_s >= 10 && var.collector_timeout_s <= 900
    error_message = "collector_timeout_s must be 10-900 (Lambda's limit is 900)."
  }
}

variable "analyser_memory_mb" {
  description = "Memory of the analyser function, MB. 1769 MB is one full vCPU (the evaluation is single-threaded): 100,000 resources (164,471 findings) are analysed in about 30 s at under 400 MB; 1,000,000 need about 4096 MB (2.7 GB measured; README, Performance)."
  type        = number
  default     = 1769

  validation {
    condition     = var.analyser_memory_mb >= 128 && var.analyser_memory_mb <= 10240
    error_message = "analyser_memory_mb must be 128-10240."
  }
}

variable "analyser_timeout_s" {
  description = "Timeout of the analyser, seconds; it must leave room for the Bedrock budget (45 s by default). Lambda's maximum: the analyser of a large estate reads, evaluates and writes every resource and finding."
  type        = number
  default     = 900

  validation {
    condition     = var.analyser_timeout_s >= 10 && var.analyser_timeout_s <= 900
    error_message = "analyser_timeout_s must be 10-900 (Lambda's limit is 900)."
  }
}

variable "reserve_concurrency" {
  description = "Reserve concurrency: the collector gets max_concurrency, the analyser 1. Turn off in accounts whose Lambda concurrency quota is still the new-account 10 (reservations there fail)."
  type        = bool
  default     = true
}

variable "log_level" {
  description = "Log level of the handlers (POWERTOOLS_LOG_LEVEL)."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARNING or ERROR."
  }
}

variable "log_retention_days" {
  description = "Retention of the functions' and the state machine's log groups, days."
  type        = number
  default     = 7

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "enable_xray" {
  description = "Trace the functions and the state machine with AWS X-Ray."
  type        = bool
  default     = true
}

# --- the store ------------------------------------------------------------------------------

variable "retention_days" {
  description = "Days a scan's items are kept: the store writes expires_at = scan start + this, and DynamoDB TTL deletes them."
  type        = number
  default     = 90

  validation {
    condition     = var.retention_days >= 1 && var.retention_days <= 3650
    error_message = "retention_days must be 1-3650."
  }
}

variable "deletion_protection" {
  description = "Protect the table from deletion (turn off before `terraform destroy`)."
  type        = bool
  default     = true
}

# --- the schedule and the state machine -----------------------------------------------------

variable "schedule_expression" {
  description = "When the scan runs (EventBridge Scheduler expression)."
  type        = string
  default     = "cron(0 2 * * ? *)"

  validation {
    condition     = can(regex("^(cron\\(.+\\)|rate\\([0-9]+ (minute|minutes|hour|hours|day|days)\\))$", var.schedule_expression))
    error_message = "schedule_expression must be cron(...) or rate(N unit)."
  }
}

variable "schedule_timezone" {
  description = "Time zone of schedule_expression (IANA name)."
  type        = string
  default     = "UTC"

  validation {
    condition     = can(regex("^(UTC|[A-Za-z]+(/[A-Za-z0-9_+-]+)+)$", var.schedule_timezone))
    error_message = "schedule_timezone must be UTC or an IANA zone name such as Europe/Paris."
  }
}

variable "schedule_enabled" {
  description = "Whether the schedule is ENABLED (true) or DISABLED."
  type        = bool
  default     = true
}

variable "schedule_retry_attempts" {
  description = "How often EventBridge Scheduler retries starting the state machine before the event goes to the dead-letter queue."
  type        = number
  default     = 2

  validation {
    condition     = var.schedule_retry_attempts >= 0 && var.schedule_retry_attempts <= 185
    error_message = "schedule_retry_attempts must be 0-185 (the Scheduler limit)."
  }
}

variable "max_concurrency" {
  description = "Collector invocations running at once (the Distributed Map's MaxConcurrency)."
  type        = number
  default     = 10

  validation {
    condition     = var.max_concurrency >= 1 && var.max_concurrency <= 1000 && floor(var.max_concurrency) == var.max_concurrency
    error_message = "max_concurrency must be a whole number 1-1000."
  }
}

variable "tolerated_failure_percentage" {
  description = "Share of (account, region) items that may fail after retries with the scan still analysed and reported as partial; above it the execution fails."
  type        = number
  default     = 10

  validation {
    condition     = var.tolerated_failure_percentage >= 0 && var.tolerated_failure_percentage <= 100
    error_message = "tolerated_failure_percentage must be 0-100."
  }
}

variable "state_machine_log_level" {
  description = "Step Functions log level: ALL, ERROR, FATAL or OFF."
  type        = string
  default     = "ERROR"

  validation {
    condition     = contains(["ALL", "ERROR", "FATAL", "OFF"], var.state_machine_log_level)
    error_message = "state_machine_log_level must be ALL, ERROR, FATAL or OFF."
  }
}

# --- Bedrock, notification, reports ---------------------------------------------------------

variable "bedrock_model_id" {
  description = "Bedrock model or inference profile id for Converse (e.g. us.anthropic.claude-sonnet-4-6); null turns Bedrock off (deterministic ranking only)."
  type        = string
  default     = "us.anthropic.claude-sonnet-4-6"

  validation {
    condition     = var.bedrock_model_id == null || can(regex("^[a-z0-9-]+(\\.[a-z0-9-]+)+(:[0-9]+)?(:[a-z0-9]+)?$", var.bedrock_model_id))
    error_message = "bedrock_model_id must look like provider.model (or geo.provider.model for an inference profile)."
  }
}

variable "bedrock_region" {
  description = "Region the analyser calls Bedrock in; null means the deployment region. A us. profile needs a US region."
  type        = string
  default     = null

  validation {
    condition     = var.bedrock_region == null || can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]+$", var.bedrock_region))
    error_message = "bedrock_region must be a region name such as us-east-1."
  }
}

variable "include_resource_names_in_prompt" {
  description = "Let resource names reach Bedrock (they are untrusted text; off by default)."
  type        = bool
  default     = false
}

variable "notification_emails" {
  description = "Addresses subscribed to the daily summary topic (each must confirm the subscription)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.notification_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "notification_emails must be e-mail addresses."
  }
}

variable "alarm_emails" {
  description = "Addresses subscribed to the alarm topic."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.alarm_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "alarm_emails must be e-mail addresses."
  }
}

variable "create_report_bucket" {
  description = "Create a private S3 bucket for the full HTML reports (off: the analyser only sends the e-mail summary)."
  type        = bool
  default     = true
}

variable "report_bucket_name" {
  description = "Name of the report bucket; null means <name_prefix>-reports-<account id>-<region>."
  type        = string
  default     = null

  validation {
    condition     = var.report_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.report_bucket_name))
    error_message = "report_bucket_name must be a valid S3 bucket name (3-63 characters of a-z 0-9 . -)."
  }
}

variable "report_prefix" {
  description = "Key prefix of the reports in the bucket; the analyser may write only under it."
  type        = string
  default     = "reports/"

  validation {
    condition     = can(regex("^[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*/$", var.report_prefix))
    error_message = "report_prefix must be a key prefix ending in /, e.g. reports/."
  }
}

variable "report_expiration_days" {
  description = "Days after which a report object expires."
  type        = number
  default     = 90

  validation {
    condition     = var.report_expiration_days >= 1
    error_message = "report_expiration_days must be at least 1."
  }
}

variable "report_noncurrent_expiration_days" {
  description = "Days after which an overwritten (noncurrent) report version is deleted."
  type        = number
  default     = 30

  validation {
    condition     = var.report_noncurrent_expiration_days >= 1
    error_message = "report_noncurrent_expiration_days must be at least 1."
  }
}

# --- alarms ---------------------------------------------------------------------------------

variable "lambda_error_rate_threshold_percent" {
  description = "Alarm when a function's errors exceed this share of its invocations (15-minute window)."
  type        = number
  default     = 5

  validation {
    condition     = var.lambda_error_rate_threshold_percent > 0 && var.lambda_error_rate_threshold_percent <= 100
    error_message = "lambda_error_rate_threshold_percent must be in (0, 100]."
  }
}

variable "lambda_duration_threshold_percent" {
  description = "Alarm when a function's longest run exceeds this share of its timeout."
  type        = number
  default     = 80

  validation {
    condition     = var.lambda_duration_threshold_percent > 0 && var.lambda_duration_threshold_percent < 100
    error_message = "lambda_duration_threshold_percent must be in (0, 100)."
  }
}

variable "dynamodb_throttle_threshold" {
  description = "Alarm when the table's (and its index's) throttle events in 15 minutes exceed this count."
  type        = number
  default     = 0

  validation {
    condition     = var.dynamodb_throttle_threshold >= 0
    error_message = "dynamodb_throttle_threshold must be 0 or more."
  }
}

variable "kms_deletion_window_days" {
  description = "Waiting period before the customer managed key is deleted after a destroy."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_days >= 7 && var.kms_deletion_window_days <= 30
    error_message = "kms_deletion_window_days must be 7-30."
  }
}

variable "tags" {
  description = "Tags for every resource that takes them."
  type        = map(string)
  default     = {}
}
