variable "name" {
  description = "Globally unique storage account name: 3-24 lower-case letters and digits."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]{3,24}$", var.name))
    error_message = "name: 3-24 lower-case letters and digits."
  }
}

variable "resource_group_name" {
  description = "Resource group that holds the account."
  type        = string
}

variable "location" {
  description = "Azure region of the account."
  type        = string
}

variable "replication_type" {
  description = "Redundancy of the account: LRS, ZRS, GRS, RAGRS, GZRS or RAGZRS."
  type        = string
  default     = "GRS"

  validation {
    condition     = contains(["LRS", "ZRS", "GRS", "RAGRS", "GZRS", "RAGZRS"], var.replication_type)
    error_message = "replication_type: one of LRS, ZRS, GRS, RAGRS, GZRS, RAGZRS."
  }
}

variable "soft_delete_retention_days" {
  description = "Days that deleted blobs and containers can be restored."
  type        = number
  default     = 7

  validation {
    condition     = var.soft_delete_retention_days >= 1 && var.soft_delete_retention_days <= 365 && floor(var.soft_delete_retention_days) == var.soft_delete_retention_days
    error_message = "soft_delete_retention_days: a whole number from 1 to 365."
  }
}

variable "containers" {
  description = "Names of the private blob containers to create."
  type        = set(string)
  nullable    = false
  default     = []

  validation {
    condition     = alltrue([for c in var.containers : can(regex("^[a-z0-9](?:[a-z0-9]|-[a-z0-9]){2,62}$", c))])
    error_message = "containers: 3-63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit."
  }
}

variable "diagnostics_workspace_id" {
  description = "Log Analytics workspace that receives blob read, write and delete logs; null for none."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags applied to the storage account."
  type        = map(string)
  nullable    = false
  default     = {}
}
