//! The conformance suite (skeleton).
