//! The plano native server (skeleton).
