output "json" {
  description = "The read-only policy document (JSON) for an IAM role policy."
  value       = data.aws_iam_policy_document.read.json
}

output "actions" {
  description = "Every action the policy allows, sorted."
  value       = sort(distinct(flatten([for sid in local.enabled_sids : local.read_actions[sid]])))
}

output "actions_by_sid" {
  description = "Statement Sid => actions, as granted (the least-privilege test compares these with recorded calls)."
  value       = { for sid in local.enabled_sids : sid => local.read_actions[sid] }
}
