variable "subscription_id" {
  description = "Azure subscription to deploy into; null takes ARM_SUBSCRIPTION_ID from the environment."
  type        = string
  default     = null

  validation {
    condition     = var.subscription_id == null || can(regex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", var.subscription_id))
    error_message = "subscription_id: null or a lower-case GUID."
  }
}

variable "environment" {
  description = "Deployment environment: dev or prod. Part of every name and the environment tag."
  type        = string

  validation {
    condition     = contains(["dev", "prod"], var.environment)
    error_message = "environment: dev or prod."
  }
}

variable "name_prefix" {
  description = "Start of every resource name: 2-8 lower-case letters and digits, starting with a letter (storage account names allow nothing else)."
  type        = string
  default     = "fluxops"

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,7}$", var.name_prefix))
    error_message = "name_prefix: 2-8 lower-case letters and digits, starting with a letter."
  }
}

variable "tags" {
  description = "Extra tags for every resource; project, environment and managed-by are always set."
  type        = map(string)
  nullable    = false
  default     = {}
}

variable "service_plan_sku" {
  description = "Function hosting plan: B1 (basic, the seed's and dev's), FC1 (Flex Consumption), EP1 (elastic premium) or P1v3 (premium v3). Linux Consumption (Y1) is not offered: it gets no new features and retires in September 2028."
  type        = string
  default     = "B1"

  validation {
    condition     = var.service_plan_sku != "Y1"
    error_message = "service_plan_sku: Y1 (Linux Consumption) gets no new features and retires in September 2028; use FC1 (Flex Consumption), which runs custom handlers, or B1."
  }

  validation {
    condition     = contains(["B1", "FC1", "EP1", "P1v3"], var.service_plan_sku)
    error_message = "service_plan_sku: one of B1, FC1, EP1, P1v3."
  }
}

variable "worker_count" {
  description = "Instances of the service plan (B1, EP1, P1v3); for FC1, the most instances it may scale out to."
  type        = number
  default     = 1

  validation {
    condition     = var.worker_count >= 1 && var.worker_count <= 30 && floor(var.worker_count) == var.worker_count
    error_message = "worker_count: a whole number from 1 to 30."
  }
}

variable "storage_replication_type" {
  description = "Redundancy of the storage accounts: LRS, ZRS, GRS, RAGRS, GZRS or RAGZRS."
  type        = string
  default     = "GRS"

  validation {
    condition     = contains(["LRS", "ZRS", "GRS", "RAGRS", "GZRS", "RAGZRS"], var.storage_replication_type)
    error_message = "storage_replication_type: one of LRS, ZRS, GRS, RAGRS, GZRS, RAGZRS."
  }
}

variable "soft_delete_retention_days" {
  description = "Days deleted blobs, containers, secrets and the vault stay recoverable (7-90)."
  type        = number
  default     = 7

  validation {
    condition     = var.soft_delete_retention_days >= 7 && var.soft_delete_retention_days <= 90 && floor(var.soft_delete_retention_days) == var.soft_delete_retention_days
    error_message = "soft_delete_retention_days: a whole number from 7 to 90."
  }
}

variable "key_vault_network_acls" {
  description = "Key Vault network rules. The function app's outbound addresses and deploy_runner_ip_ranges are always added to ip_rules."
  type = object({
    default_action             = optional(string, "Deny")
    bypass                     = optional(string, "AzureServices")
    ip_rules                   = optional(list(string), [])
    virtual_network_subnet_ids = optional(list(string), [])
  })
  nullable = false
  default  = {}

  validation {
    condition     = contains(["Allow", "Deny"], var.key_vault_network_acls.default_action) && contains(["AzureServices", "None"], var.key_vault_network_acls.bypass)
    error_message = "key_vault_network_acls: default_action is Allow or Deny, bypass is AzureServices or None."
  }

  # Terraform writes the signing secret through the vault's data plane, and the trainer reads
  # it, both from the deploying runner: a vault that denies by default with no way in for the
  # runner fails the first apply with 403 ForbiddenByFirewall. Say so at plan time.
  validation {
    condition = (
      var.key_vault_network_acls.default_action == "Allow" ||
      length(var.key_vault_network_acls.ip_rules) > 0 ||
      length(var.key_vault_network_acls.virtual_network_subnet_ids) > 0 ||
      length(var.deploy_runner_ip_ranges) > 0 ||
      var.key_vault_private_endpoint != null
    )
    error_message = "key_vault_network_acls: the vault denies by default and nothing lets the deploying runner in, so writing the signing secret would fail with 403 (ForbiddenByFirewall). Set deploy_runner_ip_ranges to the runner's fixed egress addresses (TF_VAR_deploy_runner_ip_ranges, QUICKSTART.md 'Prod Key Vault access'), or key_vault_private_endpoint to a subnet the runner reaches, or default_action = \"Allow\"."
  }
}

