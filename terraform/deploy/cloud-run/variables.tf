variable "project" {
  description = "Google Cloud project to deploy the gateway into."
  type        = string
}

variable "region" {
  description = "Region of the Cloud Run service and of the Cloud SQL instance."
  type        = string
  default     = "us-central1"
}

variable "image" {
  description = "The gateway's container image (built from the repository's Dockerfile), e.g. us-central1-docker.pkg.dev/PROJECT/twilio-gateway/gateway:0.1.0."
  type        = string
}

variable "service_name" {
  description = "Name of the Cloud Run service; also the prefix of the secrets and of the Cloud SQL instance."
  type        = string
  default     = "twilio-gateway"

  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$", var.service_name))
    error_message = "service_name must be lowercase letters, digits and hyphens, start with a letter and be at most 40 characters."
  }
}

variable "service_account_id" {
  description = "Account id of the gateway's dedicated service account."
  type        = string
  default     = "twilio-gateway"

  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{4,28}[a-z0-9])$", var.service_account_id))
    error_message = "service_account_id must be 6 to 30 lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "min_instances" {
  description = "Instances kept running at all times. At least 1: long-running operations and heartbeats run in the background and must not wait for a request to arrive."
  type        = number
  default     = 1

  validation {
    condition     = var.min_instances >= 1 && floor(var.min_instances) == var.min_instances
    error_message = "min_instances must be a whole number of at least 1: the gateway's background work stalls with no instance running."
  }
}

variable "max_instances" {
  description = "Most instances Cloud Run may start. They share one PostgreSQL database."
  type        = number
  default     = 4

  validation {
    condition     = var.max_instances >= var.min_instances
    error_message = "max_instances must be at least min_instances."
  }
}

variable "cpu" {
  description = "CPU limit of each instance (always allocated)."
  type        = string
  default     = "1"
}

variable "memory" {
  description = "Memory limit of each instance."
  type        = string
  default     = "512Mi"
}

variable "concurrency" {
  description = "Requests one instance serves at once."
  type        = number
  default     = 80
}

variable "log_level" {
  description = "The gateway's LOG_LEVEL: fatal, error, warn, info, debug, trace or silent."
  type        = string
  default     = "info"

  validation {
    condition     = contains(["fatal", "error", "warn", "info", "debug", "trace", "silent"], var.log_level)
    error_message = "log_level must be one of fatal, error, warn, info, debug, trace, silent."
  }
}

variable "extra_env" {
  description = "More environment variables for the gateway (not the ones this configuration sets, nor PORT, which Cloud Run sets)."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = length(setintersection(keys(var.extra_env), ["PORT", "HOST", "SANDBOX", "SECRETS_BACKEND", "DATABASE_URL", "GATEWAY_ADMIN_TOKEN", "LOG_LEVEL"])) == 0
    error_message = "extra_env must not set PORT, HOST, SANDBOX, SECRETS_BACKEND, DATABASE_URL, GATEWAY_ADMIN_TOKEN or LOG_LEVEL."
  }
}

variable "ingress" {
  description = "Who may reach the service: INGRESS_TRAFFIC_ALL, INGRESS_TRAFFIC_INTERNAL_ONLY or INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER."
  type        = string
  default     = "INGRESS_TRAFFIC_ALL"

  validation {
    condition     = contains(["INGRESS_TRAFFIC_ALL", "INGRESS_TRAFFIC_INTERNAL_ONLY", "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"], var.ingress)
    error_message = "ingress must be INGRESS_TRAFFIC_ALL, INGRESS_TRAFFIC_INTERNAL_ONLY or INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER."
  }
}

variable "invoker_iam_disabled" {
  description = "Skip Cloud Run's IAM invoker check. Keep true: callers (Terraform, workflows) send the gateway's own bearer token in the Authorization header, which Cloud Run would otherwise take for a Google identity token; the gateway authenticates every call but /healthz, /readyz and its docs itself."
  type        = bool
  default     = true
}

variable "connection_service_accounts" {
  description = "Emails of service accounts that connections name in service_account: the gateway gets roles/iam.serviceAccountTokenCreator on each, to read their secrets as them."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "database_version" {
  description = "Cloud SQL PostgreSQL version."
  type        = string
  default     = "POSTGRES_16"

  validation {
    condition     = startswith(var.database_version, "POSTGRES_")
    error_message = "The gateway needs PostgreSQL: database_version must be POSTGRES_*."
  }
}

variable "database_tier" {
  description = "Cloud SQL machine tier (Enterprise edition)."
  type        = string
  default     = "db-custom-1-3840"
}

variable "database_availability_type" {
  description = "ZONAL, or REGIONAL for a standby in a second zone."
  type        = string
  default     = "ZONAL"

  validation {
    condition     = contains(["ZONAL", "REGIONAL"], var.database_availability_type)
    error_message = "database_availability_type must be ZONAL or REGIONAL."
  }
}

variable "database_instance_name" {
  description = "Name of the Cloud SQL instance. Default: \"<service_name>-pg\". (A deleted instance's name cannot be reused for about a week.)"
  type        = string
  default     = null
}

variable "enable_apis" {
  description = "Enable the APIs the deployment uses (Cloud Run, Secret Manager, Cloud SQL Admin, IAM, IAM Credentials, Cloud Resource Manager). They are left enabled on destroy."
  type        = bool
  default     = true
}

variable "deletion_protection" {
  description = "Protect the Cloud Run service and the Cloud SQL instance against deletion (terraform destroy fails until this is set to false and applied)."
  type        = bool
  default     = true
}

variable "labels" {
  description = "Labels for the service, the secrets and the database instance."
  type        = map(string)
  default     = {}
  nullable    = false
}
