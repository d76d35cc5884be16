# Who may call the Function URL. Since October 2025 a call through a Function URL needs both
# lambda:InvokeFunctionUrl and lambda:InvokeFunction. With auth NONE, aws_lambda_function_url
# (provider >= 6.29) adds both public statements itself (FunctionURLAllowPublicAccess and
# FunctionURLAllowInvokeAction, the latter only via the URL). With AWS_IAM, the principals
# listed in url_invokers get both here; lambda:InvokeFunction is limited to calls made
# through the URL, so the function cannot be invoked directly by them.
resource "aws_lambda_permission" "url_invoke_url" {
  for_each               = var.function_url_auth_type == "AWS_IAM" ? toset(var.url_invokers) : toset([])
  statement_id_prefix    = "FunctionUrlInvokeUrl"
  action                 = "lambda:InvokeFunctionUrl"
  function_name          = aws_lambda_function.gateway.function_name
  principal              = each.value
  function_url_auth_type = "AWS_IAM"
}

resource "aws_lambda_permission" "url_invoke_function" {
  for_each                 = var.function_url_auth_type == "AWS_IAM" ? toset(var.url_invokers) : toset([])
  statement_id_prefix      = "FunctionUrlInvokeFunction"
  action                   = "lambda:InvokeFunction"
  function_name            = aws_lambda_function.gateway.function_name
  principal                = each.value
  invoked_via_function_url = true
}
