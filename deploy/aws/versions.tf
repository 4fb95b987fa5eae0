# Terraform 1.11+: the passwords go to SSM through write-only arguments (value_wo) from
# ephemeral random_password values, so they are in no plan, no state and no output.
terraform {
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.90"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.7"
    }
  }

  # Remote state in S3 with DynamoDB locking. The bucket and table come from
  # state/ (scripts/create.sh applies it first and writes backend.hcl):
  #   terraform init -backend-config=backend.hcl
  backend "s3" {}
}

provider "aws" {
  region = var.region

  default_tags {
    tags = merge(var.tags, {
      Project = "pgha"
      Cluster = var.cluster_name
    })
  }
}