variable "deploy_runner_ip_ranges" {
  description = "Public IPv4 egress addresses or CIDR ranges of the runner that deploys (a runner with a fixed egress address); added to the vault's ip_rules. Set per pipeline with TF_VAR_deploy_runner_ip_ranges, e.g. [\"203.0.113.7\"]."
  type        = list(string)
  nullable    = false
  default     = []

  validation {
    condition     = alltrue([for ip in var.deploy_runner_ip_ranges : can(cidrnetmask(strcontains(ip, "/") ? ip : "${ip}/32"))])
    error_message = "deploy_runner_ip_ranges: IPv4 addresses or CIDR ranges, e.g. 203.0.113.7 or 203.0.113.0/28."
  }
}

variable "key_vault_private_endpoint" {
  description = "A private endpoint for the vault: subnet_id of an existing subnet the deploying runner can reach (a self-hosted runner in that VNet or a peered one) and the privatelink.vaultcore.azure.net private DNS zone IDs; null for none."
  type = object({
    subnet_id            = string
    private_dns_zone_ids = optional(list(string), [])
  })
  default = null
}

variable "signing_key" {
  description = "The model-signing secret in Key Vault: name, expiry (RFC 3339 UTC) and a version to bump for a new random key. Its value is generated, never given."
  type = object({
    secret_name     = optional(string, "model-signing-key")
    expiration_date = string
    version         = optional(number, 1)
  })
  nullable = false

  validation {
    condition     = can(regex("^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z$", var.signing_key.expiration_date))
    error_message = "signing_key.expiration_date: an RFC 3339 UTC time such as 2027-12-31T00:00:00Z."
  }
}

variable "model_alias" {
  description = "Registry alias the function serves (FLUXOPS_ALIAS)."
  type        = string
  default     = "production"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,62}$", var.model_alias))
    error_message = "model_alias: 1-63 lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "package_blob_name" {
  description = "Blob in the deployments container that the function first runs from; deploys point the app at newer blobs."
  type        = string
  default     = "function/fluxops-function.zip"

  validation {
    condition     = can(regex("^[a-zA-Z0-9][a-zA-Z0-9._/-]{0,250}\\.zip$", var.package_blob_name))
    error_message = "package_blob_name: a blob name ending in .zip, e.g. function/fluxops-function.zip."
  }
}

