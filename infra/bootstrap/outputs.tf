output "resource_group_names" {
  description = "The resource group of each environment."
  value       = { for env, rg in module.resource_group : env => rg.name }
}

output "assignable_roles" {
  description = "Built-in roles (name => role definition ID) the pipeline may assign and remove in the groups."
  value       = local.assignable_roles
}

output "rbac_admin_condition" {
  description = "The ABAC condition (version 2.0) on the pipeline's Role Based Access Control Administrator grants."
  value       = local.rbac_admin_condition
}
