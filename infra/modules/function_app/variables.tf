variable "name" {
  description = "Globally unique function app name (its host name): 2-32 letters, digits and hyphens."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9](?:[a-zA-Z0-9]|-[a-zA-Z0-9]){1,31}$", var.name)) && length(var.name) <= 32
    error_message = "name: 2-32 letters, digits and single hyphens, not starting or ending with a hyphen."
  }
}

variable "plan_name" {
  description = "Name of the Linux service plan."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9-]{1,60}$", var.plan_name))
    error_message = "plan_name: 1-60 letters, digits and hyphens."
  }
}

variable "resource_group_name" {
  description = "Resource group that holds the plan and the app."
  type        = string
}

variable "location" {
  description = "Azure region of the plan and the app."
  type        = string
}

variable "sku_name" {
  description = "Service plan SKU: B1 (basic, the seed's), FC1 (Flex Consumption), EP1 (elastic premium) or P1v3 (premium v3). Y1 (Linux Consumption) retires in September 2028 and is not offered."
  type        = string
  default     = "B1"

  validation {
    condition     = var.sku_name != "Y1"
    error_message = "sku_name: Y1 (Linux Consumption) gets no new features and retires in September 2028; use FC1 (Flex Consumption) or B1."
  }

  validation {
    condition     = contains(["B1", "FC1", "EP1", "P1v3"], var.sku_name)
    error_message = "sku_name: one of B1, FC1, EP1, P1v3."
  }
}

variable "worker_count" {
  description = "Instances of the plan (B1, EP1, P1v3); for FC1 the most instances the app may scale out to."
  type        = number
  default     = 1

  validation {
    condition     = var.worker_count >= 1 && var.worker_count <= 30 && floor(var.worker_count) == var.worker_count
    error_message = "worker_count: a whole number from 1 to 30."
  }
}

variable "flex_deployment_container_url" {
  description = "FC1 only: URL of the blob container the app's code is deployed to and run from (https://<account>.blob.core.windows.net/<container>); the app's identity needs write access there. Ignored on other plans."
  type        = string
  default     = null

  validation {
    condition     = var.flex_deployment_container_url == null || can(regex("^https://[a-z0-9]+\\.blob\\.core\\.windows\\.net/[a-z0-9-]+$", var.flex_deployment_container_url))
    error_message = "flex_deployment_container_url: https://<account>.blob.core.windows.net/<container>."
  }

  validation {
    condition     = var.sku_name != "FC1" || var.flex_deployment_container_url != null
    error_message = "flex_deployment_container_url: required with sku_name FC1 (its code lives in a blob container)."
  }
}

variable "host_storage_account_name" {
  description = "Storage account of the Functions host (AzureWebJobsStorage), reached with the app's managed identity."
  type        = string
}

variable "package_url" {
  description = "HTTPS URL of the zip package blob the app runs from."
  type        = string

  validation {
    condition     = can(regex("^https://[a-z0-9]+\\.blob\\.core\\.windows\\.net/[a-z0-9-]+/.+\\.zip$", var.package_url))
    error_message = "package_url: https://<account>.blob.core.windows.net/<container>/<name>.zip, without a SAS token."
  }
}

variable "health_check_path" {
  description = "Path the platform probes to take unhealthy instances out of rotation."
  type        = string
  default     = "/api/health"

  validation {
    condition     = startswith(var.health_check_path, "/")
    error_message = "health_check_path: an absolute path such as /api/health."
  }
}

variable "application_insights_connection_string" {
  description = "Connection string of the Application Insights component (the app setting APPLICATIONINSIGHTS_CONNECTION_STRING)."
  type        = string
  sensitive   = true
}

variable "app_settings" {
  description = "The app's own settings (FLUXOPS_*, DENO_DIR); the module adds the run-from-package and telemetry settings."
  type        = map(string)
  nullable    = false
  default     = {}
}

variable "tags" {
  description = "Tags applied to the plan and the app."
  type        = map(string)
  nullable    = false
  default     = {}
}
