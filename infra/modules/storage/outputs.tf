output "id" {
  description = "Resource ID of the storage account."
  value       = azurerm_storage_account.this.id
}

output "name" {
  description = "Name of the storage account."
  value       = azurerm_storage_account.this.name
}

output "primary_blob_endpoint" {
  description = "Blob service endpoint, e.g. https://<account>.blob.core.windows.net/."
  value       = azurerm_storage_account.this.primary_blob_endpoint
}

output "container_ids" {
  description = "Resource manager ID of each container, by name (the scope of container-level role assignments)."
  value       = { for name, c in azurerm_storage_container.this : name => c.id }
}

output "container_urls" {
  description = "Data-plane URL of each container, by name."
  value       = { for name, c in azurerm_storage_container.this : name => c.url }
}
