output "function_url" {
  description = "The gateway's base URL: point clients' base URL at it (…/v1/chat/completions, /v1/messages, /v1/responses, /v1/models, /healthz)."
  value       = aws_lambda_function_url.gateway.function_url
}

output "function_name" {
  description = "Name of the Lambda function."
  value       = aws_lambda_function.gateway.function_name
}

output "function_arn" {
  description = "ARN of the Lambda function."
  value       = aws_lambda_function.gateway.arn
}

output "table_name" {
  description = "Name of the DynamoDB state table."
  value       = aws_dynamodb_table.state.name
}

output "log_group_name" {
  description = "CloudWatch log group of the function."
  value       = aws_cloudwatch_log_group.function.name
}

output "role_arn" {
  description = "ARN of the function's IAM role."
  value       = aws_iam_role.function.arn
}
