# Production: a premium v3 plan with two instances, geo-redundant model store, a vault closed to
# all but the function app and the listed deploy runner addresses, tighter alerts.
environment              = "prod"
service_plan_sku         = "P1v3"
worker_count             = 2
storage_replication_type = "GZRS"

# Closed to all but the function app and the deploying runner. The runner's way in is set per
# pipeline, not here: TF_VAR_deploy_runner_ip_ranges (its fixed egress addresses) or
# key_vault_private_endpoint (a subnet it reaches). With neither, plan fails and says so
# (QUICKSTART.md, "Prod Key Vault access").
key_vault_network_acls = {
  default_action = "Deny"
  bypass         = "AzureServices"
}

signing_key = {
  expiration_date = "2027-11-30T00:00:00Z"
}

log_retention_in_days = 90

alerts = {
  evaluation_frequency = "PT5M"
  window_duration      = "PT15M"
  error_rate_percent   = 2
  p95_latency_ms       = 500
}

tags = {
  cost-center = "fluxops-prod"
}
