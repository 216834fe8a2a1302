variable "collector_role_arn" {
  description = "ARN of the collector Lambda's role in the central account (output collector_role_arn of the engine module): the only principal this role trusts."
  type        = string

  validation {
    condition     = can(regex("^arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:role/.+$", var.collector_role_arn))
    error_message = "collector_role_arn must be an IAM role ARN, e.g. arn:aws:iam::111122223333:role/aws-inventory-collector."
  }
}

variable "external_id" {
  description = "If set, AssumeRole must pass this ExternalId (the engine module's targets carry it per account). Not a secret, but unique per deployment."
  type        = string
  default     = null

  validation {
    # RE2 caps a repetition at 1000, so the length is checked apart.
    condition = var.external_id == null ? true : (
      can(regex("^[A-Za-z0-9+=,.@:/-]+$", var.external_id)) && length(var.external_id) >= 2 && length(var.external_id) <= 1224
    )
    error_message = "external_id must be 2-1224 characters of A-Z a-z 0-9 and +=,.@:/- (the AssumeRole limits)."
  }
}

variable "role_name" {
  description = "Name of the read role; the engine's targets name it in role_arn."
  type        = string
  default     = "aws-inventory-read"

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.role_name))
    error_message = "role_name must be 1-64 characters of A-Z a-z 0-9 and +=,.@_-."
  }
}

variable "role_path" {
  description = "IAM path of the role."
  type        = string
  default     = "/"

  validation {
    condition     = can(regex("^/([A-Za-z0-9+=,.@_-]+/)*$", var.role_path))
    error_message = "role_path must start and end with /."
  }
}

variable "max_session_duration" {
  description = "Longest session the collector may ask for, in seconds (it asks for 3600 and refreshes)."
  type        = number
  default     = 3600

  validation {
    condition     = var.max_session_duration >= 3600 && var.max_session_duration <= 43200
    error_message = "max_session_duration must be 3600-43200 seconds (the IAM limits)."
  }
}

variable "allow_list_accounts" {
  description = "Also allow organizations:ListAccounts (management account or delegated administrator only)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for the role."
  type        = map(string)
  default     = {}
}
