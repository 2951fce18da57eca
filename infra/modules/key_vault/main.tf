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

# The HMAC-SHA256 key that signs models, generated for each run and never stored: an ephemeral
# value feeds the secret's write-only value_wo, so neither the state nor a saved plan holds it
# (OpenTofu/Terraform >= 1.11, random >= 3.7). The provider sends value_wo only when
# value_wo_version changes: bump signing_key.version to rotate; Key Vault keeps the previous
# version, which the function still accepts, so an older model stays verifiable (rollback).
ephemeral "random_password" "signing_key" {
  length  = 64
  special = false
}

resource "azurerm_key_vault_secret" "signing_key" {
  name             = var.signing_key.secret_name
  key_vault_id     = azurerm_key_vault.this.id
  value_wo         = ephemeral.random_password.signing_key.result
  value_wo_version = var.signing_key.version
  content_type     = "text/plain; fluxops hmac-sha256 key"
  expiration_date  = var.signing_key.expiration_date
  tags             = var.tags

  # Writing a secret needs a data-plane role for whoever runs Terraform (Key Vault Secrets
  # Officer, granted in the root module), propagated (the root passes the time_sleep that waits
  # for it), and the network rules or the private endpoint to let that caller in.
  depends_on = [var.secret_writer_role_assignment_ids, azurerm_private_endpoint.vault]
}

# The pipeline reaches the vault over a private network instead of a public allow-list: for
# runners without a fixed egress address (prod's vault denies all other traffic).
resource "azurerm_private_endpoint" "vault" {
  count = var.private_endpoint == null ? 0 : 1

  name                = "pe-${var.name}"
  location            = var.location
  resource_group_name = var.resource_group_name
  subnet_id           = var.private_endpoint.subnet_id

  private_service_connection {
    name                           = "vault"
    private_connection_resource_id = azurerm_key_vault.this.id
    subresource_names              = ["vault"]
    is_manual_connection           = false
  }

  dynamic "private_dns_zone_group" {
    for_each = length(var.private_endpoint.private_dns_zone_ids) > 0 ? [1] : []
    content {
      name                 = "vault"
      private_dns_zone_ids = var.private_endpoint.private_dns_zone_ids
    }
  }

  tags = var.tags
}
