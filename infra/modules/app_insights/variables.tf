variable "name" {
  description = "Name of the Application Insights component; alert rules are named after it."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9][a-zA-Z0-9_.()-]{0,200}$", var.name))
    error_message = "name: 1-201 letters, digits, '_', '.', '(', ')' or '-', starting with a letter or digit."
  }
}

variable "workspace_name" {
  description = "Name of the Log Analytics workspace: 4-63 letters, digits and hyphens."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9](?:[a-zA-Z0-9-]{2,61})[a-zA-Z0-9]$", var.workspace_name))
    error_message = "workspace_name: 4-63 letters, digits and hyphens, not starting or ending with a hyphen."
  }
}

variable "resource_group_name" {
  description = "Resource group of the workspace, the component, the action group and the alerts."
  type        = string
}

variable "location" {
  description = "Azure region of the workspace, the component and the alerts."
  type        = string
}

variable "retention_in_days" {
  description = "Days the workspace keeps logs and telemetry (30-730; the first 31 days are free)."
  type        = number
  default     = 30

  validation {
    condition     = var.retention_in_days >= 30 && var.retention_in_days <= 730 && floor(var.retention_in_days) == var.retention_in_days
    error_message = "retention_in_days: a whole number from 30 to 730."
  }
}

variable "daily_quota_gb" {
  description = "Daily ingestion cap in GB for the workspace and the component; -1 for none."
  type        = number
  default     = -1

  validation {
    condition     = var.daily_quota_gb == -1 || var.daily_quota_gb > 0
    error_message = "daily_quota_gb: -1 (no cap) or a positive number of GB."
  }
}

variable "action_group_id" {
  description = "Existing action group that receives the alerts; null creates one that e-mails alert_email_addresses."
  type        = string
  default     = null

  validation {
    condition     = var.action_group_id == null || can(regex("(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/microsoft\\.insights/actionGroups/[^/]+$", var.action_group_id))
    error_message = "action_group_id: null or an action group resource ID (/subscriptions/.../providers/microsoft.insights/actionGroups/<name>)."
  }
}

variable "action_group_name" {
  description = "Name of the action group created when action_group_id is null."
  type        = string
}

variable "action_group_short_name" {
  description = "Short name (1-12 characters) of the created action group, shown in SMS and e-mail."
  type        = string

  validation {
    condition     = length(var.action_group_short_name) >= 1 && length(var.action_group_short_name) <= 12
    error_message = "action_group_short_name: 1-12 characters."
  }
}

variable "alert_email_addresses" {
  description = "Addresses the created action group e-mails; unused when action_group_id is set."
  type        = list(string)
  nullable    = false
  default     = []

  validation {
    condition     = alltrue([for a in var.alert_email_addresses : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", a))])
    error_message = "alert_email_addresses: e-mail addresses such as ops@example.com."
  }
}

variable "alerts" {
  description = "Alert rules on the requests table: thresholds, how often they run (ISO 8601) and over what window."
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

  validation {
    condition     = var.alerts.error_rate_percent > 0 && var.alerts.error_rate_percent < 100
    error_message = "alerts.error_rate_percent: a percentage between 0 and 100."
  }

  validation {
    condition     = var.alerts.p95_latency_ms > 0 && var.alerts.min_requests >= 1
    error_message = "alerts: p95_latency_ms must be positive and min_requests at least 1."
  }

  validation {
    condition     = contains(["PT1M", "PT5M", "PT10M", "PT15M", "PT30M", "PT45M", "PT1H"], var.alerts.evaluation_frequency) && contains(["PT5M", "PT10M", "PT15M", "PT30M", "PT45M", "PT1H", "PT2H", "PT3H", "PT6H"], var.alerts.window_duration)
    error_message = "alerts: evaluation_frequency one of PT1M, PT5M, PT10M, PT15M, PT30M, PT45M, PT1H; window_duration one of PT5M ... PT6H."
  }
}

variable "tags" {
  description = "Tags applied to every resource of the module."
  type        = map(string)
  nullable    = false
  default     = {}
}

variable "drift_alert" {
  description = "Alert on the prediction function's drift events. It always fires on a drifted feature (its deciding p-value under alpha / features, status \"alert\") and on the data set's drift (dataset_drift: half of the features or more), never on raw PSI. statuses: the feature verdicts that fire it besides: [\"alert\"] (the default) adds nothing, \"warn\" adds a feature significant before the multiple-testing correction only. Also its severity (0 critical to 4 verbose), how often it runs and over what window (ISO 8601), and an action group to notify instead of the module's (null: the module's)."
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

  validation {
    condition     = length(var.drift_alert.statuses) > 0 && alltrue([for s in var.drift_alert.statuses : contains(["warn", "alert"], s)])
    error_message = "drift_alert.statuses: one or both of \"warn\" (also fire on a feature significant before the multiple-testing correction) and \"alert\" (a drifted feature, which fires the alert in any case)."
  }

  validation {
    condition     = contains([0, 1, 2, 3, 4], var.drift_alert.severity)
    error_message = "drift_alert.severity: 0 (critical), 1, 2, 3 or 4 (verbose)."
  }

  validation {
    condition     = contains(["PT1M", "PT5M", "PT10M", "PT15M", "PT30M", "PT45M", "PT1H"], var.drift_alert.evaluation_frequency) && contains(["PT5M", "PT10M", "PT15M", "PT30M", "PT45M", "PT1H", "PT2H", "PT3H", "PT6H", "P1D"], var.drift_alert.window_duration)
    error_message = "drift_alert: evaluation_frequency one of PT1M, PT5M, PT10M, PT15M, PT30M, PT45M, PT1H; window_duration one of PT5M ... PT6H or P1D."
  }

  validation {
    condition     = var.drift_alert.action_group_id == null || can(regex("(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/microsoft\\.insights/actionGroups/[^/]+$", coalesce(var.drift_alert.action_group_id, "-")))
    error_message = "drift_alert.action_group_id: null or an action group resource ID (/subscriptions/.../providers/microsoft.insights/actionGroups/<name>)."
  }
}
