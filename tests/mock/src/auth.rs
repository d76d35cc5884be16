//! The credentials each provider requires (the README's table).

use http::HeaderMap;

use crate::keys;
use crate::route::{Provider, query_param};
use crate::sigv4;

/// Why a request is refused; each maps to its provider's own error (see [`crate::errors`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Denied {
    OpenAiKey,
    AzureKey,
    AnthropicKey,
    AnthropicVersion,
    GeminiKeyInvalid,
    GeminiKeyMissing,
    GeminiOpenAiKeyInvalid,
    GeminiOpenAiKeyMissing,
    BedrockUnrecognizedClient,
    BedrockInvalidSignature,
}

/// Checks the credentials `provider` requires.
pub(crate) fn check(provider: Provider, request: &sigv4::Received<'_>) -> Result<(), Denied> {
    let headers = request.headers;
    match provider {
        Provider::OpenAi => bearer(headers)
            .filter(|k| k.starts_with(keys::OPENAI_KEY_PREFIX))
            .map(drop)
            .ok_or(Denied::OpenAiKey),
        Provider::Azure => (header(headers, "api-key") == Some(keys::AZURE_KEY))
            .then_some(())
            .ok_or(Denied::AzureKey),
        Provider::Anthropic => {
            header(headers, "x-api-key")
                .filter(|k| k.starts_with(keys::ANTHROPIC_KEY_PREFIX))
                .ok_or(Denied::AnthropicKey)?;
            header(headers, "anthropic-version")
                .map(drop)
                .ok_or(Denied::AnthropicVersion)
        }
        Provider::Gemini => {
            let from_query = query_param(request.query, "key");
            let key = header(headers, "x-goog-api-key").or(from_query.as_deref());
            match key {
                Some(keys::GEMINI_KEY) => Ok(()),
                Some(_) => Err(Denied::GeminiKeyInvalid),
                None => Err(Denied::GeminiKeyMissing),
            }
        }
        Provider::GeminiOpenAi => match bearer(headers) {
            Some(keys::GEMINI_KEY) => Ok(()),
            Some(_) => Err(Denied::GeminiOpenAiKeyInvalid),
            None => Err(Denied::GeminiOpenAiKeyMissing),
        },
        Provider::Bedrock => bedrock(request),
    }
}

fn bedrock(request: &sigv4::Received<'_>) -> Result<(), Denied> {
    let Some(authorization) = header(request.headers, "authorization") else {
        return Err(Denied::BedrockUnrecognizedClient);
    };
    if let Some(key) = authorization.strip_prefix("Bearer ") {
        return (key.trim() == keys::BEDROCK_API_KEY)
            .then_some(())
            .ok_or(Denied::BedrockUnrecognizedClient);
    }
    let key = sigv4::Key {
        access_key_id: keys::AWS_ACCESS_KEY_ID,
        secret: keys::AWS_SECRET_ACCESS_KEY,
        service: keys::AWS_SERVICE,
    };
    sigv4::verify(authorization, request, &key).map_err(|refusal| match refusal {
        sigv4::Refusal::UnknownAccessKey => Denied::BedrockUnrecognizedClient,
        sigv4::Refusal::BadSignature => Denied::BedrockInvalidSignature,
    })
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    header(headers, "authorization")?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}
