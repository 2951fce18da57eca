variable "subscription_id" {
  description = "Azure subscription of the environments; null takes ARM_SUBSCRIPTION_ID or the Azure CLI's current one."
  type        = string
  default     = null

  validation {
    condition     = var.subscription_id == null || can(regex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", var.subscription_id))
    error_message = "subscription_id: null or a lower-case GUID."
  }
}

variable "environments" {
  description = "The environments to prepare: one resource group rg-<name_prefix>-<env> each, with the pipeline identity's grants on it."
  type        = set(string)
  nullable    = false
  default     = ["dev", "prod"]

  validation {
    condition     = length(var.environments) > 0 && alltrue([for e in var.environments : contains(["dev", "prod"], e)])
    error_message = "environments: one or both of dev and prod."
  }
}

variable "location" {
  description = "Azure region of the resource groups and so of every resource of the stack, e.g. westeurope."
  type        = string
  default     = "westeurope"

  validation {
    condition     = can(regex("^[a-z][a-z0-9]+$", var.location))
    error_message = "location: an Azure region name in lower case without spaces, e.g. westeurope."
  }
}

variable "name_prefix" {
  description = "The stack's name_prefix (infra/variables.tf): the groups are rg-<name_prefix>-<env>."
  type        = string
  default     = "fluxops"

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,7}$", var.name_prefix))
    error_message = "name_prefix: 2-8 lower-case letters and digits, starting with a letter."
  }
}

variable "pipeline_object_id" {
  description = "Object ID of the pipeline's service principal (the enterprise application of the GitLab OIDC app registration: az ad sp show --id <appId> --query id)."
  type        = string

  validation {
    condition     = can(regex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", var.pipeline_object_id))
    error_message = "pipeline_object_id: a lower-case GUID (an object ID, not the app's client ID)."
  }
}

variable "tags" {
  description = "Extra tags for the resource groups; project, environment and managed-by are always set."
  type        = map(string)
  nullable    = false
  default     = {}
}
