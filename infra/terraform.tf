terraform {
  required_version = ">= 1.5.0"

  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 5.2"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.9"
    }
  }

  # No backend block here: `deno task infra` writes backend_override.tf for each run, the
  # GitLab-managed http backend when TF_HTTP_ADDRESS or GitLab CI's variables are set, else a
  # local state file under .fluxops/infra/<env>/ (see docs/IaC_Design.md).
}
