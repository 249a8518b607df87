output "id" {
  description = "Full resource name of the connection: projects/{project}/locations/{location}/connections/{name} (also the `terraform import` id)."
  value       = google_integration_connectors_connection.this.id
}

output "name" {
  description = "The connection id (the last segment of id)."
  value       = google_integration_connectors_connection.this.name
}

output "status" {
  description = "The connection's status: { state, description, status }, e.g. state ACTIVE, ERROR or AUTHORIZATION_REQUIRED."
  value       = try(google_integration_connectors_connection.this.status[0], null)
}

output "state" {
  description = "The connection's state alone (ACTIVE, ERROR, AUTHORIZATION_REQUIRED, ...)."
  value       = try(google_integration_connectors_connection.this.status[0].state, null)
}

output "connection_revision" {
  description = "Revision of the connection, bumped by each create or update."
  value       = google_integration_connectors_connection.this.connection_revision
}

output "connector_version" {
  description = "The Twilio connector version the connection uses."
  value       = google_integration_connectors_connection.this.connector_version
}

output "runtime_base_path" {
  description = "Path of the connection's v2 runtime API, relative to the gateway (or https://connectors.googleapis.com): append /entityTypes/Messages/entities and so on."
  value       = "/v2/${google_integration_connectors_connection.this.id}"
}

output "auth_token_secret_version" {
  description = "The secret version the connection reads its auth token from (created here when create_secret = true)."
  value       = local.auth_token_secret_version
}
