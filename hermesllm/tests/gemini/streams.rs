//! Streams (phase B).
