output "id" {
  description = "Resource ID of the vault."
  value       = azurerm_key_vault.this.id
}

output "name" {
  description = "Name of the vault."
  value       = azurerm_key_vault.this.name
}

output "vault_uri" {
  description = "Data-plane URI of the vault, e.g. https://<name>.vault.azure.net/."
  value       = azurerm_key_vault.this.vault_uri
}

output "signing_secret_name" {
  description = "Name of the model-signing secret."
  value       = azurerm_key_vault_secret.signing_key.name
}

output "signing_secret_versionless_id" {
  description = "Version-less ID of the model-signing secret."
  value       = azurerm_key_vault_secret.signing_key.versionless_id
}

output "signing_secret_resource_id" {
  description = "Azure Resource Manager ID of the model-signing secret (version-less), the scope for a secret-level role assignment."
  value       = azurerm_key_vault_secret.signing_key.resource_versionless_id
}
