//! The command line's work that is not serving: managing admin API keys.

pub mod keys;
