//! A slim DynamoDB client: the service's JSON protocol (`POST /` with
//! `x-amz-target: DynamoDB_20120810.<Operation>` and an `application/x-amz-json-1.0` body),
//! signed with SigV4 by plano-core (the `aws-sigv4` crate), sent through the process's
//! hyper client.
//!
//! Why not `aws-sdk-dynamodb`: the four operations the store needs (`GetItem`, `UpdateItem`,
//! `DeleteItem`, and `DescribeTable` for a health check) are a few JSON shapes; the SDK with
//! `aws-config` links a second HTTP stack and a credential-provider chain the Lambda
//! environment does not need (its credentials are environment variables), and would make
//! the binary several MB larger and the cold start slower (figures in `README.md`).
//!
//! Throttling answers (the request was rejected, not applied) are retried with a short
//! backoff; any other failure is returned, never retried: an `ADD` that may have been
//! applied must not be applied twice.

use std::time::Duration;

use bytes::Bytes;
use plano_core::time::Clock;
use plano_core::upstream::{AwsCredentials, SignInput, sign_request};
use serde_json::Value;

use crate::client::HttpsClient;
use crate::clock::SystemClock;

/// Where and as whom to call DynamoDB.
#[derive(Debug, Clone)]
pub struct Dynamo {
    client: HttpsClient,
    /// Endpoint URL (`https://dynamodb.<region>.amazonaws.com/` or an emulator's).
    endpoint: String,
    region: String,
    creds: AwsCredentials,
    timeout: Duration,
}

/// Why a DynamoDB call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DynamoError {
    /// `ConditionalCheckFailedException`: the write's condition did not hold.
    ConditionFailed,
    /// Any other error answer (`<type>: <message>`, which never contains credentials).
    Service(String),
    /// No answer (connection, timeout).
    Transport(String),
}

impl std::fmt::Display for DynamoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DynamoError::ConditionFailed => f.write_str("condition failed"),
            DynamoError::Service(s) => write!(f, "DynamoDB: {s}"),
            DynamoError::Transport(s) => write!(f, "DynamoDB unreachable: {s}"),
        }
    }
}

/// Throttling retries, and the backoff before the first (doubled each time).
const THROTTLE_RETRIES: u32 = 3;
const THROTTLE_BACKOFF_MS: u64 = 25;

impl Dynamo {
    /// A client for `region`, at `endpoint` when given (an emulator), else the regional
    /// public endpoint.
    pub fn new(
        client: HttpsClient,
        region: String,
        endpoint: Option<String>,
        creds: AwsCredentials,
        timeout: Duration,
    ) -> Dynamo {
        let endpoint = endpoint.map_or_else(
            || format!("https://dynamodb.{region}.amazonaws.com/"),
            |e| format!("{}/", e.trim_end_matches('/')),
        );
        Dynamo {
            client,
            endpoint,
            region,
            creds,
            timeout,
        }
    }

    /// The endpoint URL.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Calls `operation` with `body`, returning the answer's JSON.
    ///
    /// # Errors
    /// [`DynamoError`].
    pub async fn call(&self, operation: &str, body: &Value) -> Result<Value, DynamoError> {
        let body = Bytes::from(body.to_string());
        let mut backoff = THROTTLE_BACKOFF_MS;
        let mut attempt = 0;
        loop {
            match self.call_once(operation, body.clone()).await {
                Err(DynamoError::Service(s)) if is_throttle(&s) && attempt < THROTTLE_RETRIES => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(backoff)).await;
                    backoff = backoff.saturating_mul(2);
                }
                other => return other,
            }
        }
    }

    async fn call_once(&self, operation: &str, body: Bytes) -> Result<Value, DynamoError> {
        let target = format!("DynamoDB_20120810.{operation}");
        let headers = [
            ("content-type", "application/x-amz-json-1.0"),
            ("x-amz-target", target.as_str()),
        ];
        let signed = sign_request(
            &self.creds,
            &SignInput {
                method: "POST",
                url: &self.endpoint,
                headers: &headers,
                body: &body,
                region: &self.region,
                service: "dynamodb",
                now_ms: SystemClock.now_ms(),
            },
        )
        .map_err(DynamoError::Transport)?;
        let mut req = http::Request::builder()
            .method("POST")
            .uri(self.endpoint.as_str());
        for (n, v) in headers {
            req = req.header(n, v);
        }
        for h in &signed {
            req = req.header(h.name.as_str(), h.value());
        }
        let req = req
            .body(body)
            .map_err(|e| DynamoError::Transport(format!("invalid request: {e}")))?;
        let resp = self
            .client
            .send_whole(req, self.timeout)
            .await
            .map_err(DynamoError::Transport)?;
        let status = resp.status().as_u16();
        let json: Value = serde_json::from_slice(resp.body()).unwrap_or(Value::Null);
        if status == 200 {
            return Ok(json);
        }
        // `__type` is `com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException`.
        let kind = json
            .get("__type")
            .and_then(Value::as_str)
            .and_then(|t| t.rsplit('#').next())
            .unwrap_or("")
            .to_owned();
        if kind == "ConditionalCheckFailedException" {
            return Err(DynamoError::ConditionFailed);
        }
        let message = json
            .get("message")
            .or_else(|| json.get("Message"))
            .and_then(Value::as_str)
            .unwrap_or("");
        Err(DynamoError::Service(format!(
            "{status} {kind}: {}",
            message.chars().take(300).collect::<String>()
        )))
    }
}

fn is_throttle(text: &str) -> bool {
    [
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
    ]
    .iter()
    .any(|t| text.contains(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_is_recognised_and_nothing_else() {
        assert!(is_throttle(
            "400 ProvisionedThroughputExceededException: slow down"
        ));
        assert!(!is_throttle("400 ValidationException: bad"));
    }
}
