output "service_url" {
  description = "The gateway's URL."
  value       = google_cloud_run_v2_service.gateway.uri
}

output "integration_connectors_custom_endpoint" {
  description = "The value for the google provider's integration_connectors_custom_endpoint (the gateway's v1 API, with its trailing slash)."
  value       = "${google_cloud_run_v2_service.gateway.uri}/v1/"
}

output "service_account_email" {
  description = "The gateway's service account: grant it access to the secrets connections use, if not project-wide."
  value       = google_service_account.gateway.email
}

output "admin_token_secret" {
  description = "Secret Manager secret holding the gateway's admin token (GATEWAY_ADMIN_TOKEN)."
  value       = google_secret_manager_secret.admin_token.id
}

output "admin_token_command" {
  description = "Prints the admin token, e.g. for TF_VAR_gateway_token."
  value       = "gcloud secrets versions access latest --secret=${google_secret_manager_secret.admin_token.secret_id} --project=${var.project}"
}

output "database_url_secret" {
  description = "Secret Manager secret holding DATABASE_URL."
  value       = google_secret_manager_secret.database_url.id
}

output "database_instance_connection_name" {
  description = "Cloud SQL connection name (project:region:instance)."
  value       = google_sql_database_instance.gateway.connection_name
}
