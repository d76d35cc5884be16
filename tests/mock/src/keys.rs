//! The credentials the mock accepts, one set per provider (the README's table).
//!
//! Prefix constants accept any key that starts with them, so a test can tell its requests
//! apart by key; the full keys are ready-made values that pass.

/// OpenAI-shaped routes accept `authorization: Bearer <key>` for any key with this prefix.
pub const OPENAI_KEY_PREFIX: &str = "sk-mock-";
/// An OpenAI key the mock accepts.
pub const OPENAI_KEY: &str = "sk-mock-plano";

/// Azure OpenAI: the `api-key` header.
pub const AZURE_KEY: &str = "mock-azure-key";

/// Anthropic accepts `x-api-key: <key>` for any key with this prefix.
pub const ANTHROPIC_KEY_PREFIX: &str = "sk-ant-mock";
/// An Anthropic key the mock accepts.
pub const ANTHROPIC_KEY: &str = "sk-ant-mock-plano";
/// A value for the `anthropic-version` header (any value is accepted; the header is required).
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

/// Gemini: `x-goog-api-key` header or `?key=` query parameter.
pub const GEMINI_KEY: &str = "mock-gemini-key";

/// Bedrock API key: `authorization: Bearer <key>`.
pub const BEDROCK_API_KEY: &str = "mock-bedrock-key";
/// SigV4 access key id for Bedrock.
pub const AWS_ACCESS_KEY_ID: &str = "AKIDMOCKPLANO";
/// SigV4 secret access key for Bedrock.
pub const AWS_SECRET_ACCESS_KEY: &str = "mock-aws-secret";
/// SigV4 signing service name for Bedrock (any region is accepted).
pub const AWS_SERVICE: &str = "bedrock";
