# The Twilio connector gateway on Cloud Run: always-on instances (min >= 1, CPU always allocated) with a dedicated
# service account, PostgreSQL on Cloud SQL reached through Cloud Run's Cloud SQL connection, DATABASE_URL and the
# admin token from Secret Manager, connection secrets read from Secret Manager, and no sandbox.

locals {
  apis = toset([
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "sqladmin.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com",
    "cloudresourcemanager.googleapis.com",
  ])

  gateway_member         = "serviceAccount:${google_service_account.gateway.email}"
  database_instance_name = coalesce(var.database_instance_name, "${var.service_name}-pg")

  # node-postgres reads a Unix socket directory from `host`; Cloud Run mounts the instance's socket under /cloudsql.
  database_url = format(
    "postgresql://%s:%s@localhost/%s?host=/cloudsql/%s",
    urlencode(google_sql_user.gateway.name),
    urlencode(random_password.database.result),
    urlencode(google_sql_database.gateway.name),
    google_sql_database_instance.gateway.connection_name,
  )
}

resource "google_project_service" "apis" {
  for_each = var.enable_apis ? local.apis : toset([])

  project            = var.project
  service            = each.value
  disable_on_destroy = false
}

# --- identity ---------------------------------------------------------------------------------------------------

resource "google_service_account" "gateway" {
  project      = var.project
  account_id   = var.service_account_id
  display_name = "Twilio connector gateway"
  description  = "Runs the Twilio connector gateway on Cloud Run and reads connection secrets from Secret Manager."

  depends_on = [google_project_service.apis]
}

resource "google_project_iam_member" "gateway" {
  for_each = toset([
    "roles/secretmanager.secretAccessor", # read the secret versions connections name
    "roles/secretmanager.viewer",         # resolve versions/latest and tell "not found" from "denied"
    "roles/cloudsql.client",              # Cloud Run's Cloud SQL connection
  ])

  project = var.project
  role    = each.value
  member  = local.gateway_member
}

# Connections that name a service_account have their secrets read as that account (impersonation).
resource "google_service_account_iam_member" "impersonation" {
  for_each = toset(var.connection_service_accounts)

  service_account_id = "projects/-/serviceAccounts/${each.value}"
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.gateway_member
}

# --- database ---------------------------------------------------------------------------------------------------

resource "google_sql_database_instance" "gateway" {
  project             = var.project
  name                = local.database_instance_name
  region              = var.region
  database_version    = var.database_version
  deletion_protection = var.deletion_protection

  settings {
    tier                        = var.database_tier
    edition                     = "ENTERPRISE"
    availability_type           = var.database_availability_type
    disk_autoresize             = true
    deletion_protection_enabled = var.deletion_protection
    user_labels                 = var.labels

    ip_configuration {
      # A public address with no authorized network: reachable only through the Cloud SQL connector (IAM-checked).
      ipv4_enabled = true
      ssl_mode     = "ENCRYPTED_ONLY"
    }

    backup_configuration {
      enabled                        = true
      point_in_time_recovery_enabled = true
    }
  }

  depends_on = [google_project_service.apis]
}

resource "google_sql_database" "gateway" {
  project  = var.project
  instance = google_sql_database_instance.gateway.name
  name     = "gateway"
}

resource "random_password" "database" {
  length  = 32
  special = false
}

resource "google_sql_user" "gateway" {
  project  = var.project
  instance = google_sql_database_instance.gateway.name
  name     = "gateway"
  password = random_password.database.result
}

# --- secrets ----------------------------------------------------------------------------------------------------

resource "google_secret_manager_secret" "database_url" {
  project   = var.project
  secret_id = "${var.service_name}-database-url"
  labels    = var.labels

  replication {
    auto {}
  }

  depends_on = [google_project_service.apis]
}

resource "google_secret_manager_secret_version" "database_url" {
  secret      = google_secret_manager_secret.database_url.id
  secret_data = local.database_url
}

resource "random_password" "admin_token" {
  length  = 48
  special = false
}

resource "google_secret_manager_secret" "admin_token" {
  project   = var.project
  secret_id = "${var.service_name}-admin-token"
  labels    = var.labels

  replication {
    auto {}
  }

  depends_on = [google_project_service.apis]
}

resource "google_secret_manager_secret_version" "admin_token" {
  secret      = google_secret_manager_secret.admin_token.id
  secret_data = random_password.admin_token.result
}

# --- the service ------------------------------------------------------------------------------------------------

resource "google_cloud_run_v2_service" "gateway" {
  project              = var.project
  name                 = var.service_name
  location             = var.region
  ingress              = var.ingress
  invoker_iam_disabled = var.invoker_iam_disabled
  deletion_protection  = var.deletion_protection
  labels               = var.labels

  template {
    service_account                  = google_service_account.gateway.email
    max_instance_request_concurrency = var.concurrency
    timeout                          = "300s"

    scaling {
      # At least one instance always runs: operations finish and heartbeats beat with no request in flight.
      min_instance_count = var.min_instances
      max_instance_count = var.max_instances
    }

    volumes {
      name = "cloudsql"
      cloud_sql_instance {
        instances = [google_sql_database_instance.gateway.connection_name]
      }
    }

    containers {
      image = var.image

      ports {
        container_port = 8080
      }

      resources {
        # CPU always allocated, not only while a request is served.
        cpu_idle          = false
        startup_cpu_boost = true
        limits = {
          cpu    = var.cpu
          memory = var.memory
        }
      }

      # Connection secrets come from Secret Manager: never the local store, never the simulator.
      env {
        name  = "SECRETS_BACKEND"
        value = "secret-manager"
      }

      env {
        name  = "SANDBOX"
        value = "off"
      }

      env {
        name  = "HOST"
        value = "0.0.0.0"
      }

      env {
        name  = "LOG_LEVEL"
        value = var.log_level
      }

      dynamic "env" {
        for_each = var.extra_env
        content {
          name  = env.key
          value = env.value
        }
      }

      # Pinned versions: a new secret version rolls out a new revision.
      env {
        name = "DATABASE_URL"
        value_source {
          secret_key_ref {
            secret  = google_secret_manager_secret.database_url.secret_id
            version = google_secret_manager_secret_version.database_url.version
          }
        }
      }

      env {
        name = "GATEWAY_ADMIN_TOKEN"
        value_source {
          secret_key_ref {
            secret  = google_secret_manager_secret.admin_token.secret_id
            version = google_secret_manager_secret_version.admin_token.version
          }
        }
      }

      volume_mounts {
        name       = "cloudsql"
        mount_path = "/cloudsql"
      }

      startup_probe {
        http_get {
          path = "/readyz"
          port = 8080
        }
        period_seconds    = 2
        timeout_seconds   = 2
        failure_threshold = 60
      }

      liveness_probe {
        http_get {
          path = "/healthz"
          port = 8080
        }
        period_seconds    = 15
        timeout_seconds   = 3
        failure_threshold = 3
      }
    }
  }

  depends_on = [
    google_project_iam_member.gateway,
    google_sql_database.gateway,
  ]
}
