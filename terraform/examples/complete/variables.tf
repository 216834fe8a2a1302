variable "region" {
  description = "Region of the central deployment."
  type        = string
  default     = "us-east-1"
}

variable "name_prefix" {
  description = "Prefix of every resource name."
  type        = string
  default     = "aws-inventory"
}

variable "regions" {
  description = "Regions scanned in every account."
  type        = list(string)
  default     = ["us-east-1"]
}

variable "member_accounts" {
  description = "Member accounts to scan through their read role; regions overrides var.regions for one account."
  type = list(object({
    account_id = string
    regions    = optional(list(string))
  }))
  default = []
}

variable "member_admin_role_name" {
  description = "A role in the first member account the deployer can assume to create the read role there."
  type        = string
  default     = "OrganizationAccountAccessRole"
}

variable "external_id" {
  description = "ExternalId the member roles require (null: none)."
  type        = string
  default     = null
}

variable "lambda_zip_path" {
  description = "The deployment zip of the handlers (built from lambdas/)."
  type        = string
  default     = "../../../build/lambda.zip"
}

variable "lambda_architecture" {
  description = "x86_64 or arm64; must match the zip."
  type        = string
  default     = "x86_64"
}

variable "notification_emails" {
  description = "Who receives the daily summary."
  type        = list(string)
  default     = []
}

variable "alarm_emails" {
  description = "Who receives the alarms."
  type        = list(string)
  default     = []
}

variable "bedrock_model_id" {
  description = "Bedrock model or inference profile id; null: no Bedrock."
  type        = string
  default     = "us.anthropic.claude-sonnet-4-6"
}

variable "bedrock_region" {
  description = "Region for Bedrock calls; null: the deployment region."
  type        = string
  default     = null
}

variable "deletion_protection" {
  description = "Protect the history table from deletion."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
