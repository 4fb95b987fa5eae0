variable "package_dir" {
  description = "Directory holding the packages that `make deb` built (relative to the root module)."
  type        = string
}

variable "pgha_version" {
  description = "pgha version of the packages (debian/changelog)."
  type        = string
  validation {
    condition     = can(regex("^[0-9][A-Za-z0-9.+~]*$", var.pgha_version))
    error_message = "pgha_version must be a Debian version such as 0.1.0."
  }
}
