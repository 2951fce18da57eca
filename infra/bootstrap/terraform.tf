terraform {
  required_version = ">= 1.11.0"

  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 5.2"
    }
  }

  # Applied once per subscription by an Owner, from a laptop (local state, or pass a backend
  # with -backend-config): see QUICKSTART.md, "One-time setup".
}
