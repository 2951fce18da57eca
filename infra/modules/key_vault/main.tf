# A Key Vault that only Azure RBAC governs (no access policies), that cannot be purged while
# soft-deleted, and that holds the model-signing key generated here, never typed into a file.
resource "azurerm_key_vault" "this" {
  #checkov:skip=CKV_AZURE_189:Public endpoint kept for the Functions host and the deploying pipeline, which have no private network here; network_acls (default Deny) limits it to listed addresses.
  #checkov:skip=CKV2_AZURE_32:A private endpoint needs a VNet and private DNS (about $7.30/month plus a VNet-integrated plan); network ACLs and RBAC instead.
  name                = var.name
  location            = var.location
  resource_group_name = var.resource_group_name
  tenant_id           = var.tenant_id
  sku_name            = var.sku_name

  rbac_authorization_enabled      = true
  purge_protection_enabled        = true
  soft_delete_retention_days      = var.soft_delete_retention_days
  enabled_for_deployment          = false
  enabled_for_disk_encryption     = false
  enabled_for_template_deployment = false
  public_network_access_enabled   = true

  network_acls {
    default_action             = var.network_acls.default_action
    bypass                     = var.network_acls.bypass
    ip_rules                   = sort(distinct(concat(var.network_acls.ip_rules, var.allowed_ip_addresses)))
    virtual_network_subnet_ids = var.network_acls.virtual_network_subnet_ids
  }

  tags = var.tags
}

# The HMAC-SHA256 key that signs models. Its value exists only in Terraform state (kept in the
# GitLab-managed, encrypted state backend) and in the vault; bump signing_key.version to rotate.
resource "random_password" "signing_key" {
  length  = 64
  special = false

  keepers = {
    version = tostring(var.signing_key.version)
  }
}

resource "azurerm_key_vault_secret" "signing_key" {
  name            = var.signing_key.secret_name
  key_vault_id    = azurerm_key_vault.this.id
  value           = random_password.signing_key.result
  content_type    = "text/plain; fluxops hmac-sha256 key"
  expiration_date = var.signing_key.expiration_date
  tags            = var.tags

  # Creating a secret needs a data-plane role for whoever runs Terraform (Key Vault Secrets
  # Officer, granted in the root module) and the network ACL to let that caller in.
  depends_on = [var.secret_writer_role_assignment_ids]
}
