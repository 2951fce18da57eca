output "environment" {
  description = "Environment of this state: dev or prod."
  value       = var.environment
}

output "resource_group_name" {
  description = "Resource group that holds the stack."
  value       = data.azurerm_resource_group.this.name
}

output "function_app_name" {
  description = "Name of the function app."
  value       = module.function_app.name
}

output "function_app_url" {
  description = "HTTPS base URL of the prediction function, e.g. https://func-fluxops-dev-ab12cd.azurewebsites.net."
  value       = module.function_app.url
  # Read by the deploy after the apply: only once the roles they need have propagated.
  depends_on = [time_sleep.deployer_rbac_propagation, time_sleep.function_rbac_propagation]
}

output "storage_account_name" {
  description = "Storage account of the model registry and the function packages."
  value       = module.artifacts.name
}

output "containers" {
  description = "Data-plane URL of each private container: models (the registry, FLUXOPS_STORE) and deployments (function packages)."
  value       = module.artifacts.container_urls
  # Read by the deploy after the apply: only once the roles they need have propagated.
  depends_on = [time_sleep.deployer_rbac_propagation, time_sleep.function_rbac_propagation]
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
  # Read by the deploy after the apply: only once the roles they need have propagated.
  depends_on = [time_sleep.deployer_rbac_propagation, time_sleep.function_rbac_propagation]
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

output "function_hosting" {
  description = "How the function app gets its code: plan SKU, and mode run_from_package (B1, EP1, P1v3: deploys point WEBSITE_RUN_FROM_PACKAGE at a blob in deployments) or one_deploy (FC1: deploys publish the zip through one-deploy into deployment_container_url)."
  value = {
    sku                      = var.service_plan_sku
    mode                     = module.function_app.flex ? "one_deploy" : "run_from_package"
    deployment_container_url = module.function_app.flex ? "https://${local.names.host_storage}.blob.core.windows.net/${local.flex_container}" : null
  }
}
