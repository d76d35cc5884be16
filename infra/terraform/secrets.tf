# Secrets become environment variables of the function at apply time. Their values are in
# the Terraform state (keep the state encrypted and private) and in the function's
# configuration, encrypted at rest with `kms_key_arn` (or Lambda's AWS-managed key).
data "aws_secretsmanager_secret_version" "env" {
  for_each  = var.secrets_manager_secrets
  secret_id = each.value
}

data "aws_ssm_parameter" "env" {
  for_each        = var.ssm_parameters
  name            = each.value
  with_decryption = true
}

locals {
  table_name = coalesce(var.table_name, "${var.name}-state")

  secret_env = merge(
    { for k, v in data.aws_secretsmanager_secret_version.env : k => v.secret_string },
    { for k, v in data.aws_ssm_parameter.env : k => v.value },
  )

  environment = merge(
    var.environment,
    var.config_yaml == null ? {} : { PLANO_CONFIG = var.config_yaml },
    { PLANO_DYNAMODB_TABLE = aws_dynamodb_table.state.name, PLANO_LISTENER = var.listener },
    local.secret_env,
  )
}
