# The one-time setup an Owner applies, against a mocked azurerm provider:
#   tofu -chdir=infra/bootstrap test

mock_provider "azurerm" {
  mock_resource "azurerm_resource_group" {
    defaults = { id = "/subscriptions/00000000-0000-0000-0000-00000000000c/resourceGroups/rg-mock" }
  }

  mock_resource "azurerm_role_assignment" {
    defaults = { id = "/subscriptions/00000000-0000-0000-0000-00000000000c/providers/Microsoft.Authorization/roleAssignments/00000000-0000-0000-0000-0000000000e1" }
  }
}

variables {
  pipeline_object_id = "00000000-0000-0000-0000-0000000000d1"
}

run "each_environment_gets_a_group_and_the_pipelines_grants_on_it" {
  command = apply

  assert {
    condition     = output.resource_group_names == { dev = "rg-fluxops-dev", prod = "rg-fluxops-prod" }
    error_message = "one group per environment, named as the stack reads it: rg-<prefix>-<env>"
  }

  assert {
    condition = alltrue([
      for env in ["dev", "prod"] :
      azurerm_role_assignment.pipeline_contributor[env].scope == module.resource_group[env].id &&
      azurerm_role_assignment.pipeline_rbac_admin[env].scope == module.resource_group[env].id &&
      azurerm_role_assignment.pipeline_contributor[env].role_definition_name == "Contributor" &&
      azurerm_role_assignment.pipeline_rbac_admin[env].role_definition_name == "Role Based Access Control Administrator" &&
      azurerm_role_assignment.pipeline_rbac_admin[env].principal_id == var.pipeline_object_id
    ])
    error_message = "the pipeline's Contributor and RBAC Administrator grants are scoped to its group, not the subscription"
  }
}

run "the_rbac_administrator_grant_may_only_assign_the_stacks_roles" {
  command = apply

  assert {
    condition = alltrue([
      for ra in azurerm_role_assignment.pipeline_rbac_admin :
      ra.condition_version == "2.0" && ra.condition == output.rbac_admin_condition
    ])
    error_message = "every RBAC Administrator grant carries the condition, version 2.0"
  }

  assert {
    condition = output.rbac_admin_condition == join("", [
      "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) ",
      "OR (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {",
      "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3, 2a2b9908-6ea1-4ae2-8e65-a410df84e7d1, 3913510d-42f4-4e42-8a64-420c390055eb, 4633458b-17de-408a-b874-0445c86b69e6, b7e6dc6d-f1e8-4753-8033-0f276bb0955b, b86a8fe4-44ce-4948-aee5-eccb2c155cd7, ba92f5b4-2d11-453d-a403-e96b0029c9fe",
      "})) AND ((!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})) ",
      "OR (@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {",
      "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3, 2a2b9908-6ea1-4ae2-8e65-a410df84e7d1, 3913510d-42f4-4e42-8a64-420c390055eb, 4633458b-17de-408a-b874-0445c86b69e6, b7e6dc6d-f1e8-4753-8033-0f276bb0955b, b86a8fe4-44ce-4948-aee5-eccb2c155cd7, ba92f5b4-2d11-453d-a403-e96b0029c9fe",
      "}))",
    ])
    error_message = "the condition is exactly the documented one (docs/IaC_Design.md): writes checked on the request's role, deletes on the assignment's"
  }

  assert {
    condition = alltrue([
      for id in [
        "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", # Owner
        "b24988ac-6180-42a0-ab88-20f7382dd24c", # Contributor
        "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", # User Access Administrator
        "f58310d9-a9f6-439a-9e8d-f62e7b41a168", # Role Based Access Control Administrator
      ] : !strcontains(output.rbac_admin_condition, id)
    ])
    error_message = "the pipeline can never hand out Owner, Contributor or either access-administration role"
  }
}

run "only_one_environment_can_be_prepared" {
  command = plan

  variables {
    environments = ["dev"]
  }

  assert {
    condition     = keys(output.resource_group_names) == ["dev"] && length(azurerm_role_assignment.pipeline_rbac_admin) == 1
    error_message = "environments = [\"dev\"] prepares dev only"
  }
}

run "rejects_a_client_id_given_where_the_object_id_belongs" {
  command = plan
  variables { pipeline_object_id = "fluxops-gitlab-deploy" }
  expect_failures = [var.pipeline_object_id]
}
