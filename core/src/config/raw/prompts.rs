//! Raw prompt-gateway sections: endpoints, prompt targets, guards.

use crate::config::decode::{DurationText, Entries, Scalar, raw_struct};
use crate::config::enums::{HttpMethod, Protocol};

raw_struct! {
    /// A named upstream service.
    pub(crate) struct RawEndpoint {
        /// `host` or `host:port`.
        endpoint: String = required,
        /// Connect timeout, e.g. `0.005s`.
        connect_timeout: DurationText,
        /// http or https.
        protocol: Protocol,
        /// Host header override.
        http_host: String,
        /// Consistent-hash replicas by prompt prefix.
        prefix_affinity: bool,
    }
}

raw_struct! {
    /// A function the prompt gateway can call.
    pub(crate) struct RawPromptTarget {
        /// Unique function name.
        name: String = required,
        /// Used when no other target matches.
        default: bool,
        /// What the function does.
        description: String = required,
        /// Send the function's response back through the LLM.
        auto_llm_dispatch_on_response: bool,
        /// Function parameters.
        parameters: Vec<RawParameter>,
        /// Where the function is served.
        endpoint: RawTargetEndpoint,
        /// System prompt for this target.
        system_prompt: String,
    }
}

raw_struct! {
    /// A prompt target parameter.
    pub(crate) struct RawParameter {
        /// Parameter name.
        name: String = required,
        /// Whether the parameter must be present.
        required: bool,
        /// Default value.
        default: Scalar,
        /// What the parameter means.
        description: String = required,
        /// Parameter type (str, int, bool, ...).
        kind as "type": String = required,
        /// Allowed values.
        values as "enum": Vec<Scalar>,
        /// Substitute into the endpoint path.
        in_path: bool,
        /// Value format hint.
        format: String,
    }
}

raw_struct! {
    /// The endpoint of a prompt target.
    pub(crate) struct RawTargetEndpoint {
        /// A name from `endpoints`.
        name: String = required,
        /// Request path.
        path: String,
        /// GET or POST.
        http_method: HttpMethod,
        /// Extra headers; values may use `$VAR` references.
        http_headers: Entries<String>,
    }
}

raw_struct! {
    /// Guardrails.
    pub(crate) struct RawPromptGuards {
        /// Guards on requests.
        input_guards: RawInputGuards = required,
    }
}

raw_struct! {
    /// Input guards.
    pub(crate) struct RawInputGuards {
        /// Jailbreak detection.
        jailbreak: RawGuard = required,
    }
}

raw_struct! {
    /// A guard.
    pub(crate) struct RawGuard {
        /// What to do when it triggers.
        on_exception: RawOnException = required,
        /// The model that classifies the input (this gateway's extension; default
        /// `Arch-Guard`); a configured provider must serve it.
        model: String,
    }
}

raw_struct! {
    /// A guard's reaction.
    pub(crate) struct RawOnException {
        /// Message returned to the client.
        message: String,
        /// Legacy: forward to `error_target`.
        forward_to_error_target: bool,
        /// Legacy: error handler name.
        error_handler: String,
    }
}

raw_struct! {
    /// Legacy error target.
    pub(crate) struct RawErrorTarget {
        /// Where errors go.
        endpoint: RawTargetEndpoint,
    }
}
