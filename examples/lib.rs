//! Runnable examples of the commerce workspace (`cargo run -p commerce-examples --example …`).
//!
//! The Rust snippets of the workspace's README run here as doctests, exactly as printed (with
//! every feature they name, such as `random-ids`), so the front page never goes stale.

/// The README, whose Rust snippets `cargo test --doc` runs.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeSnippets;
