output "state_machine_arn" {
  description = "Start a scan by hand: aws stepfunctions start-execution --state-machine-arn <this> --input <execution_input>."
  value       = module.engine.state_machine_arn
}

output "execution_input" {
  description = "The input the schedule sends."
  value       = module.engine.execution_input
}

output "collector_role_arn" {
  description = "Give this to the member-role module in each further member account."
  value       = module.engine.collector_role_arn
}

output "member_role_arn" {
  description = "The read role created in the first member account (null without one)."
  value       = length(module.member_role) > 0 ? module.member_role[0].role_arn : null
}

output "summary_topic_arn" {
  description = "The daily summary topic."
  value       = module.engine.summary_topic_arn
}

output "report_bucket" {
  description = "The HTML report bucket."
  value       = module.engine.report_bucket
}
