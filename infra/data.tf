# Training data (issue 16): a private container in the artifacts account, so it shares the
# account's versioning, soft delete and Entra-ID-only access. The trainer reads it with
# `--data https://<account>.blob.core.windows.net/data/<path>`. The function has no role on it:
# a served model never needs its training data. The deploying identity only reads it; the team
# uploads data sets with its own access.

resource "azurerm_storage_container" "data" {
  #checkov:skip=CKV2_AZURE_21:Blob read, write and delete logs go to Log Analytics through the artifacts module's diagnostic setting (the whole blob service); the check only knows the legacy Storage Insights, which needs an account key (disabled).
  name                  = "data"
  storage_account_id    = module.artifacts.id
  container_access_type = "private"
}

resource "azurerm_role_assignment" "deployer_data_reader" {
  scope                = azurerm_storage_container.data.id
  role_definition_name = "Storage Blob Data Reader"
  principal_id         = local.deployer_object_id
  description          = "FluxOps pipeline reads training data"
}
