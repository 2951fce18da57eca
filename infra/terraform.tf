terraform {
  # 1.11: ephemeral resources and write-only attributes (the signing key's value_wo), in
  # OpenTofu and Terraform alike.
  required_version = ">= 1.11.0"

  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 5.2"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.9"
    }
    time = {
      source  = "hashicorp/time"
      version = "~> 0.14"
    }
  }

  # No backend block here: `deno task infra` writes backend_override.tf for each run, the
  # GitLab-managed http backend when TF_HTTP_ADDRESS or GitLab CI's variables are set, else a
  # local state file under .fluxops/infra/<env>/ (see docs/IaC_Design.md).
}
