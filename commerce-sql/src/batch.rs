//! A unit of work in one round trip.
//!
//! Every statement of a unit of work is a round trip to the database: a network hop to
//! PostgreSQL, a hand-off to sqlx's worker thread for SQLite. Both cost far more than the
//! statement itself. So the common path of [`OrderStore::apply`] sends the whole unit at once:
//! `BEGIN`, the same statements the careful path runs one by one with their values written into
//! the text as literals, and `COMMIT`. A statement that must change a certain number of rows (a
//! guarded update, a compare-and-set) is followed, or wrapped, by a check the database itself
//! enforces (a trigger on SQLite, a function on PostgreSQL, both from migration 0004): a failed
//! check, or any error, aborts the batch before its `COMMIT`; the transaction is rolled back and
//! the careful path runs the unit statement by statement, which alone decides every refusal
//! (`insufficient_stock`, `conflict`, an expired hold released first, ...). The batch never
//! refuses anything itself.
//!
//! The batch runs on a task of its own, so that a caller that gives up half-way (a request
//! timeout) never leaves a connection inside an open transaction: the task finishes, with a
//! `COMMIT` or a `ROLLBACK`, whatever happens to the caller.
//!
//! Values never become SQL. On SQLite they are bound as parameters, numbered across the whole
//! batch, and the batch is prepared once and kept in the statement cache, as sqlx's SQLite
//! driver allows (parsing the text each time cost more than running it). PostgreSQL prepares
//! one statement at a time, so there the batch is plain text: integers written as digits and
//! strings as escape-string literals with every backslash and quote doubled (`E'it''s'`), so
//! that no character of a value can end a literal; a test sends every character there is
//! through one.
//!
//! [`OrderStore::apply`]: commerce_core::store::OrderStore::apply

use std::fmt::Write as _;

/// A unit of work that writes its statements into a batch; `None` where a value cannot be
/// written (the careful path then runs the unit and reports why). It may be asked twice: once
/// among other units (group commit on SQLite: `group.rs`), and alone if that group failed.
pub(crate) type Unit = Box<dyn Fn(&mut Batch) -> Option<()> + Send + Sync>;

/// How a unit of work ran as a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ran {
    /// Committed.
    Done,
    /// Rolled back (a check failed, or a statement erred): the careful path must run it.
    RolledBack,
    /// Not a batch at all (a value that cannot be written): the careful path must run it.
    NotBatched,
}

/// A value of a statement.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Arg<'a> {
    /// An integer.
    Int(i64),
    /// A string.
    Text(&'a str),
    /// A string or `NULL`.
    OptText(Option<&'a str>),
    /// A boolean or `NULL`.
    OptBool(Option<bool>),
    /// An integer or `NULL`.
    OptInt(Option<i64>),
}

/// What a statement of the batch must have done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect {
    /// Changed exactly this many rows.
    Changed(u64),
    /// Anything that is not an error.
    Any,
    /// A plain `INSERT ... VALUES` of one row, with no conflict clause (and no trigger on its
    /// table): it inserts exactly that row or fails, so no check is written after it. A third of
    /// the statements of a placed order were such checks.
    OneRowInserted,
}

/// A value bound to a batch's parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Bound {
    /// An integer.
    Int(i64),
    /// A string.
    Text(String),
    /// A boolean.
    Bool(bool),
    /// `NULL`.
    Null,
}

impl Bound {
    /// The value as a statement's argument.
    pub(crate) fn as_arg(&self) -> Arg<'_> {
        match self {
            Bound::Int(value) => Arg::Int(*value),
            Bound::Text(value) => Arg::Text(value),
            Bound::Bool(value) => Arg::OptBool(Some(*value)),
            Bound::Null => Arg::OptText(None),
        }
    }
}

/// How a database writes the parts of a batch.
pub(crate) struct Dialect {
    /// Opens the write transaction.
    pub begin: &'static str,
    /// Appends a string value as a literal; `None` binds values as parameters instead.
    pub text: Option<fn(&str, &mut String)>,
    /// Appends a statement that must change `n` rows, followed or wrapped by the check.
    pub checked: fn(&str, u64, &mut String),
}

/// The statements of a unit of work, as one text, and the values bound to it.
pub(crate) struct Batch {
    sql: String,
    bound: Vec<Bound>,
    dialect: &'static Dialect,
    scratch: String,
}

