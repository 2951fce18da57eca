# Development: the seed's B1 plan, locally redundant storage, a vault open to the shared GitLab
# runners (RBAC still decides who reads), cheaper alert evaluation.
environment              = "dev"
service_plan_sku         = "B1"
worker_count             = 1
storage_replication_type = "LRS"

# Shared runners have no fixed egress address to list; access still needs a role assignment.
key_vault_network_acls = {
  default_action = "Allow"
}

signing_key = {
  expiration_date = "2027-11-30T00:00:00Z"
}

log_retention_in_days = 30
log_daily_quota_gb    = 1

alerts = {
  evaluation_frequency = "PT15M"
  window_duration      = "PT15M"
}

# Drift into warn as well as alert: dev is where a new model meets new data first.
drift_alert = {
  statuses             = ["warn", "alert"]
  severity             = 3
  evaluation_frequency = "PT15M"
  window_duration      = "PT15M"
}

tags = {
  cost-center = "fluxops-dev"
}
