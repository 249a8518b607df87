terraform {
  # 1.11: write-only arguments (`secret_data_wo`), so a token given to `auth_token` never lands in the state.
  required_version = ">= 1.11.0"

  required_providers {
    google = {
      source = "hashicorp/google"
      # Every argument used here is checked against the 6.50.0 schema (test/terraform/provider-schema.test.ts).
      version = ">= 6.50.0, < 8.0.0"
    }
  }
}
