//! Python bindings for `commerce-core` (not yet implemented).
