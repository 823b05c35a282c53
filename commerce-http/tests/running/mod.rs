//! Running the server as a shop does: the command line and the environment, the request log,
//! the metrics, and the headers of its own pages.

mod gateways;

use std::io::Read;
use std::process::{Command, Stdio};

use crate::support::{ServerProcess, free_port};

const SERVER: &str = env!("CARGO_BIN_EXE_commerce-server");

fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::new(SERVER).args(args).output().unwrap();
    (
        output.status.code(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

/// `--help` and `--version` answer and exit 0; every option names its environment variable; a
/// mistake exits 2 saying what was wrong, with the usage.
#[test]
fn the_command_line_answers_help_and_version() {
    let (code, out, _) = run(&["--help"]);
    assert_eq!(code, Some(0), "{out}");
    for command in ["serve", "worker", "admin"] {
        assert!(out.contains(command), "{out}");
    }
    let (code, out, _) = run(&["--version"]);
    assert_eq!(
        (code, out.trim()),
        (
            Some(0),
            concat!("commerce-server ", env!("CARGO_PKG_VERSION"))
        )
    );
    let (code, out, _) = run(&["serve", "--help"]);
    assert_eq!(code, Some(0));
    for variable in [
        "COMMERCE_DATABASE_URL",
        "COMMERCE_BIND",
        "COMMERCE_DEMO",
        "COMMERCE_RATE_LIMIT",
        "COMMERCE_EVENTS",
        "COMMERCE_SMTP_URL",
        "COMMERCE_WASM_DIR",
        "COMMERCE_WEBHOOK_SECRET",
    ] {
        assert!(
            out.contains(variable),
            "serve --help names {variable}: {out}"
        );
    }
    let (code, _, err) = run(&["serve", "--rate-limit", "0"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("--rate-limit") && err.contains("--help"),
        "{err}"
    );
    let (code, _, err) = run(&["serve", "--no-such-option"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--no-such-option"), "{err}");
    let (code, _, err) = run(&[]);
    assert_eq!(code, Some(2), "{err}");
}

/// Every setting can come from the environment; a secret given there is not echoed by `--help`.
#[tokio::test]
async fn settings_come_from_the_environment() {
    let port = free_port();
    let server = ServerProcess::spawn(
        Command::new(SERVER)
            .arg("serve")
            .env("COMMERCE_DATABASE_URL", "sqlite::memory:")
            .env("COMMERCE_BIND", format!("127.0.0.1:{port}"))
            .env("COMMERCE_DEMO", "true")
            .env("COMMERCE_NO_WORKER", "true")
            .env(
                "COMMERCE_CORS_ORIGINS",
                "https://a.example,https://b.example",
            )
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null()),
        port,
    )
    .await;
    let base = &server.base;
    let client = reqwest::Client::new();
    let products = client
        .get(format!("{base}/v1/products"))
        .header("origin", "https://b.example")
        .send()
        .await
        .unwrap();
    assert_eq!(
        products.headers()["access-control-allow-origin"],
        "https://b.example"
    );
    let body: serde_json::Value = serde_json::from_str(&products.text().await.unwrap()).unwrap();
    assert!(
        !body["items"].as_array().unwrap().is_empty(),
        "the demo catalog was loaded: {body}"
    );
    let help = Command::new(SERVER)
        .args(["serve", "--help"])
        .env("COMMERCE_WEBHOOK_SECRET", "whsec_do_not_print")
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&help.stdout).contains("whsec_do_not_print"));
}

/// At the default level the server logs one line per request: its id, method, path, status and
/// time.
#[tokio::test]
async fn every_request_is_one_line_of_the_log() {
    let port = free_port();
    let mut server = ServerProcess::spawn(
        Command::new(SERVER)
            .args([
                "serve",
                "--demo",
                "--no-worker",
                "--database-url",
                "sqlite::memory:",
            ])
            .args(["--bind", &format!("127.0.0.1:{port}")])
            .env_remove("RUST_LOG")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped()),
        port,
    )
    .await;
    let mut stderr = server.take_stderr().unwrap();
    let base = server.base.clone();
    let response = reqwest::get(format!("{base}/v1/products/enamel-mug"))
        .await
        .unwrap();
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    let missing = reqwest::get(format!("{base}/v1/products/no-such-product"))
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    drop(server);
    let mut log = String::new();
    stderr.read_to_string(&mut log).unwrap();
    let line = log
        .lines()
        .find(|line| line.contains(&request_id))
        .unwrap_or_else(|| panic!("no line for {request_id} in:\n{log}"));
    for part in [
        " INFO ",
        "method=GET",
        "path=\"/v1/products/enamel-mug\"",
        "status=200",
        "millis=",
    ] {
        assert!(line.contains(part), "{part} in {line}");
    }
    assert!(
        log.lines()
            .any(|l| l.contains("no-such-product") && l.contains("status=404")),
        "{log}"
    );
}

/// `/metrics` has a latency histogram and responses by route template (not by path, which a
/// scan could grow without bound).
#[tokio::test]
async fn metrics_are_by_route() {
    let base = crate::server().await;
    for path in [
        "/v1/products/enamel-mug",
        "/v1/products/tee",
        "/no/such/path",
    ] {
        reqwest::get(format!("{base}{path}")).await.unwrap();
    }
    let metrics = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let product = "method=\"GET\",route=\"/v1/products/{id}\"";
    assert!(
        metrics.contains(&format!(
            "commerce_http_request_duration_seconds_count{{{product}}} 2"
        )),
        "{metrics}"
    );
    assert!(
        metrics.contains(&format!(
            "commerce_http_request_duration_seconds_bucket{{{product},le=\"+Inf\"}} 2"
        )),
        "{metrics}"
    );
    assert!(metrics.contains("# TYPE commerce_http_request_duration_seconds histogram"));
    assert!(
        metrics.contains(
            "commerce_http_route_responses_total{method=\"GET\",route=\"unmatched\",class=\"4xx\"} 1"
        ),
        "{metrics}"
    );
    assert!(!metrics.contains("/no/such/path"), "{metrics}");
}

/// The server's pages carry a strict content-security policy, and their scripts and styles are
/// files of the server, not inline.
#[tokio::test]
async fn the_pages_have_a_strict_policy() {
    let base = crate::server().await;
    for page in ["/shop/", "/docs"] {
        let response = reqwest::get(format!("{base}{page}")).await.unwrap();
        let policy = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(policy.contains("default-src 'none'"), "{page}: {policy}");
        assert!(policy.contains("script-src 'self'"), "{page}: {policy}");
        assert!(!policy.contains("unsafe-inline"), "{page}: {policy}");
        let html = response.text().await.unwrap();
        assert!(!html.contains("<script>"), "{page} has no inline script");
        assert!(!html.contains("<style>"), "{page} has no inline style");
    }
    for asset in [
        "/shop/app.js",
        "/shop/style.css",
        "/docs/docs.js",
        "/docs/docs.css",
    ] {
        let response = reqwest::get(format!("{base}{asset}")).await.unwrap();
        assert_eq!(response.status(), 200, "{asset}");
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    }
}
