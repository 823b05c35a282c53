//! The reference HTTP server over `commerce-core` (not yet implemented).
