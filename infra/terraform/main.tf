resource "aws_cloudwatch_log_group" "function" {
  name              = "/aws/lambda/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_lambda_function" "gateway" {
  #checkov:skip=CKV_AWS_117:the gateway calls public LLM APIs; a VPC would need a NAT gateway and adds cold-start latency (set one up around the module if required)
  #checkov:skip=CKV_AWS_116:Function URL invocations are synchronous; a dead-letter queue only applies to asynchronous invocations
  #checkov:skip=CKV_AWS_272:code signing needs a signing profile the user owns; the package is built from source by the user
  function_name    = var.name
  role             = aws_iam_role.function.arn
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = [var.architecture]
  filename         = var.package_path
  source_code_hash = filebase64sha256(var.package_path)
  memory_size      = var.memory_size
  timeout          = var.timeout
  kms_key_arn      = var.kms_key_arn

  reserved_concurrent_executions = var.reserved_concurrency

  environment {
    variables = local.environment
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.function.name
  }

  # The gateway exports its own OpenTelemetry spans (tracing.opentracing_grpc_endpoint in the
  # config); X-Ray's trace header is forwarded as is.
  tracing_config {
    mode = "PassThrough"
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.function]
}

# Response streaming: the gateway relays LLM streams chunk by chunk (targets/lambda).
resource "aws_lambda_function_url" "gateway" {
  function_name      = aws_lambda_function.gateway.function_name
  authorization_type = var.function_url_auth_type
  invoke_mode        = "RESPONSE_STREAM"

  dynamic "cors" {
    for_each = length(var.cors_allow_origins) > 0 ? [1] : []
    content {
      allow_origins = var.cors_allow_origins
      allow_methods = ["GET", "POST", "DELETE"]
      allow_headers = ["authorization", "content-type", "x-api-key", "anthropic-version", "traceparent"]
      max_age       = 600
    }
  }
}
