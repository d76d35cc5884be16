//! Model resolution (aliases, `provider/model`, provider names, bare ids, wildcards, the
//! default, the hint header) and what the gateway forwards.

use std::sync::Arc;

use super::{Scenario, ensure, expect_text, push, send};
use crate::api::{Api, Req};
use crate::family::Family;
use crate::http::{Ctx, MockRequest};

/// Plano's routing hint header (plano-core `route::PROVIDER_HINT_HEADER`).
const HINT: &str = "x-arch-llm-provider-hint";

/// Where a request is expected to land.
#[derive(Debug, Clone, Copy)]
enum Lands {
    /// A family of the suite, with its model.
    Family(Family),
    /// An OpenAI-compatible chat endpoint: path, model, authorization header value.
    Chat {
        path: &'static str,
        model: &'static str,
        auth: (&'static str, &'static str),
    },
}

impl Lands {
    fn check(self, client: Api, up: &MockRequest) -> Result<(), String> {
        match self {
            Lands::Family(f) => f.check(client, up, false),
            Lands::Chat { path, model, auth } => {
                let got = up.decoded_path();
                ensure(got == path, || {
                    format!("expected the upstream path {path}, got {got}")
                })?;
                let body_model = up.body.get("model").and_then(|m| m.as_str());
                ensure(body_model == Some(model), || {
                    format!("expected the upstream model {model:?}, got {body_model:?}")
                })?;
                ensure(up.header(auth.0) == Some(auth.1), || {
                    format!(
                        "expected upstream header {}: {}, got {:?}",
                        auth.0,
                        auth.1,
                        up.header(auth.0)
                    )
                })
            }
        }
    }
}

/// id, description, client API, model, hint header, where it lands.
type Case = (
    &'static str,
    &'static str,
    Api,
    &'static str,
    Option<&'static str>,
    Lands,
);

const GROQ_AUTH: (&str, &str) = ("authorization", "Bearer sk-mock-groq");

pub(super) fn register(out: &mut Vec<Scenario>) {
    let cases: Vec<Case> = vec![
        (
            "route/alias",
            "an alias (`fast`) resolves to its target's provider and model",
            Api::Chat,
            "fast",
            None,
            Lands::Family(Family::OpenAi),
        ),
        (
            "route/alias-cross-family",
            "an alias (`smart`) to another family's model is translated to that family",
            Api::Chat,
            "smart",
            None,
            Lands::Family(Family::Anthropic),
        ),
        (
            "route/alias-to-wildcard",
            "an alias to a model covered by a wildcard provider forwards the model id without its prefix",
            Api::Chat,
            "open-weights",
            None,
            Lands::Chat {
                path: "/openai/v1/chat/completions",
                model: "llama-3.3-70b-versatile",
                auth: GROQ_AUTH,
            },
        ),
        (
            "route/provider-slash-model",
            "`anthropic/claude-sonnet-4-5` resolves to that provider and sends the bare model id",
            Api::Messages,
            "anthropic/claude-sonnet-4-5",
            None,
            Lands::Family(Family::Anthropic),
        ),
        (
            "route/bare-model-id",
            "a bare model id (`gpt-4.1`) resolves to the first provider serving it",
            Api::Chat,
            "gpt-4.1",
            None,
            Lands::Chat {
                path: "/v1/chat/completions",
                model: "gpt-4.1",
                auth: ("authorization", "Bearer sk-mock-openai"),
            },
        ),
        (
            "route/provider-name",
            "a provider's `name` (`gpt-4.1-backup`) selects it (Azure path and api-key)",
            Api::Chat,
            "gpt-4.1-backup",
            None,
            Lands::Chat {
                path: "/openai/deployments/gpt-4.1/chat/completions?api-version=2024-10-21",
                model: "gpt-4.1",
                auth: ("api-key", "mock-azure-key"),
            },
        ),
        (
            "route/wildcard",
            "`groq/<model>` is served by the `groq/*` wildcard provider with the model id forwarded",
            Api::Chat,
            "groq/llama-3.1-8b-instant",
            None,
            Lands::Chat {
                path: "/openai/v1/chat/completions",
                model: "llama-3.1-8b-instant",
                auth: GROQ_AUTH,
            },
        ),
        (
            "route/wildcard-from-messages",
            "an Anthropic client reaches a wildcard OpenAI-compatible provider, translated",
            Api::Messages,
            "groq/qwen-qwq-32b",
            None,
            Lands::Chat {
                path: "/openai/v1/chat/completions",
                model: "qwen-qwq-32b",
                auth: GROQ_AUTH,
            },
        ),
        (
            "route/default-for-unknown-model",
            "a model nothing serves goes to the default provider (`default: true`) with its model",
            Api::Chat,
            "no-such-model-anywhere",
            None,
            Lands::Family(Family::OpenAi),
        ),
        (
            "route/hint-header",
            "a model nothing serves, with x-arch-llm-provider-hint naming a provider, goes there",
            Api::Chat,
            "no-such-model-anywhere",
            Some("anthropic/claude-sonnet-4-5"),
            Lands::Family(Family::Anthropic),
        ),
        (
            "route/hint-header-default",
            "x-arch-llm-provider-hint: default sends an unknown model to the default provider",
            Api::Messages,
            "no-such-model-anywhere",
            Some("default"),
            Lands::Family(Family::OpenAi),
        ),
        (
            "route/hint-ignored-for-known-model",
            "the hint header does not override a model that resolves",
            Api::Chat,
            "gpt-4o-mini",
            Some("anthropic/claude-sonnet-4-5"),
            Lands::Family(Family::OpenAi),
        ),
        (
            "route/gemini-path-alias",
            "a Gemini client naming an alias in the path (`smart`) reaches its target",
            Api::Gemini,
            "smart",
            None,
            Lands::Family(Family::Anthropic),
        ),
        (
            "route/bedrock-path-openai-model",
            "a Bedrock client naming an OpenAI model in the path reaches OpenAI, translated",
            Api::Converse,
            "gpt-4o-mini",
            None,
            Lands::Family(Family::OpenAi),
        ),
    ];
    for (id, description, client, model, hint, lands) in cases {
        push(out, id, description, &[], move |ctx| {
            resolve(ctx, client, model, hint, lands)
        });
    }
    push(
        out,
        "route/bedrock-path-unencoded-colon",
        "a Bedrock model id with a literal `:` in the path resolves as the encoded one does",
        &[],
        bedrock_unencoded,
    );
    push(
        out,
        "forward/x-headers",
        "unknown x- headers of the client reach the upstream",
        &[],
        x_headers,
    );
    push(
        out,
        "forward/client-credentials-replaced",
        "the client's authorization and x-api-key never reach the upstream; the provider's key does",
        &[],
        credentials_replaced,
    );
}

