//! Every client × upstream pair through the transcoder: the output does not depend on the
//! chunking and is a well-framed stream of the client API. With the per-API codecs merged,
//! the summaries of all clients of one upstream stream must also agree.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod stream_util;

use hermesllm::Api;
use hermesllm::stream::StreamMeta;
use stream_util::{
    assert_transcode_split_invariant_with, assert_valid_client_stream, comparable, cut_offsets,
    transcode, upstream_fixtures,
};

fn meta() -> StreamMeta<'static> {
    StreamMeta {
        id: "gw-stream-1".into(),
        created: 1_750_000_000,
        model: "test-model".into(),
        include_usage: true,
    }
}

#[test]
fn every_pair_is_split_invariant_and_well_framed() {
    for (from, name, input) in upstream_fixtures() {
        for to in Api::ALL {
            let offsets: Vec<usize> = cut_offsets(input.len()).into_iter().step_by(5).collect();
            let (out, _) =
                assert_transcode_split_invariant_with(from, to, &meta(), &input, offsets, 10);
            assert_valid_client_stream(to, &out);
            if from == to {
                assert_eq!(out, input, "{name}: passthrough changes nothing");
            }
        }
    }
}

#[test]
fn every_client_sees_the_same_summary() {
    for (from, name, input) in upstream_fixtures() {
        let (_, reference) = transcode(from, from, &meta(), &[&input]);
        assert!(reference.completed, "{name}");
        for to in Api::ALL {
            let (out, s) = transcode(from, to, &meta(), &[&input]);
            let frames = assert_valid_client_stream(to, &out);
            assert!(!frames.is_empty(), "{name} -> {to}");
            assert_eq!(comparable(&s), comparable(&reference), "{name} -> {to}");
        }
    }
}
