locals {
  create_action_group = var.action_group_id == null
  action_group_id     = local.create_action_group ? azurerm_monitor_action_group.this[0].id : var.action_group_id
}

resource "azurerm_log_analytics_workspace" "this" {
  name                            = var.workspace_name
  location                        = var.location
  resource_group_name             = var.resource_group_name
  sku                             = "PerGB2018"
  retention_in_days               = var.retention_in_days
  daily_quota_gb                  = var.daily_quota_gb
  local_authentication_enabled    = false
  allow_resource_only_permissions = true
  tags                            = var.tags
}

# Workspace-based component; telemetry must be sent with an Entra ID token (no
# instrumentation-key-only ingestion).
resource "azurerm_application_insights" "this" {
  name                         = var.name
  location                     = var.location
  resource_group_name          = var.resource_group_name
  workspace_id                 = azurerm_log_analytics_workspace.this.id
  application_type             = "web"
  local_authentication_enabled = false
  daily_data_cap_in_gb         = var.daily_quota_gb > 0 ? var.daily_quota_gb : null
  tags                         = var.tags
}

resource "azurerm_monitor_action_group" "this" {
  count = local.create_action_group ? 1 : 0

  name                = var.action_group_name
  resource_group_name = var.resource_group_name
  short_name          = var.action_group_short_name

  dynamic "email_receiver" {
    for_each = toset(var.alert_email_addresses)
    content {
      name                    = "email-${index(var.alert_email_addresses, email_receiver.value)}"
      email_address           = email_receiver.value
      use_common_alert_schema = true
    }
  }

  tags = var.tags
}

# Log alerts rather than metric alerts: a metric alert sees the count of 5xx responses and the
# mean duration, not the rate or the 95th percentile.
resource "azurerm_monitor_scheduled_query_rules_alert_v2" "error_rate" {
  name                 = "${var.name}-5xx-rate"
  location             = var.location
  resource_group_name  = var.resource_group_name
  scopes               = [azurerm_application_insights.this.id]
  description          = "More than ${var.alerts.error_rate_percent}% of requests answered 5xx over ${var.alerts.window_duration} (at least ${var.alerts.min_requests} requests)."
  severity             = 1
  evaluation_frequency = var.alerts.evaluation_frequency
  window_duration      = var.alerts.window_duration
  enabled              = var.alerts.enabled

  criteria {
    query                   = <<-KQL
      requests
      | summarize total = count(), failed = countif(toint(resultCode) >= 500)
      | where total >= ${var.alerts.min_requests}
      | extend rate_percent = 100.0 * failed / total
    KQL
    time_aggregation_method = "Maximum"
    metric_measure_column   = "rate_percent"
    operator                = "GreaterThan"
    threshold               = var.alerts.error_rate_percent

    failing_periods {
      minimum_failing_periods_to_trigger_alert = 1
      number_of_evaluation_periods             = 1
    }
  }

  action {
    action_groups = [local.action_group_id]
  }

  tags = var.tags
}

resource "azurerm_monitor_scheduled_query_rules_alert_v2" "latency_p95" {
  name                 = "${var.name}-p95-latency"
  location             = var.location
  resource_group_name  = var.resource_group_name
  scopes               = [azurerm_application_insights.this.id]
  description          = "95th percentile of request duration above ${var.alerts.p95_latency_ms} ms over ${var.alerts.window_duration}."
  severity             = 2
  evaluation_frequency = var.alerts.evaluation_frequency
  window_duration      = var.alerts.window_duration
  enabled              = var.alerts.enabled

  criteria {
    query                   = <<-KQL
      requests
      | summarize p95_ms = percentile(duration, 95), total = count()
      | where total >= ${var.alerts.min_requests}
    KQL
    time_aggregation_method = "Maximum"
    metric_measure_column   = "p95_ms"
    operator                = "GreaterThan"
    threshold               = var.alerts.p95_latency_ms

    failing_periods {
      minimum_failing_periods_to_trigger_alert = 1
      number_of_evaluation_periods             = 1
    }
  }

  action {
    action_groups = [local.action_group_id]
  }

  tags = var.tags
}
