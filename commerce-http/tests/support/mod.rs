//! Servers for tests, on a new SQLite file or a new PostgreSQL schema, and a small client that
//! checks every error is problem+json.

#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};

use commerce_core::Commerce;
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// Which database a test server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A new SQLite file.
    Sqlite,
    /// A new schema of the test PostgreSQL database.
    Postgres,
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// The PostgreSQL URL the tests use.
pub fn postgres_url() -> String {
    std::env::var("COMMERCE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

/// A database URL for a new, empty store.
pub async fn new_database(backend: Backend) -> String {
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join("commerce-http-tests");
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join(format!("http-{}-{n}.db", std::process::id()));
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
            format!("sqlite://{}", path.display())
        }
        Backend::Postgres => {
            static CLEANED: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
            let url = postgres_url();
            CLEANED
                .get_or_init(|| drop_stale_schemas(url.clone()))
                .await;
            let schema = format!("commerce_h_{}_{n}", std::process::id());
            let separator = if url.contains('?') { '&' } else { '?' };
            // The store creates the schema its search_path names.
            format!("{url}{separator}options=-c%20search_path%3D{schema}")
        }
    }
}

/// Drops the schemas that earlier runs of these tests (other processes) left behind.
async fn drop_stale_schemas(url: String) {
    let admin = sqlx::PgPool::connect(&url).await.unwrap_or_else(|e| {
        panic!(
            "PostgreSQL is not reachable at {url} ({e}). Start it, or point \
             COMMERCE_TEST_POSTGRES_URL at one; scripts/test skips these tests only outside CI."
        )
    });
    let stale: Vec<String> = sqlx::query_scalar(
        "SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'commerce\\_h\\_%' AND nspname NOT LIKE $1",
    )
    .bind(format!("commerce\\_h\\_{}\\_%", std::process::id()))
    .fetch_all(&admin)
    .await
    .expect("list schemas");
    for old in stale {
        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP SCHEMA IF EXISTS {old} CASCADE"
        )))
        .execute(&admin)
        .await;
    }
    admin.close().await;
}

/// A running server with the demo catalog, and its service (to issue admin keys).
pub struct Shop {
    /// `http://127.0.0.1:port`.
    pub base: String,
    /// The service behind it.
    pub commerce: Commerce,
}

impl Shop {
    /// The URL of a path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A new admin key.
    pub async fn admin_key(&self) -> String {
        commerce_http::cli::keys::create_key(&self.commerce, "tests")
            .await
            .unwrap()
    }
}

/// Starts a server on an ephemeral port over a new database with the demo catalog.
pub async fn start(backend: Backend, settings: commerce_http::Settings) -> Shop {
    let shop = start_empty(backend, settings).await;
    assert!(commerce_http::demo::load(&shop.commerce).await.unwrap());
    shop
}

/// Starts a server on an ephemeral port over a new, empty database.
pub async fn start_empty(backend: Backend, settings: commerce_http::Settings) -> Shop {
    let url = new_database(backend).await;
    let commerce = commerce_http::commerce(&test_gateway(&url)).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = commerce_http::app_with(commerce.clone(), &settings)
        .into_make_service_with_connect_info::<commerce_http::ClientAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Shop {
        base: format!("http://{address}"),
        commerce,
    }
}

/// Settings without a rate limit that a test could reach.
pub fn unlimited() -> commerce_http::Settings {
    commerce_http::Settings {
        rate_per_second: 1_000_000,
        rate_burst: 1_000_000,
        credential_attempts_per_minute: 1_000_000,
        account_sign_ins_per_hour: 1_000_000,
        ..commerce_http::Settings::default()
    }
}

/// Sends a request, with a JSON body, an `Idempotency-Key` and a bearer credential if given;
/// every error must be `application/problem+json`.
pub async fn send_as(
    method: Method,
    url: String,
    body: Option<Value>,
    key: Option<&str>,
    bearer: Option<&str>,
) -> (StatusCode, Value) {
    static CLIENT: std::sync::LazyLock<reqwest::Client> =
        std::sync::LazyLock::new(reqwest::Client::new);
    let mut request = CLIENT.request(method, url);
    if let Some(bearer) = bearer {
        request = request.header("authorization", format!("Bearer {bearer}"));
    }
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string());
    let text = response.text().await.unwrap();
    if !status.is_success() {
        assert_eq!(
            content_type.as_deref(),
            Some("application/problem+json"),
            "{status}: {text}"
        );
    }
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// As [`send_as`], without a credential.
pub async fn send(
    method: Method,
    url: String,
    body: Option<Value>,
    key: Option<&str>,
) -> (StatusCode, Value) {
    send_as(method, url, body, key, None).await
}

/// `POST` a JSON body.
pub async fn post(url: String, body: Value) -> (StatusCode, Value) {
    send(Method::POST, url, Some(body), None).await
}

/// `GET`.
pub async fn get(url: String) -> (StatusCode, Value) {
    send(Method::GET, url, None, None).await
}

/// A `commerce-server` process of its own, killed when dropped.
pub struct ServerProcess {
    child: std::process::Child,
    /// `http://127.0.0.1:port`.
    pub base: String,
}

impl ServerProcess {
    /// Starts `commerce-server serve` on `database_url` (`--demo` if asked) on a free port and
    /// waits until it answers.
    pub async fn start(database_url: &str, demo: bool) -> ServerProcess {
        ServerProcess::start_with(database_url, demo, &[]).await
    }

    /// As [`ServerProcess::start`], with more options.
    pub async fn start_with(database_url: &str, demo: bool, options: &[&str]) -> ServerProcess {
        let port = free_port();
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_commerce-server"));
        command.args([
            "serve",
            "--database-url",
            database_url,
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--rate-limit",
            "1000000",
            "--rate-burst",
            "1000000",
            "--password-attempts",
            "1000000",
        ]);
        if demo {
            command.arg("--demo");
        }
        if !options.contains(&"--gateway") {
            command.args(["--gateway", "test"]);
        }
        command.args(options);
        command
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null());
        ServerProcess::spawn(&mut command, port).await
    }

    /// Spawns `command`, a server told to listen on `port`, and waits until it answers.
    pub async fn spawn(command: &mut std::process::Command, port: u16) -> ServerProcess {
        let server = ServerProcess {
            child: command.spawn().unwrap(),
            base: format!("http://127.0.0.1:{port}"),
        };
        for _ in 0..300 {
            if reqwest::get(format!("{}/readyz", server.base))
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return server;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("commerce-server did not start on {}", server.base);
    }

    /// The server's standard error, when it was spawned piped.
    pub fn take_stderr(&mut self) -> Option<std::process::ChildStderr> {
        self.child.stderr.take()
    }
}

/// A port nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A checkout body: `token` as the payment method, a guest's e-mail and a shipping address in
/// California.
pub fn pay(token: &str) -> Value {
    serde_json::json!({
        "payment_method": token,
        "email": "guest@example.com",
        "shipping_address": {
            "name": "Grace Hopper", "line1": "1 Main St", "city": "Springfield",
            "region": "CA", "postal_code": "94016", "country": "US"
        }
    })
}

/// The configuration the tests build a service from: the store at `database_url`, and the
/// test gateway, asked for by name.
pub fn test_gateway(database_url: &str) -> commerce_http::Config {
    commerce_http::Config::new(database_url).with_gateway(commerce_http::GatewayConfig::Test)
}
