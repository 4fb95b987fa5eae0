# Inputs of the layout: the same values as the root module's variables of the same
# names (validated there).

variable "vpc_cidr" {
  type = string
}

variable "az_count" {
  type = number
}

variable "db_node_count" {
  type = number
}

variable "client_routing" {
  type = string
}

variable "admin_cidrs" {
  type = list(string)
}

variable "client_cidrs" {
  type = list(string)
}

variable "available_zones" {
  description = "The region's availability zones that are available to this account (names), in any order."
  type        = list(string)
}

variable "instance_types" {
  description = "Every instance type the stack uses: a zone is usable only if it offers them all."
  type        = list(string)
}

variable "zone_instance_types" {
  description = "Which of instance_types each zone offers: zone name => types (aws_ec2_instance_type_offerings)."
  type        = map(list(string))
}
