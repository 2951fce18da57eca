variable "name" {
  description = "Name of the resource group."
  type        = string

  validation {
    condition     = can(regex("^[-\\w._()]{1,89}[-\\w_()]$", var.name))
    error_message = "name: 1-90 letters, digits, '-', '_', '.', '(' or ')', not ending in '.'."
  }
}

variable "location" {
  description = "Azure region of the resource group, e.g. \"westeurope\"."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]+$", var.location))
    error_message = "location: an Azure region name in lower case without spaces, e.g. \"westeurope\"."
  }
}

variable "tags" {
  description = "Tags applied to the resource group."
  type        = map(string)
  nullable    = false
  default     = {}
}
