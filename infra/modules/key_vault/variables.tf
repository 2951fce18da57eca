variable "name" {
  description = "Globally unique Key Vault name: 3-24 letters, digits and hyphens, starting with a letter."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z](?:[a-zA-Z0-9]|-[a-zA-Z0-9]){2,23}$", var.name)) && length(var.name) <= 24
    error_message = "name: 3-24 letters, digits and single hyphens, starting with a letter and ending with a letter or digit."
  }
}

variable "resource_group_name" {
  description = "Resource group that holds the vault."
  type        = string
}

variable "location" {
  description = "Azure region of the vault."
  type        = string
}

variable "tenant_id" {
  description = "Microsoft Entra tenant ID that authenticates requests to the vault."
  type        = string

  validation {
    condition     = can(regex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", var.tenant_id))
    error_message = "tenant_id: a lower-case GUID."
  }
}

variable "sku_name" {
  description = "Key Vault SKU: standard or premium (HSM-backed keys)."
  type        = string
  default     = "standard"

  validation {
    condition     = contains(["standard", "premium"], var.sku_name)
    error_message = "sku_name: standard or premium."
  }
}

variable "soft_delete_retention_days" {
  description = "Days a deleted vault or secret stays recoverable (7-90); purge protection keeps it that long."
  type        = number
  default     = 7

  validation {
    condition     = var.soft_delete_retention_days >= 7 && var.soft_delete_retention_days <= 90 && floor(var.soft_delete_retention_days) == var.soft_delete_retention_days
    error_message = "soft_delete_retention_days: a whole number from 7 to 90."
  }
}

variable "network_acls" {
  description = "Network rules of the vault: default_action (Allow or Deny), bypass (AzureServices or None), IPv4 addresses or CIDR ranges, and subnet IDs allowed in."
  type = object({
    default_action             = optional(string, "Deny")
    bypass                     = optional(string, "AzureServices")
    ip_rules                   = optional(list(string), [])
    virtual_network_subnet_ids = optional(list(string), [])
  })
  nullable = false
  default  = {}

  validation {
    condition     = contains(["Allow", "Deny"], var.network_acls.default_action) && contains(["AzureServices", "None"], var.network_acls.bypass)
    error_message = "network_acls: default_action is Allow or Deny, bypass is AzureServices or None."
  }

  validation {
    condition     = alltrue([for ip in var.network_acls.ip_rules : can(cidrnetmask(strcontains(ip, "/") ? ip : "${ip}/32"))])
    error_message = "network_acls.ip_rules: IPv4 addresses or CIDR ranges, e.g. 203.0.113.7 or 203.0.113.0/24."
  }
}

variable "allowed_ip_addresses" {
  description = "More IPv4 addresses let through the network rules, e.g. the function app's possible outbound addresses."
  type        = list(string)
  nullable    = false
  default     = []
}

variable "signing_key" {
  description = "The model-signing secret: its name, its expiry (RFC 3339 UTC) and a version number to bump for a new random key."
  type = object({
    secret_name     = optional(string, "model-signing-key")
    expiration_date = string
    version         = optional(number, 1)
  })
  nullable = false

  validation {
    condition     = can(regex("^[0-9a-zA-Z-]{1,127}$", var.signing_key.secret_name))
    error_message = "signing_key.secret_name: 1-127 letters, digits and hyphens."
  }

  validation {
    condition     = can(regex("^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z$", var.signing_key.expiration_date)) && can(formatdate("YYYY", var.signing_key.expiration_date))
    error_message = "signing_key.expiration_date: an RFC 3339 UTC time such as 2027-12-31T00:00:00Z."
  }

  validation {
    condition     = var.signing_key.version >= 1 && floor(var.signing_key.version) == var.signing_key.version
    error_message = "signing_key.version: a whole number >= 1."
  }
}

variable "private_endpoint" {
  description = "A private endpoint for the vault in an existing subnet (the subnet_id of a VNet the deploying runner can reach), with the privatelink.vaultcore.azure.net DNS zone IDs to register it in; null for none."
  type = object({
    subnet_id            = string
    private_dns_zone_ids = optional(list(string), [])
  })
  default = null

  validation {
    condition     = var.private_endpoint == null || can(regex("(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.Network/virtualNetworks/[^/]+/subnets/[^/]+$", var.private_endpoint.subnet_id))
    error_message = "private_endpoint.subnet_id: a subnet resource ID (/subscriptions/.../providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>)."
  }
}

variable "secret_writer_role_assignment_ids" {
  description = "Role assignments that let the caller write secrets; the secret waits for them."
  type        = list(string)
  nullable    = false
  default     = []
}

variable "tags" {
  description = "Tags applied to the vault and its secret."
  type        = map(string)
  nullable    = false
  default     = {}
}
