# Inputs of one Twilio connection. Every optional input defaults to null: an input left unset sends nothing, so the
# API (Google's or the gateway's) applies its own default and Terraform shows no diff for it.

variable "project" {
  description = "Project id of the connection (and of its connector version). Any id works against the gateway, e.g. \"local\"."
  type        = string

  validation {
    condition     = can(regex("^[^/]+$", var.project))
    error_message = "project must be a non-empty project id without slashes."
  }
}

variable "name" {
  description = "Connection id: lowercase letters, digits and hyphens, starting with a letter, ending with a letter or digit, at most 63 characters."
  type        = string

  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$", var.name))
    error_message = "name must be lowercase letters, digits and hyphens, start with a letter, end with a letter or digit, and be at most 63 characters long."
  }
}

variable "location" {
  description = "Location of the connection: a Google Cloud region such as \"us-central1\" (any id works against the gateway, e.g. \"local\")."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9-]+$", var.location))
    error_message = "location must be a location id such as us-central1."
  }
}

variable "description" {
  description = "Free-text description of the connection."
  type        = string
  default     = null
}

variable "account_sid" {
  description = "The Twilio Account SID (AC followed by 32 hex digits) the connection acts on."
  type        = string

  validation {
    condition     = can(regex("^AC[0-9a-fA-F]{32}$", var.account_sid))
    error_message = "account_sid must be a Twilio Account SID: AC followed by 32 hexadecimal digits."
  }
}

variable "username" {
  description = "Who authenticates, when it is not account_sid itself: an API key SID (SK...) or a parent account's SID acting on the subaccount account_sid. When set, account_sid is sent as the connection's `account_sid` config variable. Null: the connection authenticates as account_sid with its auth token."
  type        = string
  default     = null

  validation {
    condition     = var.username == null || can(regex("^(SK|AC)[0-9a-fA-F]{32}$", var.username))
    error_message = "username must be an API key SID (SK + 32 hex digits) or an Account SID (AC + 32 hex digits)."
  }
}

variable "auth_token_secret_version" {
  description = "Secret Manager secret version holding the auth token (or the API key's secret): projects/*/secrets/*/versions/* (`latest` allowed). Against the gateway's local store, the name printed by `npm run --silent secrets -- add ...`. Leave null when create_secret = true."
  type        = string
  default     = null

  validation {
    condition     = var.auth_token_secret_version == null || can(regex("^projects/[^/]+/secrets/[^/]+/versions/[^/]+$", var.auth_token_secret_version))
    error_message = "auth_token_secret_version must look like projects/PROJECT/secrets/SECRET/versions/VERSION."
  }

  validation {
    condition     = var.create_secret != (var.auth_token_secret_version != null)
    error_message = "Give exactly one of auth_token_secret_version, or create_secret = true with auth_token."
  }
}

variable "create_secret" {
  description = "Create a Secret Manager secret (secret_id) and a version holding auth_token, in project, and use that version. Needs real Secret Manager: not available through a provider whose only custom endpoint is the gateway."
  type        = bool
  default     = false
  nullable    = false
}

variable "auth_token" {
  description = "The auth token (or API key secret) to store when create_secret = true. Written with a write-only argument: it is not saved in the Terraform state."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = !var.create_secret || var.auth_token != null
    error_message = "create_secret = true needs auth_token (e.g. TF_VAR_auth_token)."
  }
}

variable "auth_token_version" {
  description = "Bump to store the current auth_token as a new secret version (rotation). Only used with create_secret = true."
  type        = number
  default     = 1
  nullable    = false
}

variable "secret_id" {
  description = "Id of the secret created when create_secret = true. Default: \"<name>-twilio-auth-token\"."
  type        = string
  default     = null

  validation {
    condition     = var.secret_id == null || can(regex("^[A-Za-z0-9_-]{1,255}$", var.secret_id))
    error_message = "secret_id may contain letters, digits, hyphens and underscores (at most 255)."
  }
}

