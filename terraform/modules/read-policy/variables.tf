variable "account_id" {
  description = "The 12-digit id of the account the policy reads (its ARNs scope the statements)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be a 12-digit AWS account id."
  }
}

variable "partition" {
  description = "The AWS partition of the ARNs: aws, aws-cn or aws-us-gov."
  type        = string
  default     = "aws"

  validation {
    condition     = contains(["aws", "aws-cn", "aws-us-gov"], var.partition)
    error_message = "partition must be aws, aws-cn or aws-us-gov."
  }
}

variable "allow_list_accounts" {
  description = "Add organizations:ListAccounts (only useful in the management account or a delegated administrator, for `engine check` with accounts from the Organization)."
  type        = bool
  default     = false
}
