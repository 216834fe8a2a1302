# Two topics, both encrypted with the engine's key: the daily summary (the analyser publishes)
# and the alarms (CloudWatch publishes). E-mail subscriptions stay pending until confirmed.

resource "aws_sns_topic" "summary" {
  name              = "${var.name_prefix}-summary"
  display_name      = "AWS inventory"
  kms_master_key_id = aws_kms_key.engine.arn
  tags              = local.tags
}

resource "aws_sns_topic_subscription" "summary_email" {
  for_each = toset(var.notification_emails)

  topic_arn = aws_sns_topic.summary.arn
  protocol  = "email"
  endpoint  = each.value
}

resource "aws_sns_topic" "alarms" {
  name              = "${var.name_prefix}-alarms"
  display_name      = "AWS inventory alarms"
  kms_master_key_id = aws_kms_key.engine.arn
  tags              = local.tags
}

resource "aws_sns_topic_subscription" "alarm_email" {
  for_each = toset(var.alarm_emails)

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = each.value
}
