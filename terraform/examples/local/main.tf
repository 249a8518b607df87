# A Twilio connection on a gateway running on this machine (`npm start`), reaching the gateway's built-in Twilio
# sandbox: nothing in Google's cloud is used. See README.md for the commands.

terraform {
  required_version = ">= 1.11.0"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 6.50.0, < 8.0.0"
    }
  }
}

variable "gateway_endpoint" {
  description = "The gateway's v1 API, with a trailing slash (the provider wants a value matching .*/[^/]+/$)."
  type        = string
  default     = "http://127.0.0.1:8080/v1/"

  validation {
    condition     = can(regex(".*/[^/]+/$", var.gateway_endpoint))
    error_message = "gateway_endpoint must end with a path segment and a slash, e.g. http://127.0.0.1:8080/v1/."
  }
}

variable "gateway_token" {
  description = "The gateway's admin token: TF_VAR_gateway_token=$(cat .data/admin-token)."
  type        = string
  sensitive   = true
}

variable "sandbox_auth_token_secret_version" {
  description = "The secret version holding the sandbox account's auth token. The gateway stores that token in its local secret store on first start, as projects/local/secrets/sandbox-auth-token; any version made with `npm run --silent secrets -- add …` works too."
  type        = string
  default     = "projects/local/secrets/sandbox-auth-token/versions/latest"
}

variable "sandbox_account_sid" {
  description = "The account SID of the gateway's Twilio sandbox."
  type        = string
  default     = "AC5f3e8b2a9c1d4e7f6a0b3c8d2e9f1a47"
}

# The provider, pointed at the gateway. access_token is sent as the bearer token of every call; with it set the
# provider looks for no Google credentials, and there is deliberately no unaliased provider "google" here, so no
# part of this configuration can reach Google.
provider "google" {
  alias = "gateway"

  project                                = "local"
  access_token                           = var.gateway_token
  integration_connectors_custom_endpoint = var.gateway_endpoint
  user_project_override                  = false
}

module "twilio_sandbox" {
  source = "../../modules/twilio-connection"
  providers = {
    google = google.gateway
  }

  project     = "local"
  location    = "local"
  name        = "twilio-sandbox"
  description = "Twilio sandbox connection managed by Terraform"

  account_sid               = var.sandbox_account_sid
  auth_token_secret_version = var.sandbox_auth_token_secret_version
  sandbox                   = true

  min_node_count = 1
  max_node_count = 2
  log_config = {
    enabled = true
    level   = "INFO"
  }
  labels = {
    env = "local"
  }
}

output "connection_id" {
  description = "Full name of the connection (the terraform import id)."
  value       = module.twilio_sandbox.id
}

output "state" {
  description = "The connection's state as the gateway reports it."
  value       = module.twilio_sandbox.state
}

output "runtime_url" {
  description = "Base URL of the connection's v2 runtime API on the gateway."
  value       = "${trimsuffix(var.gateway_endpoint, "/v1/")}${module.twilio_sandbox.runtime_base_path}"
}
