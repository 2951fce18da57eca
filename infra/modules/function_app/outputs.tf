output "id" {
  description = "Resource ID of the function app."
  value       = local.app.id
}

output "name" {
  description = "Name of the function app."
  value       = local.app.name
}

output "url" {
  description = "HTTPS base URL of the function app."
  value       = "https://${local.app.default_hostname}"
}

output "principal_id" {
  description = "Object ID of the app's system-assigned managed identity."
  value       = local.app.principal_id
}

output "possible_outbound_ip_addresses" {
  description = "Every address the app may call out from (for allow lists)."
  value       = local.app.outbound_ip_addrs
}

output "service_plan_id" {
  description = "Resource ID of the service plan."
  value       = azurerm_service_plan.this.id
}

output "app_settings" {
  description = "App settings the module configured (no secrets: the telemetry connection string goes through site_config)."
  value       = local.app_settings
}

output "flex" {
  description = "Whether the app runs on Flex Consumption (FC1): deployed by one-deploy to its deployment container, not by WEBSITE_RUN_FROM_PACKAGE."
  value       = local.flex
}