variable "deployer_object_id" {
  description = "Object ID of the identity that publishes models and packages (GitLab's OIDC service principal). null means whoever runs Terraform; set it in CI (TF_VAR_deployer_object_id) so that a plan by another identity (a read-only merge-request plan) does not show the deployer's role assignments being replaced."
  type        = string
  default     = null

  validation {
    condition     = var.deployer_object_id == null || can(regex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", var.deployer_object_id))
    error_message = "deployer_object_id: null or a lower-case GUID."
  }
}

variable "rbac_propagation_wait" {
  description = "How long the apply waits after creating role assignments before anything uses them (the signing secret write; the pipeline's blob uploads and the trainer's vault read after the apply): a duration such as 90s or 2m. Azure answers 403 until an assignment has propagated."
  type        = string
  default     = "90s"

  validation {
    condition     = can(regex("^[0-9]+(s|m)$", var.rbac_propagation_wait))
    error_message = "rbac_propagation_wait: a whole number of seconds or minutes, e.g. 90s or 2m."
  }
}

variable "log_retention_in_days" {
  description = "Days Log Analytics keeps logs and telemetry (30-730)."
  type        = number
  default     = 30

  validation {
    condition     = var.log_retention_in_days >= 30 && var.log_retention_in_days <= 730 && floor(var.log_retention_in_days) == var.log_retention_in_days
    error_message = "log_retention_in_days: a whole number from 30 to 730."
  }
}

variable "log_daily_quota_gb" {
  description = "Daily ingestion cap in GB for logs and telemetry; -1 for none."
  type        = number
  default     = -1

  validation {
    condition     = var.log_daily_quota_gb == -1 || var.log_daily_quota_gb > 0
    error_message = "log_daily_quota_gb: -1 (no cap) or a positive number of GB."
  }
}

variable "action_group_id" {
  description = "Existing action group for the alerts; null creates one that e-mails alert_email_addresses."
  type        = string
  default     = null
}

variable "alert_email_addresses" {
  description = "Addresses the created action group e-mails."
  type        = list(string)
  nullable    = false
  default     = []
}

variable "alerts" {
  description = "5xx-rate and p95-latency alert settings (see modules/app_insights)."
  type = object({
    enabled              = optional(bool, true)
    error_rate_percent   = optional(number, 5)
    p95_latency_ms       = optional(number, 1000)
    min_requests         = optional(number, 20)
    evaluation_frequency = optional(string, "PT5M")
    window_duration      = optional(string, "PT15M")
  })
  nullable = false
  default  = {}
}

variable "drift_alert" {
  description = "Alert on the function's drift events: statuses that fire it (warn, alert), severity, evaluation frequency and window, and an optional other action group (see modules/app_insights)."
  type = object({
    enabled              = optional(bool, true)
    statuses             = optional(list(string), ["alert"])
    severity             = optional(number, 2)
    evaluation_frequency = optional(string, "PT5M")
    window_duration      = optional(string, "PT15M")
    action_group_id      = optional(string)
  })
  nullable = false
  default  = {}
}

variable "release" {
  description = "A candidate model served beside production: mode off, canary (the candidate answers canary_weight of requests, sticky per sticky_header value) or shadow (it scores live traffic, never answers), and the error rate over rollback_min_requests at which each instance rolls it back. Sets the function's FLUXOPS_RELEASE_MODE and related app settings (README, 'Canary and shadow releases')."
  type = object({
    mode                  = optional(string, "off")
    candidate_alias       = optional(string, "candidate")
    canary_weight         = optional(number, 0.1)
    sticky_header         = optional(string, "x-fluxops-subject")
    rollback_error_rate   = optional(number, 0.05)
    rollback_min_requests = optional(number, 50)
  })
  nullable = false
  default  = {}

  validation {
    condition     = contains(["off", "canary", "shadow"], var.release.mode)
    error_message = "release.mode: off, canary or shadow."
  }

  validation {
    condition     = var.release.canary_weight >= 0 && var.release.canary_weight <= 1
    error_message = "release.canary_weight: a fraction from 0 to 1 (0.1 is 10%)."
  }

  validation {
    condition     = var.release.rollback_error_rate > 0 && var.release.rollback_error_rate <= 1
    error_message = "release.rollback_error_rate: a fraction above 0 and at most 1 (1 never rolls back)."
  }

  validation {
    condition     = var.release.rollback_min_requests >= 1 && floor(var.release.rollback_min_requests) == var.release.rollback_min_requests
    error_message = "release.rollback_min_requests: a whole number of at least 1."
  }

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,62}$", var.release.candidate_alias)) && var.release.candidate_alias != var.model_alias
    error_message = "release.candidate_alias: 1-63 lower-case letters, digits and hyphens, starting with a letter, and not the production alias."
  }

  validation {
    condition     = can(regex("^[A-Za-z0-9-]{1,64}$", var.release.sticky_header))
    error_message = "release.sticky_header: an HTTP header name (letters, digits, hyphens)."
  }
}
