variable "name" {
  description = "Name of the function and prefix of every resource (role, table, log group)."
  type        = string
  default     = "plano"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,48}$", var.name))
    error_message = "name must be 1 to 48 letters, digits, '-' or '_'."
  }
}

variable "package_path" {
  description = "Path of the deployment zip built by `cargo lambda build --release --arm64 --output-format zip` (add `--include plano_config.yaml` to package the config)."
  type        = string
}

variable "architecture" {
  description = "CPU architecture of the package: arm64 (Graviton, cheaper per ms) or x86_64. Must match the build (`--arm64` or `--x86-64`)."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be arm64 or x86_64."
  }
}

variable "memory_size" {
  description = "Memory of the function in MB (CPU grows with it). The gateway needs little; 256 is plenty for streaming."
  type        = number
  default     = 256
}

variable "timeout" {
  description = "Longest invocation in seconds (at most 900). A streamed LLM response must finish within it; keep it above the config's gateway.timeouts.request."
  type        = number
  default     = 300

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900
    error_message = "timeout must be between 1 and 900 seconds."
  }
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions (a ceiling on cost and on load on the providers); -1 for no reservation."
  type        = number
  default     = 50
}

variable "function_url_auth_type" {
  description = "NONE: the URL is public and the gateway's own checks apply (its configured keys and rate limits); AWS_IAM: callers sign requests with SigV4 and need lambda:InvokeFunctionUrl."
  type        = string
  default     = "AWS_IAM"

  validation {
    condition     = contains(["NONE", "AWS_IAM"], var.function_url_auth_type)
    error_message = "function_url_auth_type must be NONE or AWS_IAM."
  }
}

variable "cors_allow_origins" {
  description = "Origins allowed to call the Function URL from browsers; empty for no CORS."
  type        = list(string)
  default     = []
}

variable "config_yaml" {
  description = "The plano config (YAML) passed as the PLANO_CONFIG environment variable. Lambda allows 4 KB of environment in all: for larger configs leave this null and package the file (`--include plano_config.yaml`)."
  type        = string
  default     = null
}

variable "listener" {
  description = "The config's listener this function serves: \"model\" or \"prompt\" (PLANO_LISTENER). Deploy the module twice, with different names, for both."
  type        = string
  default     = "model"

  validation {
    condition     = contains(["model", "prompt"], var.listener)
    error_message = "listener must be \"model\" or \"prompt\"."
  }
}

variable "secrets_manager_secrets" {
  description = "Environment variables filled from Secrets Manager: NAME => secret ARN or name (the secret's string value, e.g. OPENAI_API_KEY). The config refers to them as $NAME."
  type        = map(string)
  default     = {}
}

variable "ssm_parameters" {
  description = "Environment variables filled from SSM Parameter Store (SecureString decrypted): NAME => parameter name."
  type        = map(string)
  default     = {}
}

variable "environment" {
  description = "Further plain environment variables (not secrets), e.g. PLANO_LOG = \"debug\"."
  type        = map(string)
  default     = {}
}

variable "table_name" {
  description = "Name of the DynamoDB state table; null for \"<name>-state\"."
  type        = string
  default     = null
}

variable "point_in_time_recovery" {
  description = "Point-in-time recovery of the state table (conversations and counters)."
  type        = bool
  default     = true
}

variable "deletion_protection" {
  description = "Deletion protection of the state table."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for the table, the log group and the function's environment (secrets); null for AWS-owned keys."
  type        = string
  default     = null
}

variable "log_retention_days" {
  description = "Retention of the function's CloudWatch logs, in days."
  type        = number
  default     = 365
}

variable "bedrock_model_arns" {
  description = "Bedrock model or inference-profile ARNs the function may invoke with its role (providers without access_key); empty for none."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags on every resource."
  type        = map(string)
  default     = {}
}

variable "url_invokers" {
  description = "With AWS_IAM auth: AWS account ids or IAM principal ARNs allowed to call the Function URL (granted lambda:InvokeFunctionUrl and, via the URL only, lambda:InvokeFunction). Principals of this account can instead be granted both actions in their own IAM policies."
  type        = list(string)
  default     = []
}