variable "secret_replica_locations" {
  description = "Regions to replicate the created secret to (user-managed replication). Empty: automatic replication."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "region" {
  description = "Twilio region to reach (e.g. \"ie1\", \"au1\"); sent as the `region` config variable. Null: Twilio's default (us1)."
  type        = string
  default     = null

  validation {
    condition     = var.region == null || can(regex("^[a-z]{2}[0-9]$", var.region))
    error_message = "region must be a Twilio region id such as ie1, au1 or us1."
  }
}

variable "edge" {
  description = "Twilio edge location (e.g. \"dublin\", \"sydney\"); sent as the `edge` config variable."
  type        = string
  default     = null

  validation {
    condition     = var.edge == null || can(regex("^[a-z-]+$", var.edge))
    error_message = "edge must be a Twilio edge location such as dublin or sydney."
  }
}

variable "min_node_count" {
  description = "Minimum number of nodes (1 to 100). Null: the API's default (2)."
  type        = number
  default     = null

  validation {
    condition     = var.min_node_count == null || try(var.min_node_count >= 1 && var.min_node_count <= 100 && floor(var.min_node_count) == var.min_node_count, false)
    error_message = "min_node_count must be a whole number from 1 to 100."
  }
}

variable "max_node_count" {
  description = "Maximum number of nodes (1 to 100, at least min_node_count). Null: the API's default (50)."
  type        = number
  default     = null

  validation {
    condition     = var.max_node_count == null || try(var.max_node_count >= 1 && var.max_node_count <= 100 && floor(var.max_node_count) == var.max_node_count, false)
    error_message = "max_node_count must be a whole number from 1 to 100."
  }

  validation {
    condition     = try(coalesce(var.min_node_count, 2) <= coalesce(var.max_node_count, 50), false)
    error_message = "min_node_count must not exceed max_node_count (defaults: 2 and 50)."
  }
}

variable "proxy_enabled" {
  description = "Send Twilio traffic through an HTTP proxy (`proxy_enabled` config variable). Null: not sent."
  type        = bool
  default     = null

  validation {
    condition     = var.proxy_enabled != true || (var.proxy_host != null && var.proxy_port != null)
    error_message = "proxy_enabled = true needs proxy_host and proxy_port."
  }
}

variable "proxy_auth_scheme" {
  description = "How to authenticate to the proxy: BASIC, DIGEST or NONE (`proxy_auth_scheme`)."
  type        = string
  default     = null

  validation {
    condition     = var.proxy_auth_scheme == null || contains(["BASIC", "DIGEST", "NONE"], coalesce(var.proxy_auth_scheme, "-"))
    error_message = "proxy_auth_scheme must be BASIC, DIGEST or NONE."
  }

  validation {
    condition     = !contains(["BASIC", "DIGEST"], coalesce(var.proxy_auth_scheme, "NONE")) || (var.proxy_user != null && var.proxy_password_secret_version != null)
    error_message = "proxy_auth_scheme BASIC or DIGEST needs proxy_user and proxy_password_secret_version."
  }
}

variable "proxy_user" {
  description = "User name for the proxy (`proxy_user`)."
  type        = string
  default     = null
}

variable "proxy_password_secret_version" {
  description = "Secret version holding the proxy password (`proxy_password`, a secret config variable): projects/*/secrets/*/versions/*."
  type        = string
  default     = null

  validation {
    condition     = var.proxy_password_secret_version == null || can(regex("^projects/[^/]+/secrets/[^/]+/versions/[^/]+$", var.proxy_password_secret_version))
    error_message = "proxy_password_secret_version must look like projects/PROJECT/secrets/SECRET/versions/VERSION."
  }
}

variable "proxy_ssltype" {
  description = "TLS to the proxy: AUTO, ALWAYS, NEVER or TUNNEL (`proxy_ssltype`)."
  type        = string
  default     = null

  validation {
    condition     = var.proxy_ssltype == null || contains(["AUTO", "ALWAYS", "NEVER", "TUNNEL"], coalesce(var.proxy_ssltype, "-"))
    error_message = "proxy_ssltype must be AUTO, ALWAYS, NEVER or TUNNEL."
  }
}

variable "proxy_host" {
  description = "Proxy server host name or address, sent as the `proxy_server` destination."
  type        = string
  default     = null

  validation {
    condition     = (var.proxy_host == null) == (var.proxy_port == null)
    error_message = "Set proxy_host and proxy_port together."
  }
}

variable "proxy_port" {
  description = "Proxy server port (1 to 65535)."
  type        = number
  default     = null

  validation {
    condition     = var.proxy_port == null || try(var.proxy_port >= 1 && var.proxy_port <= 65535 && floor(var.proxy_port) == var.proxy_port, false)
    error_message = "proxy_port must be a whole number from 1 to 65535."
  }
}

variable "sandbox" {
  description = "Reach the gateway's built-in Twilio simulator instead of Twilio (`sandbox` config variable, sent only when true). Gateway only: Google's Twilio connector does not know this variable."
  type        = bool
  default     = false
  nullable    = false
}

variable "service_account" {
  description = "Service account the connection reads its secrets as (the gateway impersonates it). Null: Google's default / the gateway's own identity."
  type        = string
  default     = null
}

variable "labels" {
  description = "Labels of the connection (and of the secret created with create_secret)."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "log_config" {
  description = "Logging of the connection's runtime calls: { enabled = bool, level = \"ERROR\" | \"INFO\" | \"DEBUG\" }. Null: not sent."
  type = object({
    enabled = bool
    level   = optional(string)
  })
  default = null

  validation {
    condition     = try(var.log_config.level == null || contains(["ERROR", "INFO", "DEBUG"], var.log_config.level), true)
    error_message = "log_config.level must be ERROR, INFO or DEBUG."
  }
}

variable "suspended" {
  description = "Suspend the connection: its runtime calls are refused until this is set back to false."
  type        = bool
  default     = false
  nullable    = false
}
