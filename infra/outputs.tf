output "environment" {
  description = "Environment of this state: dev or prod."
  value       = var.environment
}

output "resource_group_name" {
  description = "Resource group that holds the stack."
  value       = module.resource_group.name
}

output "function_app_name" {
  description = "Name of the function app."
  value       = module.function_app.name
}

output "function_app_url" {
  description = "HTTPS base URL of the prediction function, e.g. https://func-fluxops-dev-ab12cd.azurewebsites.net."
  value       = module.function_app.url
}

output "storage_account_name" {
  description = "Storage account of the model registry and the function packages."
  value       = module.artifacts.name
}

output "containers" {
  description = "Data-plane URL of each private container: models (the registry, FLUXOPS_STORE) and deployments (function packages)."
  value       = module.artifacts.container_urls
}

output "model_store_url" {
  description = "The function's FLUXOPS_STORE: the models container URL."
  value       = "${local.blob_endpoint}/models"
}

output "package_url" {
  description = "Blob URL the function app was created to run from (deploys move it to newer blobs)."
  value       = "${local.blob_endpoint}/deployments/${var.package_blob_name}"
}

output "key_vault_uri" {
  description = "URI of the Key Vault (FLUXOPS_KEY_VAULT_URI)."
  value       = module.key_vault.vault_uri
}

output "signing_secret_name" {
  description = "Name of the model-signing secret in the vault (FLUXOPS_SIGNING_SECRET)."
  value       = module.key_vault.signing_secret_name
}

output "application_insights_connection_string" {
  description = "Connection string of Application Insights."
  value       = module.app_insights.connection_string
  sensitive   = true
}

# Training data (issue 16): the container `--data https://...` URIs point into.
output "data_container_url" {
  description = "Data-plane URL of the training-data container."
  value       = azurerm_storage_container.data.url
}
