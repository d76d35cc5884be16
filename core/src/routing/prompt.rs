//! The router call: the routes and a trimmed conversation in the prompt format the
//! Arch-Router model family was trained on (published with the model), sent as one user
//! message of an OpenAI Chat request, which the upstream layer translates for whichever
//! provider serves the router.

use hermesllm::ir::{Block, Request, Role};
use serde::Serialize;

use crate::config::RoutePreference;

/// Characters per token in the budget arithmetic: a cheap, table-free estimate (the budget
/// protects the router's context window, it need not be exact).
const CHARS_PER_TOKEN: usize = 4;

/// Smallest conversation budget, in tokens, whatever the route list costs: the latest user
/// message is always sent, trimmed to at least this.
const MIN_CONVERSATION_TOKENS: usize = 64;

const PROMPT_HEAD: &str = "\nYou are a helpful assistant designed to find the best suited route.\nYou are provided with route description within <routes></routes> XML tags:\n<routes>\n";
const PROMPT_MIDDLE: &str = "\n</routes>\n\n<conversation>\n";
const PROMPT_TAIL: &str = "\n</conversation>\n\nYour task is to decide which route is best suit with user intent on the conversation in <conversation></conversation> XML tags.  Follow the instruction:\n1. If the latest intent from user is irrelevant or user intent is full filled, response with other route {\"route\": \"other\"}.\n2. You must analyze the route descriptions and find the best match route for user latest intent.\n3. You only response the name of the route that best matches the user's request, use the exact name in the <routes></routes>.\n\nBased on your analysis, provide your response in the following JSON formats if you decide to match any route:\n{\"route\": \"route_name\"}\n";

/// One conversation turn as the router sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Turn {
    /// `user` or `assistant`.
    pub role: &'static str,
    /// The turn's text.
    pub content: String,
}

#[derive(Serialize)]
struct RouteLine<'a> {
    name: &'a str,
    description: &'a str,
}

/// The turns the router sees: user and assistant text only (system prompts, tool calls and
/// tool results dropped, as are turns with no text).
pub fn conversation(req: &Request<'_>) -> Vec<Turn> {
    req.messages
        .iter()
        .filter_map(|m| {
            let role = match m.role {
                Role::User => "user",
                Role::Assistant => "assistant",
                _ => return None,
            };
            let text: Vec<&str> = m
                .content
                .iter()
                .filter_map(|b| match b {
                    Block::Text { text } => Some(text.as_str()),
                    _ => None,
                })
                .filter(|t| !t.trim().is_empty())
                .collect();
            (!text.is_empty()).then(|| Turn {
                role,
                content: text.join("\n"),
            })
        })
        .collect()
}

/// Whether the request's last message is the user's own words (not a tool result or an
/// assistant prefill): only such turns are routed.
pub fn ends_with_user_text(req: &Request<'_>) -> bool {
    req.messages.last().is_some_and(|m| {
        m.role == Role::User
            && m.content
                .iter()
                .any(|b| matches!(b, Block::Text { text } if !text.trim().is_empty()))
    })
}

/// The latest turns that fit `budget_tokens` with the routes, oldest first. The latest turn
/// is always kept: when it alone is too long, its middle is cut (the start says what the
/// task is, the end what is asked now). Leading assistant turns are dropped so the window
/// starts with the user.
pub fn trim(turns: &[Turn], budget_tokens: usize) -> Vec<Turn> {
    let mut left = budget_tokens.saturating_mul(CHARS_PER_TOKEN);
    let mut kept: Vec<Turn> = Vec::new();
    for t in turns.iter().rev() {
        let len = t.content.len();
        if len <= left {
            left -= len;
            kept.push(t.clone());
        } else {
            if kept.is_empty() {
                kept.push(Turn {
                    role: t.role,
                    content: cut_middle(
                        &t.content,
                        left.max(MIN_CONVERSATION_TOKENS * CHARS_PER_TOKEN),
                    ),
                });
            }
            break;
        }
    }
    kept.reverse();
    while kept.len() > 1 && kept.first().is_some_and(|t| t.role != "user") {
        kept.remove(0);
    }
    kept
}

