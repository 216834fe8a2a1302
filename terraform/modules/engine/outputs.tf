output "collector_role_arn" {
  description = "The collector's role: pass it to the member-role module in every member account."
  value       = aws_iam_role.collector.arn
}

output "analyser_role_arn" {
  description = "The analyser's role."
  value       = aws_iam_role.analyser.arn
}

output "collector_function_name" {
  description = "Name of the collector function."
  value       = aws_lambda_function.collector.function_name
}

output "analyser_function_name" {
  description = "Name of the analyser function."
  value       = aws_lambda_function.analyser.function_name
}

output "state_machine_arn" {
  description = "The scan state machine; start it by hand with execution_input."
  value       = aws_sfn_state_machine.scan.arn
}

output "execution_input" {
  description = "The input the schedule sends (the targets); add \"scan_id\" to re-run a given scan."
  value       = local.execution_input
}

output "targets" {
  description = "The (account, region) items of each scan."
  value       = local.targets
}

output "table_name" {
  description = "The DynamoDB history table (engine --history dynamodb:<name>)."
  value       = aws_dynamodb_table.inventory.name
}

output "table_arn" {
  description = "ARN of the history table."
  value       = aws_dynamodb_table.inventory.arn
}

output "summary_topic_arn" {
  description = "The topic of the daily summary."
  value       = aws_sns_topic.summary.arn
}

output "alarm_topic_arn" {
  description = "The topic the alarms publish to."
  value       = aws_sns_topic.alarms.arn
}

output "report_bucket" {
  description = "The report bucket, or null without one."
  value       = var.create_report_bucket ? aws_s3_bucket.reports[0].id : null
}

output "kms_key_arn" {
  description = "The engine's customer managed key."
  value       = aws_kms_key.engine.arn
}

output "schedule_dead_letter_queue_url" {
  description = "Where the schedule puts the starts it could not deliver."
  value       = aws_sqs_queue.schedule_dlq.id
}
