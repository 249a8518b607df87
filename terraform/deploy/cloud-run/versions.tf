terraform {
  required_version = ">= 1.9.0" # validations that refer to other variables

  required_providers {
    google = {
      source = "hashicorp/google"
      # Every argument used here is checked against the 6.50.0 schema (test/terraform/provider-schema.test.ts).
      version = ">= 6.50.0, < 8.0.0"
    }
    random = {
      source  = "hashicorp/random"
      version = ">= 3.6.0, < 4.0.0"
    }
  }
}

provider "google" {
  project = var.project
  region  = var.region
}