/// `text` cut to about `max` bytes by removing its middle (on char boundaries).
fn cut_middle(text: &str, max: usize) -> String {
    const GAP: &str = "\n…\n";
    if text.len() <= max {
        return text.to_owned();
    }
    let keep = max.saturating_sub(GAP.len()) / 2;
    let mut head = keep;
    while !text.is_char_boundary(head) {
        head -= 1;
    }
    let mut tail = text.len() - keep;
    while !text.is_char_boundary(tail) {
        tail += 1;
    }
    format!("{}{GAP}{}", &text[..head], &text[tail..])
}

/// The router prompt for `routes` and the conversation, trimmed to `context_tokens` less
/// what the template and routes take.
pub fn prompt(routes: &[RoutePreference], turns: &[Turn], context_tokens: u64) -> String {
    let lines: Vec<RouteLine<'_>> = routes
        .iter()
        .map(|r| RouteLine {
            name: &r.name,
            description: &r.description,
        })
        .collect();
    let routes_json = serde_json::to_string(&lines).unwrap_or_else(|_| "[]".to_owned());
    let fixed = PROMPT_HEAD.len() + PROMPT_MIDDLE.len() + PROMPT_TAIL.len() + routes_json.len();
    let budget = usize::try_from(context_tokens)
        .unwrap_or(usize::MAX)
        .saturating_sub(fixed / CHARS_PER_TOKEN)
        .max(MIN_CONVERSATION_TOKENS);
    let kept = trim(turns, budget);
    let conversation = serde_json::to_string(&kept).unwrap_or_else(|_| "[]".to_owned());
    let mut out = String::with_capacity(fixed + conversation.len());
    out.push_str(PROMPT_HEAD);
    out.push_str(&routes_json);
    out.push_str(PROMPT_MIDDLE);
    out.push_str(&conversation);
    out.push_str(PROMPT_TAIL);
    out
}

/// The router request body (OpenAI Chat): one user message holding the prompt, near-zero
/// temperature, no stream.
pub fn router_body(model: &str, prompt: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "model": model,
        "messages": [{"role": "user", "content": prompt}],
        "temperature": 0.01,
        "stream": false,
    }))
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turn(role: &'static str, content: &str) -> Turn {
        Turn {
            role,
            content: content.to_owned(),
        }
    }

    #[test]
    fn the_prompt_has_the_routes_and_conversation_in_place() {
        let routes = [RoutePreference::new(
            "code",
            "writing code",
            vec!["m".into()],
        )];
        let p = prompt(&routes, &[turn("user", "write a parser")], 2048);
        assert!(
            p.starts_with("\nYou are a helpful assistant designed to find the best suited route.")
        );
        assert!(p.contains(
            "<routes>\n[{\"name\":\"code\",\"description\":\"writing code\"}]\n</routes>"
        ));
        assert!(p.contains(
            "<conversation>\n[{\"role\":\"user\",\"content\":\"write a parser\"}]\n</conversation>"
        ));
        assert!(p.ends_with("{\"route\": \"route_name\"}\n"));
    }

    #[test]
    fn trimming_keeps_the_latest_turns_and_cuts_an_oversized_one_in_the_middle() {
        let turns = [
            turn("user", &"a".repeat(400)),
            turn("assistant", &"b".repeat(400)),
            turn("user", &"c".repeat(100)),
        ];
        // 150 tokens = 600 chars: the last two fit, the first does not; the window must start
        // with the user, so the assistant turn goes too.
        let kept = trim(&turns, 150);
        assert_eq!(kept, [turn("user", &"c".repeat(100))]);
        let kept = trim(&turns, 10_000);
        assert_eq!(kept.len(), 3);

        let long = format!("START{}END", "x".repeat(10_000));
        let kept = trim(&[turn("user", &long)], 100);
        assert_eq!(kept.len(), 1);
        assert!(kept[0].content.starts_with("START"));
        assert!(kept[0].content.ends_with("END"));
        assert!(kept[0].content.len() <= 100 * CHARS_PER_TOKEN + 8);
        // Multi-byte text is cut on char boundaries.
        let kept = trim(&[turn("user", &"é".repeat(5_000))], 70);
        assert!(kept[0].content.contains('…'));
    }
}