impl Batch {
    /// An empty batch in a dialect, which opens the transaction.
    pub(crate) fn new(dialect: &'static Dialect) -> Batch {
        let mut batch = Batch::within(dialect);
        batch.sql.push_str(dialect.begin);
        batch.sql.push_str(";\n");
        batch
    }

    /// An empty batch of statements for a transaction that an earlier batch opened.
    pub(crate) fn within(dialect: &'static Dialect) -> Batch {
        Batch {
            sql: String::with_capacity(8192),
            bound: Vec::new(),
            dialect,
            scratch: String::new(),
        }
    }

    /// Appends `sql` with its `$n` placeholders replaced by `args[n - 1]`, and the check of
    /// what it must change; `None` (and nothing appended) if a placeholder has no value, which
    /// the careful path refuses too.
    #[must_use]
    pub(crate) fn push(&mut self, sql: &str, args: &[Arg<'_>], expect: Expect) -> Option<()> {
        if crate::unit::placeholders(sql) > args.len() {
            return None;
        }
        let mut statement = std::mem::take(&mut self.scratch);
        statement.clear();
        let mut rest = sql;
        while let Some(at) = rest.find('$') {
            statement.push_str(&rest[..at]);
            let digits = rest[at + 1..]
                .bytes()
                .take_while(u8::is_ascii_digit)
                .count();
            if digits == 0 {
                // Not a placeholder: a JSON path such as `'$.low_stock_threshold'`.
                statement.push('$');
                rest = &rest[at + 1..];
                continue;
            }
            let n: usize = rest[at + 1..at + 1 + digits].parse().unwrap_or(0);
            let arg = n.checked_sub(1).and_then(|i| args.get(i));
            match (self.dialect.text, arg) {
                (None, arg) => {
                    self.bound.push(match arg {
                        Some(Arg::Int(value)) | Some(Arg::OptInt(Some(value))) => {
                            Bound::Int(*value)
                        }
                        Some(Arg::Text(value)) | Some(Arg::OptText(Some(value))) => {
                            Bound::Text((*value).to_string())
                        }
                        Some(Arg::OptBool(Some(value))) => Bound::Bool(*value),
                        Some(Arg::OptText(None))
                        | Some(Arg::OptBool(None))
                        | Some(Arg::OptInt(None))
                        | None => Bound::Null,
                    });
                    let _ = write!(statement, "${}", self.bound.len());
                }
                (Some(_), Some(Arg::Int(value)) | Some(Arg::OptInt(Some(value)))) => {
                    // Parenthesised, so that `- $3` never becomes a `--` comment.
                    let _ = write!(statement, "({value})");
                }
                (Some(text), Some(Arg::Text(value)) | Some(Arg::OptText(Some(value)))) => {
                    text(value, &mut statement)
                }
                (Some(_), Some(Arg::OptBool(Some(value)))) => {
                    statement.push_str(if *value { "TRUE" } else { "FALSE" })
                }
                (
                    Some(_),
                    Some(Arg::OptText(None) | Arg::OptBool(None) | Arg::OptInt(None)) | None,
                ) => statement.push_str("NULL"),
            }
            rest = &rest[at + 1 + digits..];
        }
        statement.push_str(rest);
        debug_assert!(
            expect != Expect::OneRowInserted
                || (sql.starts_with("INSERT INTO ") && !sql.contains("ON CONFLICT")),
            "not a plain insert: {sql}"
        );
        match expect {
            Expect::Changed(n) => (self.dialect.checked)(&statement, n, &mut self.sql),
            Expect::Any | Expect::OneRowInserted => {
                self.sql.push_str(&statement);
                self.sql.push_str(";\n");
            }
        }
        self.scratch = statement;
        Some(())
    }

    /// The whole unit, `BEGIN`, the statements, `COMMIT`, and the values bound to it.
    pub(crate) fn finish(mut self) -> (String, Vec<Bound>) {
        self.sql.push_str("COMMIT;\n");
        (self.sql, self.bound)
    }

    /// The statements so far and the values bound to them, leaving the transaction open.
    pub(crate) fn unfinished(self) -> (String, Vec<Bound>) {
        (self.sql, self.bound)
    }
}

/// A unit's statements (from [`Batch::within`]) as a whole transaction.
pub(crate) fn whole(
    dialect: &Dialect,
    statements: String,
    bound: Vec<Bound>,
) -> (String, Vec<Bound>) {
    (format!("{};\n{statements}COMMIT;\n", dialect.begin), bound)
}

/// Whether every statement of a batch succeeded, reading its results until the first failure
/// (after which the driver runs nothing more: the batch stopped before its `COMMIT`).
pub(crate) async fn all_succeeded<T>(
    mut results: impl futures::Stream<Item = Result<T, sqlx::Error>> + Unpin,
) -> bool {
    use futures::StreamExt as _;
    while let Some(result) = results.next().await {
        if result.is_err() {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quoted(value: &str, out: &mut String) {
        out.push('[');
        commerce_core::ids::push_hex(value.as_bytes(), out);
        out.push(']');
    }

    fn checked(statement: &str, n: u64, out: &mut String) {
        let _ = writeln!(out, "{statement};\nCHECK {n};");
    }

    static LITERALS: Dialect = Dialect {
        begin: "BEGIN",
        text: Some(quoted),
        checked,
    };

    static PARAMETERS: Dialect = Dialect {
        begin: "BEGIN",
        text: None,
        checked,
    };

    fn example(dialect: &'static Dialect) -> (String, Vec<Bound>) {
        let mut batch = Batch::new(dialect);
        batch.push(
            "UPDATE t SET a = a - $2, b = $1, c = $3 WHERE d = $3 AND e = json_extract(f, '$.g')",
            &[Arg::Text("x'; --"), Arg::Int(-5), Arg::OptText(None)],
            Expect::Changed(1),
        )
        .unwrap();
        batch
            .push("DELETE FROM u WHERE v = $1", &[Arg::Int(7)], Expect::Any)
            .unwrap();
        batch.finish()
    }

    #[test]
    fn parameters_are_numbered_across_the_batch() {
        let (sql, bound) = example(&PARAMETERS);
        assert_eq!(
            sql,
            "BEGIN;\n\
             UPDATE t SET a = a - $1, b = $2, c = $3 WHERE d = $4 AND e = json_extract(f, '$.g');\n\
             CHECK 1;\n\
             DELETE FROM u WHERE v = $5;\n\
             COMMIT;\n"
        );
        assert_eq!(
            bound,
            [
                Bound::Int(-5),
                Bound::Text("x'; --".into()),
                Bound::Null,
                Bound::Null,
                Bound::Int(7)
            ]
        );
    }

    /// A placeholder with no value refuses the statement, as the careful path does, rather
    /// than writing `NULL` on one path only.
    #[test]
    fn a_placeholder_without_a_value_is_refused() {
        for dialect in [&PARAMETERS, &LITERALS] {
            let mut batch = Batch::new(dialect);
            let pushed = batch.push(
                "UPDATE t SET a = $1 WHERE b = $2",
                &[Arg::Int(1)],
                Expect::Any,
            );
            assert!(pushed.is_none());
            assert_eq!(batch.finish().0, "BEGIN;\nCOMMIT;\n");
        }
    }

    #[test]
    fn a_plain_insert_needs_no_check() {
        let mut batch = Batch::new(&PARAMETERS);
        batch
            .push(
                "INSERT INTO t (a) VALUES ($1)",
                &[Arg::Int(1)],
                Expect::OneRowInserted,
            )
            .unwrap();
        assert_eq!(
            batch.finish().0,
            "BEGIN;\nINSERT INTO t (a) VALUES ($1);\nCOMMIT;\n"
        );
    }

    #[test]
    #[should_panic(expected = "not a plain insert")]
    #[cfg(debug_assertions)]
    fn an_insert_that_may_skip_its_row_is_not_a_plain_insert() {
        let mut batch = Batch::new(&PARAMETERS);
        let _ = batch.push(
            "INSERT INTO t (a) VALUES ($1) ON CONFLICT DO NOTHING",
            &[Arg::Int(1)],
            Expect::OneRowInserted,
        );
    }

    #[test]
    fn placeholders_become_literals_and_checks_follow() {
        let (sql, bound) = example(&LITERALS);
        assert!(bound.is_empty());
        assert_eq!(
            sql,
            "BEGIN;\n\
             UPDATE t SET a = a - (-5), b = [78273b202d2d], c = NULL WHERE d = NULL AND e = json_extract(f, '$.g');\n\
             CHECK 1;\n\
             DELETE FROM u WHERE v = (7);\n\
             COMMIT;\n"
        );
    }
}
