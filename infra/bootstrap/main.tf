# What the pipeline may do, decided once by an Owner: each environment's resource group, and on
# it (not on the subscription) Contributor to manage the stack and Role Based Access Control
# Administrator, limited by a condition to the data-plane roles the stack assigns. The groups
# outlive the stack: a teardown empties a group, and its grants stay for the next deploy.

locals {
  # Every role infra/roles.tf assigns, by built-in role definition ID (Microsoft's "Azure
  # built-in roles" list). tests/infra/conventions_test.ts checks that roles.tf assigns exactly
  # these names.
  assignable_roles = {
    "Key Vault Secrets Officer"      = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7"
    "Key Vault Secrets User"         = "4633458b-17de-408a-b874-0445c86b69e6"
    "Monitoring Metrics Publisher"   = "3913510d-42f4-4e42-8a64-420c390055eb"
    "Storage Blob Data Contributor"  = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
    "Storage Blob Data Owner"        = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b"
    "Storage Blob Data Reader"       = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
    "Storage Table Data Contributor" = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3"
  }

  role_ids = join(", ", sort(values(local.assignable_roles)))

  # Microsoft's "Constrain roles" example (delegate-role-assignments-examples): creating an
  # assignment is checked against the request's role (@Request), deleting one against the
  # existing assignment's role (@Resource); each action not matched passes its half. Any other
  # role (Owner, Contributor, User Access Administrator, ...) is refused for both.
  rbac_admin_condition = join(" ", [
    "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'}))",
    "OR (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {${local.role_ids}}))",
    "AND ((!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'}))",
    "OR (@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {${local.role_ids}}))",
  ])
}

module "resource_group" {
  source   = "../modules/resource_group"
  for_each = var.environments

  name     = "rg-${var.name_prefix}-${each.key}"
  location = var.location
  tags = merge(var.tags, {
    project     = "fluxops"
    environment = each.key
    managed-by  = "terraform"
  })
}

resource "azurerm_role_assignment" "pipeline_contributor" {
  for_each = var.environments

  scope                = module.resource_group[each.key].id
  role_definition_name = "Contributor"
  principal_id         = var.pipeline_object_id
  principal_type       = "ServicePrincipal"
  description          = "FluxOps pipeline manages the ${each.key} stack"
}

resource "azurerm_role_assignment" "pipeline_rbac_admin" {
  for_each = var.environments

  scope                = module.resource_group[each.key].id
  role_definition_name = "Role Based Access Control Administrator"
  principal_id         = var.pipeline_object_id
  principal_type       = "ServicePrincipal"
  condition            = local.rbac_admin_condition
  condition_version    = "2.0"
  description          = "FluxOps pipeline assigns the ${each.key} stack's data-plane roles, and only those"
}
