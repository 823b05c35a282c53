//! WebAssembly bindings for `commerce-core` pricing (not yet implemented).