async fn resolve(
    ctx: Arc<Ctx>,
    client: Api,
    model: &'static str,
    hint: Option<&'static str>,
    lands: Lands,
) -> Result<(), String> {
    let tag = ctx.tag();
    let headers: Vec<(&str, &str)> = hint.map(|h| (HINT, h)).into_iter().collect();
    let resp = send(&ctx, client, &Req::text(model, "Hello"), &tag, &headers).await?;
    let a = client.parse(&resp)?;
    expect_text(&a)?;
    let up = ctx.upstream_one(&tag).await?;
    lands.check(client, &up)
}

async fn bedrock_unencoded(ctx: Arc<Ctx>) -> Result<(), String> {
    let tag = ctx.tag();
    let family = Family::BedrockSigV4;
    let built = Api::Converse.build(&Req::text(family.model(), "Hello"));
    let path = format!("/model/{}/converse", family.model());
    let resp = ctx.post(&path, &built.body, &tag).send().await?;
    let a = Api::Converse.parse(&resp)?;
    expect_text(&a)?;
    let up = ctx.upstream_one(&tag).await?;
    family.check(Api::Converse, &up, false)
}

async fn x_headers(ctx: Arc<Ctx>) -> Result<(), String> {
    let tag = ctx.tag();
    let resp = send(
        &ctx,
        Api::Messages,
        &Req::text(Family::BedrockKey.model(), "Hello"),
        &tag,
        &[("x-conformance-probe", "forty-two")],
    )
    .await?;
    Api::Messages.parse(&resp)?;
    let up = ctx.upstream_one(&tag).await?;
    ensure(
        up.header("x-conformance-probe") == Some("forty-two"),
        || {
            format!(
                "expected x-conformance-probe: forty-two upstream, got {:?}",
                up.header("x-conformance-probe")
            )
        },
    )
}

async fn credentials_replaced(ctx: Arc<Ctx>) -> Result<(), String> {
    let client_secret = "sk-client-secret-must-not-travel";
    for family in [Family::OpenAi, Family::Anthropic, Family::Gemini] {
        let tag = ctx.tag();
        let resp = send(
            &ctx,
            Api::Chat,
            &Req::text(family.model(), "Hello"),
            &tag,
            &[
                ("authorization", &format!("Bearer {client_secret}")),
                ("x-api-key", client_secret),
                ("x-goog-api-key", client_secret),
            ],
        )
        .await?;
        Api::Chat.parse(&resp)?;
        let up = ctx.upstream_one(&tag).await?;
        ensure(
            !up.headers.iter().any(|(_, v)| v.contains(client_secret)),
            || {
                format!(
                    "{}: the client's credential reached the upstream: {:?}",
                    family.name(),
                    up.headers
                )
            },
        )?;
        family.check(Api::Chat, &up, false)?;
    }
    Ok(())
}
