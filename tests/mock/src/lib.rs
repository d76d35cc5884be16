//! The mock provider (skeleton).
