output "id" {
  description = "Resource ID of the function app."
  value       = azurerm_linux_function_app.this.id
}

output "name" {
  description = "Name of the function app."
  value       = azurerm_linux_function_app.this.name
}

output "url" {
  description = "HTTPS base URL of the function app."
  value       = "https://${azurerm_linux_function_app.this.default_hostname}"
}

output "principal_id" {
  description = "Object ID of the app's system-assigned managed identity."
  value       = azurerm_linux_function_app.this.identity[0].principal_id
}

output "possible_outbound_ip_addresses" {
  description = "Every address the app may call out from (for allow lists)."
  value       = azurerm_linux_function_app.this.possible_outbound_ip_address_list
}

output "service_plan_id" {
  description = "Resource ID of the service plan."
  value       = azurerm_service_plan.this.id
}

output "app_settings" {
  description = "App settings the module configured (no secrets: the telemetry connection string goes through site_config)."
  value       = local.app_settings
}
