//! SQLite and PostgreSQL stores for `commerce-core` (not yet implemented).
