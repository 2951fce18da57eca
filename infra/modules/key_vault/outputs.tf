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

output "private_endpoint_id" {
  description = "Resource ID of the vault's private endpoint, null without one."
  value       = one(azurerm_private_endpoint.vault[*].id)
}

output "network_acls" {
  description = "The vault's network rules as applied: default_action, bypass, ip_rules (given, the app's and the runner's), virtual_network_subnet_ids."
  value = {
    default_action             = azurerm_key_vault.this.network_acls[0].default_action
    bypass                     = azurerm_key_vault.this.network_acls[0].bypass
    ip_rules                   = azurerm_key_vault.this.network_acls[0].ip_rules
    virtual_network_subnet_ids = azurerm_key_vault.this.network_acls[0].virtual_network_subnet_ids
  }
}
