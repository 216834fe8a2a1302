output "role_arn" {
  description = "ARN of the read role: put it in the engine module's accounts[*].role_arn."
  value       = aws_iam_role.read.arn
}

output "role_name" {
  description = "Name of the read role."
  value       = aws_iam_role.read.name
}

output "actions" {
  description = "The actions the role may perform (sorted)."
  value       = module.read_policy.actions
}
