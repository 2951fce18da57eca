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

# Input drift, from the prediction function's own log. Each time a feature's drift verdict
# changes (its chi-square p-value over the training deciles crosses alpha / features, the
# Bonferroni bound; lib/drift/monitor.ts) the function writes one JSON line on stdout:
#   {"time":...,"level":"error","msg":"drift","feature":"f3","status":"alert","previous":"ok",
#    "drifted":true,"chi2_p_value":1.2e-9,"js_distance":0.21,"psi":0.41,"dataset_drift":false,
#    "share_drifted":0.1,"model_version":...,"window":1000}
# The alert fires on a drifted feature (status "alert" is drifted) or on the data set's drift (at
# least half the features), never on raw PSI, whose level under no drift depends on the window
# size. drift_alert.statuses adding "warn" also fires on a feature falling back from drifted to
# significant before the correction only: events are sent on changes of the drifted verdict.
# Assumptions about how it gets here (azure-functions-host WorkerProcess/WorkerConsoleLogService):
# the host reads a custom handler's stdout line by line and logs each line as it is, at
# Information level (stderr: Warning if the line holds "warn", Error if "error", "fail" or
# "severe"), under the category Host.Function.Console, which host.json keeps at Information
# (function/package/host_json.ts). The host does not parse the line, so in Application Insights
# the event is a row of `traces` whose `message` is the JSON text and whose customDimensions
# carry only the host's fields (Category, LogLevel, ...); the query parses `message`, and falls
# back to customDimensions should a logging pipeline ever lift the fields there. Traces are
# subject to adaptive sampling (host.json samples all but requests and exceptions), so under a
# heavy load an event can be dropped; each crossing is announced once, not repeated. Each
# instance of the app keeps its own window, so one alert per feature can come from each.
resource "azurerm_monitor_scheduled_query_rules_alert_v2" "drift" {
  name                 = "${var.name}-drift"
  location             = var.location
  resource_group_name  = var.resource_group_name
  scopes               = [azurerm_application_insights.this.id]
  description          = "A feature of the prediction function's input drifted (its chi-square p-value against the training deciles under alpha / features), or the data set did (half of the features or more), within ${var.drift_alert.window_duration}; one alert per feature."
  severity             = var.drift_alert.severity
  evaluation_frequency = var.drift_alert.evaluation_frequency
  window_duration      = var.drift_alert.window_duration
  enabled              = var.drift_alert.enabled
  # Stateful: one notification per feature until a window passes without its events.
  auto_mitigation_enabled = true

  criteria {
    query                   = <<-KQL
      traces
      | where message has "drift"
      | extend event = parse_json(extract(@"\{.*\}", 0, message))
      | extend msg = coalesce(tostring(event.msg), tostring(customDimensions.msg)),
          status = coalesce(tostring(event.status), tostring(customDimensions.status)),
          feature = coalesce(tostring(event.feature), tostring(customDimensions.feature)),
          drifted = tobool(coalesce(tostring(event.drifted), tostring(customDimensions.drifted))),
          dataset_drift = tobool(coalesce(tostring(event.dataset_drift), tostring(customDimensions.dataset_drift))),
          chi2_p_value = todouble(coalesce(tostring(event.chi2_p_value), tostring(customDimensions.chi2_p_value))),
          share_drifted = todouble(coalesce(tostring(event.share_drifted), tostring(customDimensions.share_drifted))),
          model_version = coalesce(tostring(event.model_version), tostring(customDimensions.model_version))
      | where (msg == "drift" and status in (${join(", ", [for s in var.drift_alert.statuses : jsonencode(s)])})) or (msg == "drift" and (drifted == true or dataset_drift == true))
      | project timestamp, feature, status, drifted, dataset_drift, chi2_p_value, share_drifted, model_version, cloud_RoleInstance
    KQL
    time_aggregation_method = "Count"
    operator                = "GreaterThan"
    threshold               = 0

    dimension {
      name     = "feature"
      operator = "Include"
      values   = ["*"]
    }

    failing_periods {
      minimum_failing_periods_to_trigger_alert = 1
      number_of_evaluation_periods             = 1
    }
  }

  action {
    action_groups = [coalesce(var.drift_alert.action_group_id, local.action_group_id)]
  }

  tags = var.tags
}
