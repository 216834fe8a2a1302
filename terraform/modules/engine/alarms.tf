# Alarms to the alarm topic. The scan runs once a day and its load comes in one burst, so the
# windows are 15 minutes and "no data" is not breaching (a quiet day is a good day).

locals {
  alarm_period = 900
  functions = {
    collector = { name = aws_lambda_function.collector.function_name, timeout_s = var.collector_timeout_s }
    analyser  = { name = aws_lambda_function.analyser.function_name, timeout_s = var.analyser_timeout_s }
  }
}

# Errors as a share of invocations (metric math), so one failure among 2,000 collector runs is
# not an alarm but 5 % is.
resource "aws_cloudwatch_metric_alarm" "lambda_error_rate" {
  for_each = local.functions

  alarm_name          = "${var.name_prefix}-${each.key}-error-rate"
  alarm_description   = "${each.value.name}: errors above ${var.lambda_error_rate_threshold_percent} % of invocations in 15 minutes."
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.lambda_error_rate_threshold_percent
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  metric_query {
    id          = "error_rate"
    expression  = "IF(invocations > 0, 100 * errors / invocations, 0)"
    label       = "Error rate (%)"
    return_data = true
  }

  metric_query {
    id = "errors"
    metric {
      namespace   = "AWS/Lambda"
      metric_name = "Errors"
      dimensions  = { FunctionName = each.value.name }
      period      = local.alarm_period
      stat        = "Sum"
    }
  }

  metric_query {
    id = "invocations"
    metric {
      namespace   = "AWS/Lambda"
      metric_name = "Invocations"
      dimensions  = { FunctionName = each.value.name }
      period      = local.alarm_period
      stat        = "Sum"
    }
  }

  tags = local.tags
}

# The longest run near the timeout: the next bigger account or slower API will time out.
resource "aws_cloudwatch_metric_alarm" "lambda_duration" {
  for_each = local.functions

  alarm_name          = "${var.name_prefix}-${each.key}-duration"
  alarm_description   = "${each.value.name}: a run took more than ${var.lambda_duration_threshold_percent} % of its ${each.value.timeout_s} s timeout."
  namespace           = "AWS/Lambda"
  metric_name         = "Duration"
  dimensions          = { FunctionName = each.value.name }
  statistic           = "Maximum"
  period              = local.alarm_period
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.timeout_s * 1000 * var.lambda_duration_threshold_percent / 100
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = local.tags
}

# Throttling on the table or its index. An index that throttles also throttles the table's
# writes (back-pressure), so the index's write throttles are counted too.
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html (read 2026-11-25)
resource "aws_cloudwatch_metric_alarm" "dynamodb_throttles" {
  alarm_name          = "${var.name_prefix}-table-throttles"
  alarm_description   = "${aws_dynamodb_table.inventory.name}: more than ${var.dynamodb_throttle_threshold} throttled reads or writes (table or ${local.gsi_name}) in 15 minutes."
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.dynamodb_throttle_threshold
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  metric_query {
    id          = "throttles"
    expression  = "FILL(read_throttles, 0) + FILL(write_throttles, 0) + FILL(index_write_throttles, 0)"
    label       = "Throttle events"
    return_data = true
  }

  metric_query {
    id = "read_throttles"
    metric {
      namespace   = "AWS/DynamoDB"
      metric_name = "ReadThrottleEvents"
      dimensions  = { TableName = aws_dynamodb_table.inventory.name }
      period      = local.alarm_period
      stat        = "Sum"
    }
  }

  metric_query {
    id = "write_throttles"
    metric {
      namespace   = "AWS/DynamoDB"
      metric_name = "WriteThrottleEvents"
      dimensions  = { TableName = aws_dynamodb_table.inventory.name }
      period      = local.alarm_period
      stat        = "Sum"
    }
  }

  metric_query {
    id = "index_write_throttles"
    metric {
      namespace   = "AWS/DynamoDB"
      metric_name = "WriteThrottleEvents"
      dimensions = {
        TableName                = aws_dynamodb_table.inventory.name
        GlobalSecondaryIndexName = local.gsi_name
      }
      period = local.alarm_period
      stat   = "Sum"
    }
  }

  tags = local.tags
}

# The summary e-mail could not be delivered.
resource "aws_cloudwatch_metric_alarm" "sns_delivery_failures" {
  alarm_name          = "${var.name_prefix}-summary-delivery-failures"
  alarm_description   = "${aws_sns_topic.summary.name}: a notification could not be delivered."
  namespace           = "AWS/SNS"
  metric_name         = "NumberOfNotificationsFailed"
  dimensions          = { TopicName = aws_sns_topic.summary.name }
  statistic           = "Sum"
  period              = local.alarm_period
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = local.tags
}

# A scan that did not finish: failed (including more item failures than tolerated), timed out
# or aborted. A partial scan within the tolerance succeeds and says so in its report.
resource "aws_cloudwatch_metric_alarm" "state_machine_failures" {
  alarm_name          = "${var.name_prefix}-scan-failures"
  alarm_description   = "${aws_sfn_state_machine.scan.name}: an execution failed, timed out or was aborted."
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  metric_query {
    id          = "unfinished"
    expression  = "FILL(failed, 0) + FILL(timed_out, 0) + FILL(aborted, 0)"
    label       = "Executions not succeeded"
    return_data = true
  }

  metric_query {
    id = "failed"
    metric {
      namespace   = "AWS/States"
      metric_name = "ExecutionsFailed"
      dimensions  = { StateMachineArn = aws_sfn_state_machine.scan.arn }
      period      = local.alarm_period
      stat        = "Sum"
    }
  }

  metric_query {
    id = "timed_out"
    metric {
      namespace   = "AWS/States"
      metric_name = "ExecutionsTimedOut"
      dimensions  = { StateMachineArn = aws_sfn_state_machine.scan.arn }
      period      = local.alarm_period
      stat        = "Sum"
    }
  }

  metric_query {
    id = "aborted"
    metric {
      namespace   = "AWS/States"
      metric_name = "ExecutionsAborted"
      dimensions  = { StateMachineArn = aws_sfn_state_machine.scan.arn }
      period      = local.alarm_period
      stat        = "Sum"
    }
  }

  tags = local.tags
}

# The schedule could not start the scan even after its retries.
resource "aws_cloudwatch_metric_alarm" "schedule_dead_letters" {
  alarm_name          = "${var.name_prefix}-schedule-dead-letters"
  alarm_description   = "${aws_sqs_queue.schedule_dlq.name}: the schedule could not start a scan; the event is in the queue."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.schedule_dlq.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = local.tags
}
