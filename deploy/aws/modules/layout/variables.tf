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
