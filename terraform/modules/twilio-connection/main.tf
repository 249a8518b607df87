# One Twilio connection of Google Cloud Integration Connectors, or of the Twilio connector gateway (which speaks the
# same v1 API): pass the module a provider whose integration_connectors_custom_endpoint points at the gateway.

locals {
  # Connector versions exist only in the global location.
  connector_version = "projects/${var.project}/locations/global/providers/twilio/connectors/twilio/versions/1"

  auth_token_secret_version = var.create_secret ? google_secret_manager_secret_version.auth_token[0].name : var.auth_token_secret_version

  # Config variables, by value kind. Only those with a value are sent: Terraform drops false/0/"" values anyway
  # and the API fills in its own defaults.
  string_config_variables = {
    for key, value in {
      account_sid       = var.username == null ? null : var.account_sid
      region            = var.region
      edge              = var.edge
      proxy_auth_scheme = var.proxy_auth_scheme
      proxy_user        = var.proxy_user
      proxy_ssltype     = var.proxy_ssltype
    } : key => value if value != null
  }
  boolean_config_variables = {
    for key, value in {
      proxy_enabled = var.proxy_enabled
      sandbox       = var.sandbox ? true : null
    } : key => value if value != null
  }
  secret_config_variables = {
    for key, value in {
      proxy_password = var.proxy_password_secret_version
    } : key => value if value != null
  }
}

resource "google_secret_manager_secret" "auth_token" {
  count = var.create_secret ? 1 : 0

  project   = var.project
  secret_id = coalesce(var.secret_id, "${var.name}-twilio-auth-token")
  labels    = var.labels

  replication {
    dynamic "auto" {
      for_each = length(var.secret_replica_locations) == 0 ? [1] : []
      content {}
    }
    dynamic "user_managed" {
      for_each = length(var.secret_replica_locations) == 0 ? [] : [1]
      content {
        dynamic "replicas" {
          for_each = var.secret_replica_locations
          content {
            location = replicas.value
          }
        }
      }
    }
  }
}

resource "google_secret_manager_secret_version" "auth_token" {
  count = var.create_secret ? 1 : 0

  secret = google_secret_manager_secret.auth_token[0].id
  # Write-only: sent to Secret Manager when auth_token_version changes, never stored in the state.
  secret_data_wo         = var.auth_token
  secret_data_wo_version = var.auth_token_version

  lifecycle {
    # Rotation: the new version exists before the connection moves to it and the old one is destroyed.
    create_before_destroy = true
  }
}

resource "google_integration_connectors_connection" "this" {
  project           = var.project
  name              = var.name
  location          = var.location
  description       = var.description
  connector_version = local.connector_version
  service_account   = var.service_account
  suspended         = var.suspended
  labels            = var.labels

  auth_config {
    auth_type = "USER_PASSWORD"
    user_password {
      # The Account SID, or an API key SID / parent account SID (then account_sid travels as a config variable).
      username = coalesce(var.username, var.account_sid)
      password {
        secret_version = local.auth_token_secret_version
      }
    }
  }

  dynamic "config_variable" {
    for_each = local.string_config_variables
    content {
      key          = config_variable.key
      string_value = config_variable.value
    }
  }

  dynamic "config_variable" {
    for_each = local.boolean_config_variables
    content {
      key           = config_variable.key
      boolean_value = config_variable.value
    }
  }

  dynamic "config_variable" {
    for_each = local.secret_config_variables
    content {
      key = config_variable.key
      secret_value {
        secret_version = config_variable.value
      }
    }
  }

  dynamic "destination_config" {
    for_each = var.proxy_host == null ? [] : [{ host = var.proxy_host, port = var.proxy_port }]
    content {
      key = "proxy_server"
      destination {
        host = destination_config.value.host
        port = destination_config.value.port
      }
    }
  }

  dynamic "node_config" {
    for_each = var.min_node_count == null && var.max_node_count == null ? [] : [1]
    content {
      min_node_count = var.min_node_count
      max_node_count = var.max_node_count
    }
  }

  dynamic "log_config" {
    for_each = var.log_config == null ? [] : [var.log_config]
    content {
      enabled = log_config.value.enabled
      level   = log_config.value.level
    }
  }
}
