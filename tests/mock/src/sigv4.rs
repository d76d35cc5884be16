//! AWS Signature Version 4 verification: the canonical request is rebuilt from what was
//! received and signed again with the one known secret.
//!
//! Follows the rules AWS applies to every service but S3: the path is URI-encoded once more
//! than sent, query parameters are decoded, re-encoded and sorted, the payload hash is
//! `x-amz-content-sha256` when sent, else computed. The request time is not checked against
//! the clock: a mock accepts old signatures.

use hmac::{Hmac, Mac};
use http::HeaderMap;
use percent_encoding::percent_decode_str;
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// Why a signature is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The access key is not the mock's: Bedrock's `UnrecognizedClientException`.
    UnknownAccessKey,
    /// Malformed, wrong scope or wrong signature: Bedrock's `InvalidSignatureException`.
    BadSignature,
}

/// The received request, as signed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Received<'a> {
    pub(crate) method: &'a str,
    /// The path as sent (percent-encoded).
    pub(crate) path: &'a str,
    pub(crate) query: Option<&'a str>,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a [u8],
}

/// The key the mock accepts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Key<'a> {
    pub(crate) access_key_id: &'a str,
    pub(crate) secret: &'a str,
    pub(crate) service: &'a str,
}

/// Verifies `authorization` (an `AWS4-HMAC-SHA256 ...` header value) over `request`.
pub(crate) fn verify(
    authorization: &str,
    request: &Received<'_>,
    key: &Key<'_>,
) -> Result<(), Refusal> {
    let auth = parse_authorization(authorization).ok_or(Refusal::BadSignature)?;
    let mut scope = auth.credential.splitn(5, '/');
    let (Some(access_key), Some(date), Some(region), Some(service), Some(terminator)) = (
        scope.next(),
        scope.next(),
        scope.next(),
        scope.next(),
        scope.next(),
    ) else {
        return Err(Refusal::BadSignature);
    };
    if access_key != key.access_key_id {
        return Err(Refusal::UnknownAccessKey);
    }
    if service != key.service || terminator != "aws4_request" {
        return Err(Refusal::BadSignature);
    }
    let amz_date = header(request.headers, "x-amz-date").ok_or(Refusal::BadSignature)?;
    let canonical = canonical_request(request, auth.signed_headers);
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{date}/{region}/{service}/aws4_request\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let mut signing_key = format!("AWS4{}", key.secret).into_bytes();
    for part in [date, region, service, "aws4_request"] {
        signing_key = hmac(&signing_key, part.as_bytes())?;
    }
    let provided = hex::decode(auth.signature).map_err(|_| Refusal::BadSignature)?;
    let mut mac = HmacSha256::new_from_slice(&signing_key).map_err(|_| Refusal::BadSignature)?;
    mac.update(string_to_sign.as_bytes());
    mac.verify_slice(&provided)
        .map_err(|_| Refusal::BadSignature)
}

struct Authorization<'a> {
    credential: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

fn parse_authorization(value: &str) -> Option<Authorization<'_>> {
    let params = value.strip_prefix("AWS4-HMAC-SHA256")?;
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for param in params.split(',') {
        let (k, v) = param.trim().split_once('=')?;
        match k {
            "Credential" => credential = Some(v),
            "SignedHeaders" => signed_headers = Some(v),
            "Signature" => signature = Some(v),
            _ => {}
        }
    }
    Some(Authorization {
        credential: credential?,
        signed_headers: signed_headers?,
        signature: signature?,
    })
}

fn canonical_request(request: &Received<'_>, signed_headers: &str) -> String {
    let mut out = String::with_capacity(512);
    out.push_str(request.method);
    out.push('\n');
    if request.path.is_empty() {
        out.push('/');
    } else {
        uri_encode(request.path, false, &mut out);
    }
    out.push('\n');
    canonical_query(request.query.unwrap_or(""), &mut out);
    out.push('\n');
    for name in signed_headers.split(';') {
        out.push_str(name);
        out.push(':');
        let mut first = true;
        for value in request.headers.get_all(name) {
            if !first {
                out.push(',');
            }
            first = false;
            let value = String::from_utf8_lossy(value.as_bytes());
            let mut words = value.split_whitespace();
            if let Some(w) = words.next() {
                out.push_str(w);
            }
            for w in words {
                out.push(' ');
                out.push_str(w);
            }
        }
        out.push('\n');
    }
    out.push('\n');
    out.push_str(signed_headers);
    out.push('\n');
    match header(request.headers, "x-amz-content-sha256") {
        Some(hash) => out.push_str(hash),
        None => out.push_str(&hex::encode(Sha256::digest(request.body))),
    }
    out
}

fn canonical_query(query: &str, out: &mut String) {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let mut key = String::new();
            let mut value = String::new();
            uri_encode(&percent_decode_str(k).decode_utf8_lossy(), true, &mut key);
            uri_encode(&percent_decode_str(v).decode_utf8_lossy(), true, &mut value);
            (key, value)
        })
        .collect();
    pairs.sort();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
}

/// AWS URI encoding: every byte but `A-Z a-z 0-9 - _ . ~` (and `/` unless `encode_slash`) as
/// `%XX`.
fn uri_encode(input: &str, encode_slash: bool, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in input.as_bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (b == b'/' && !encode_slash);
        if keep {
            out.push(char::from(b));
        } else {
            out.push('%');
            for nibble in [b >> 4, b & 0xf] {
                if let Some(&c) = HEX.get(usize::from(nibble)) {
                    out.push(char::from(c));
                }
            }
        }
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn hmac(key: &[u8], data: &[u8]) -> Result<Vec<u8>, Refusal> {
    let mut mac = HmacSha256::new_from_slice(key).map_err(|_| Refusal::BadSignature)?;
    mac.update(data);
    Ok(mac.finalize().into_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `get-vanilla-query-order-key-case` case of AWS's SigV4 test suite.
    #[test]
    fn aws_test_suite_vanilla_query_order() {
        let mut headers = HeaderMap::new();
        headers.insert("host", "example.amazonaws.com".parse().unwrap());
        headers.insert("x-amz-date", "20150830T123600Z".parse().unwrap());
        let request = Received {
            method: "GET",
            path: "/",
            query: Some("Param2=value2&Param1=value1"),
            headers: &headers,
            body: b"",
        };
        let key = Key {
            access_key_id: "AKIDEXAMPLE",
            secret: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            service: "service",
        };
        let auth = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500";
        assert_eq!(verify(auth, &request, &key), Ok(()));
        let wrong = Key {
            secret: "not-the-secret",
            ..key
        };
        assert_eq!(verify(auth, &request, &wrong), Err(Refusal::BadSignature));
        let stranger = Key {
            access_key_id: "AKIDOTHER",
            ..key
        };
        assert_eq!(
            verify(auth, &request, &stranger),
            Err(Refusal::UnknownAccessKey)
        );
    }

    #[test]
    fn paths_are_encoded_once_more() {
        let mut out = String::new();
        uri_encode("/model/us.amazon.nova-pro-v1%3A0/converse", false, &mut out);
        assert_eq!(out, "/model/us.amazon.nova-pro-v1%253A0/converse");
    }
}
