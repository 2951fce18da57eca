# A StorageV2 account that only Microsoft Entra ID principals can use: no account keys, no
# anonymous blobs, HTTPS with TLS 1.2, with versioning and soft delete to undo mistakes.
resource "azurerm_storage_account" "this" {
  #checkov:skip=CKV_AZURE_35:The Functions host (B1/Y1/EP1, no VNet integration here) reaches the account from Azure-internal addresses that IP rules cannot match; access is limited by Entra ID RBAC with shared keys disabled.
  #checkov:skip=CKV_AZURE_59:Same reason as CKV_AZURE_35: public endpoint kept, but every request must carry an Entra ID token (shared_access_key_enabled = false).
  #checkov:skip=CKV2_AZURE_33:A private endpoint needs a VNet, private DNS zone and VNet-integrated plan (about $7.30/month per endpoint plus an integrated SKU), outside the dev budget; RBAC-only access instead.
  #checkov:skip=CKV_AZURE_33:azurerm 5.x removed queue_properties from this resource (checkov 3.3.30 still looks for it there), and the stack uses no queues: the host runs HTTP-only functions.
  #checkov:skip=CKV2_AZURE_1:Encrypted with Microsoft-managed keys plus infrastructure (double) encryption; customer-managed keys would need a key, a user-assigned identity and key rotation for models that are not confidential data.
  name                     = var.name
  resource_group_name      = var.resource_group_name
  location                 = var.location
  account_kind             = "StorageV2"
  account_tier             = "Standard"
  account_replication_type = var.replication_type
  access_tier              = "Hot"

  https_traffic_only_enabled        = true
  min_tls_version                   = "TLS1_2"
  allow_nested_items_to_be_public   = false
  shared_access_key_enabled         = false
  default_to_oauth_authentication   = true
  local_user_enabled                = false
  sftp_enabled                      = false
  cross_tenant_replication_enabled  = false
  infrastructure_encryption_enabled = true
  allowed_copy_scope                = "AAD"

  blob_properties {
    versioning_enabled = true

    delete_retention_policy {
      days = var.soft_delete_retention_days
    }

    container_delete_retention_policy {
      days = var.soft_delete_retention_days
    }
  }

  # Only user delegation SAS can exist (shared keys are off); cap their lifetime anyway.
  sas_policy {
    expiration_period = "01.00:00:00"
    expiration_action = "Log"
  }

  tags = var.tags
}

resource "azurerm_storage_container" "this" {
  #checkov:skip=CKV2_AZURE_21:Blob read, write and delete logs go to Log Analytics through the diagnostic setting below; the check only knows the legacy Storage Insights, which needs an account key (disabled here).
  for_each = var.containers

  name                  = each.key
  storage_account_id    = azurerm_storage_account.this.id
  container_access_type = "private"
}

# Who read, wrote or deleted which blob: the audit trail of model publishes and promotions.
resource "azurerm_monitor_diagnostic_setting" "blob" {
  count = var.diagnostics_workspace_id == null ? 0 : 1

  name                       = "blob-audit"
  target_resource_id         = "${azurerm_storage_account.this.id}/blobServices/default"
  log_analytics_workspace_id = var.diagnostics_workspace_id

  enabled_log {
    category = "StorageRead"
  }

  enabled_log {
    category = "StorageWrite"
  }

  enabled_log {
    category = "StorageDelete"
  }
}
