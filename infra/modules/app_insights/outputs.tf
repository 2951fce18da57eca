output "id" {
  description = "Resource ID of the Application Insights component."
  value       = azurerm_application_insights.this.id
}

output "connection_string" {
  description = "Connection string of the component (APPLICATIONINSIGHTS_CONNECTION_STRING)."
  value       = azurerm_application_insights.this.connection_string
  sensitive   = true
}

output "workspace_id" {
  description = "Resource ID of the Log Analytics workspace."
  value       = azurerm_log_analytics_workspace.this.id
}

output "action_group_id" {
  description = "Action group the alerts notify."
  value       = local.action_group_id
}

output "alert_rule_ids" {
  description = "Resource IDs of the alert rules, by purpose."
  value = {
    error_rate  = azurerm_monitor_scheduled_query_rules_alert_v2.error_rate.id
    latency_p95 = azurerm_monitor_scheduled_query_rules_alert_v2.latency_p95.id
    drift       = azurerm_monitor_scheduled_query_rules_alert_v2.drift.id
  }
}
