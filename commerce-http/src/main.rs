//! `commerce-server`: the shop's API, storefront and worker in one binary.
//!
//! `commerce-server serve` serves a SQLite file `commerce.db` in the working directory on
//! 127.0.0.1:8080 and runs the worker beside it; `commerce-server --help` lists every command
//! and option. Every option can also be set from the environment (`COMMERCE_…`, named in the
//! help), which is how secrets should be given: an environment variable is not shown by `ps`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

/// The commerce server: a REST JSON API, a storefront and a background worker over one database.
#[derive(Debug, Parser)]
#[command(name = "commerce-server", version, propagate_version = true)]
#[command(
    after_help = "Logs go to stderr, one line per request; RUST_LOG sets the level (default info)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API, the storefront (/shop/) and its documentation (/docs), and run the worker
    /// beside them unless --no-worker.
    Serve(ServeArgs),
    /// Run the worker alone: deliver events, sweep expired holds, finish interrupted refunds.
    /// Run it beside API servers started with --no-worker, on the same database and with the
    /// same --gateway.
    Worker {
        #[command(flatten)]
        database: Database,
        #[command(flatten)]
        gateway: GatewayArgs,
        #[command(flatten)]
        events: EventArgs,
    },
    /// Manage admin keys.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Create an admin key and print it (it is shown only once).
    CreateKey {
        /// A name to know the key by.
        #[arg(long, default_value = "admin")]
        name: String,
        #[command(flatten)]
        database: Database,
    },
    /// Revoke an admin key by its id (the part after `ck_`).
    RevokeKey {
        /// The key's id.
        id: String,
        #[command(flatten)]
        database: Database,
    },
}

#[derive(Debug, Args)]
struct Database {
    /// sqlite://path, sqlite::memory: or postgres://user@host/database.
    #[arg(
        long,
        env = "COMMERCE_DATABASE_URL",
        default_value = "sqlite://commerce.db"
    )]
    database_url: String,
}

/// Which gateway takes payments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum GatewayName {
    /// None: payments are refused (payments_not_configured) and orders wait.
    None,
    /// The test gateway (tok_visa, tok_decline, …): no real money.
    Test,
    /// Stripe: STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET from the environment.
    Stripe,
}

#[derive(Debug, Args)]
struct GatewayArgs {
    /// The payment gateway [default: test with --demo, else none]. Stripe's secret key and
    /// webhook secret come from STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET, never from the
    /// command line.
    #[arg(long, env = "COMMERCE_GATEWAY", value_enum)]
    gateway: Option<GatewayName>,
}

impl GatewayArgs {
    /// The gateway's configuration; `demo` makes the test gateway the default.
    fn config(&self, demo: bool) -> Result<commerce_http::GatewayConfig, commerce_core::Error> {
        let name = self.gateway.unwrap_or(if demo {
            GatewayName::Test
        } else {
            GatewayName::None
        });
        let name = match name {
            GatewayName::None => "none",
            GatewayName::Test => "test",
            GatewayName::Stripe => "stripe",
        };
        commerce_http::GatewayConfig::from_name(name)
    }
}

#[derive(Debug, Args)]
struct ServeArgs {
    #[command(flatten)]
    database: Database,
    #[command(flatten)]
    gateway: GatewayArgs,
    /// Load a demo catalog on first run (products, stock, taxes, shipping, coupons).
    #[arg(long, env = "COMMERCE_DEMO")]
    demo: bool,
    /// Where to listen.
    #[arg(long, env = "COMMERCE_BIND", default_value = "127.0.0.1:8080")]
    bind: String,
    /// Requests per second per client.
    #[arg(long, env = "COMMERCE_RATE_LIMIT", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    rate_limit: u32,
    /// Requests a client may make at once.
    #[arg(long, env = "COMMERCE_RATE_BURST", default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..))]
    rate_burst: u32,
    /// Sign-ins, registrations and password changes per client per minute.
    #[arg(long, env = "COMMERCE_PASSWORD_ATTEMPTS", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    password_attempts: u32,
    /// Sign-ins per account per hour, from all clients together.
    #[arg(long, env = "COMMERCE_ACCOUNT_SIGN_INS", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
    account_sign_ins: u32,
    /// Key clients by X-Forwarded-For (only behind a proxy you run).
    #[arg(long, env = "COMMERCE_TRUST_FORWARDED")]
    trust_forwarded: bool,
    /// Allow browser calls from this origin (repeatable; comma-separated in the environment).
    #[arg(
        long = "cors-origin",
        env = "COMMERCE_CORS_ORIGINS",
        value_delimiter = ','
    )]
    cors_origins: Vec<String>,
    /// Seconds before a request is answered 408.
    #[arg(long, env = "COMMERCE_REQUEST_TIMEOUT", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..))]
    request_timeout: u32,
    /// The secret gateway webhooks are signed with (better given in the environment).
    #[arg(long, env = "COMMERCE_WEBHOOK_SECRET", hide_env_values = true)]
    webhook_secret: Option<String>,
    /// The storefront's WebAssembly package, the directory scripts/build-wasm fills
    /// (default: commerce-wasm/pkg of the checkout, or pkg beside the executable).
    #[arg(long, env = "COMMERCE_WASM_DIR")]
    wasm_dir: Option<PathBuf>,
    /// Serve the API only; run `commerce-server worker` beside it.
    #[arg(long, env = "COMMERCE_NO_WORKER")]
    no_worker: bool,
    #[command(flatten)]
    events: EventArgs,
}

#[derive(Debug, Args)]
struct EventArgs {
    /// Publish events to nats://host:4222 or amqp://user:pass@host:5672/%2f (repeatable;
    /// comma-separated in the environment).
    #[arg(long = "events", env = "COMMERCE_EVENTS", value_delimiter = ',')]
    events: Vec<String>,
    /// Send customers email: smtp://host:25, smtp://host:587?tls=required, smtps://user:pass@host:465.
    #[arg(long, env = "COMMERCE_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// The sender of the shop's email.
    #[arg(
        long,
        env = "COMMERCE_SMTP_FROM",
        default_value = "Shop <shop@localhost>"
    )]
    smtp_from: String,
    /// The shop's name in email.
    #[arg(long, env = "COMMERCE_SHOP_NAME", default_value = "Shop")]
    shop_name: String,
    /// Let webhooks reach loopback and private addresses.
    #[arg(long, env = "COMMERCE_WEBHOOK_ALLOW_PRIVATE")]
    webhook_allow_private: bool,
}

impl EventArgs {
    fn config(&self) -> commerce_events::EventsConfig {
        commerce_events::EventsConfig {
            brokers: self
                .events
                .iter()
                .map(|url| url.trim())
                .filter(|url| !url.is_empty())
                .map(str::to_string)
                .collect(),
            webhooks_to_private_addresses: self.webhook_allow_private,
            smtp: self
                .smtp_url
                .clone()
                .map(|url| commerce_events::EmailSettings {
                    url,
                    from: self.smtp_from.clone(),
                    shop_name: self.shop_name.clone(),
                }),
        }
    }
}

impl ServeArgs {
    fn settings(&self) -> commerce_http::Settings {
        commerce_http::Settings {
            rate_per_second: self.rate_limit,
            rate_burst: self.rate_burst,
            trust_forwarded: self.trust_forwarded,
            cors_origins: self
                .cors_origins
                .iter()
                .filter(|origin| !origin.is_empty())
                .cloned()
                .collect(),
            request_timeout: Duration::from_secs(u64::from(self.request_timeout)),
            webhook_secret: self.webhook_secret.clone(),
            credential_attempts_per_minute: self.password_attempts,
            account_sign_ins_per_hour: self.account_sign_ins,
            wasm_dir: self.wasm_dir.clone(),
            ..commerce_http::Settings::default()
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    // Before the logger, so that --help and --version print nothing else; clap exits 0 for
    // them and 2 for a mistake, with the usage.
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let (database_url, gateway) = match &cli.command {
        Command::Serve(args) => (&args.database.database_url, args.gateway.config(args.demo)),
        Command::Worker {
            database, gateway, ..
        } => (&database.database_url, gateway.config(false)),
        Command::Admin {
            command:
                AdminCommand::CreateKey { database, .. } | AdminCommand::RevokeKey { database, .. },
        } => (
            &database.database_url,
            Ok(commerce_http::GatewayConfig::None),
        ),
    };
    let gateway = match gateway {
        Ok(gateway) => gateway,
        Err(err) => {
            eprintln!("cannot set up the payment gateway: {err}");
            return ExitCode::from(2);
        }
    };
    let stripe_webhook_secret = match &gateway {
        commerce_http::GatewayConfig::Stripe(stripe) => stripe.webhook_secret.clone(),
        _ => None,
    };
    let takes_payments = gateway != commerce_http::GatewayConfig::None;
    let is_admin = matches!(cli.command, Command::Admin { .. });
    let config = commerce_http::Config::new(database_url.as_str()).with_gateway(gateway);
    let commerce = match commerce_http::commerce(&config).await {
        Ok(commerce) => commerce,
        Err(err) => {
            eprintln!("cannot open the database: {err}");
            return ExitCode::FAILURE;
        }
    };
    let (serve, event_args) = match &cli.command {
        Command::Serve(args) => (Some(args), &args.events),
        Command::Worker { events, .. } => (None, events),
        Command::Admin {
            command: AdminCommand::CreateKey { name, .. },
        } => {
            return match commerce_http::cli::keys::create_key(&commerce, name).await {
                Ok(key) => {
                    println!("{key}");
                    eprintln!("keep this admin key secret: it is shown only once");
                    ExitCode::SUCCESS
                }
                Err(err) => {
                    eprintln!("cannot create a key: {err}");
                    ExitCode::FAILURE
                }
            };
        }
        Command::Admin {
            command: AdminCommand::RevokeKey { id, .. },
        } => {
            return match commerce_http::cli::keys::revoke_key(&commerce, id).await {
                Ok(()) => {
                    println!("revoked {id}");
                    ExitCode::SUCCESS
                }
                Err(err) => {
                    eprintln!("cannot revoke the key: {err}");
                    ExitCode::FAILURE
                }
            };
        }
    };
    if !is_admin {
        if takes_payments {
            println!("payments: the {} gateway", config.gateway.name());
        } else {
            eprintln!(
                "warning: no payment gateway is configured, so payments are refused \
                 (payments_not_configured) and orders wait; start with --gateway stripe, or \
                 --gateway test to try the shop with test cards"
            );
        }
    }
    if serve.is_some_and(|args| args.demo) {
        match commerce_http::demo::load(&commerce).await {
            Ok(true) => println!("loaded the demo catalog"),
            Ok(false) => {
                println!("the catalog already has products; the demo was not loaded again")
            }
            Err(err) => {
                eprintln!("cannot load the demo catalog: {err}");
                return ExitCode::FAILURE;
            }
        }
    }
    let destinations = match commerce_events::destinations(&event_args.config(), &commerce) {
        Ok(destinations) => destinations,
        Err(err) => {
            eprintln!("cannot set up the event destinations: {err}");
            return ExitCode::from(2);
        }
    };
    // One signal stops both the server (gracefully) and the worker (after its pass).
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop.send(true);
    });
    let until_stopped = |mut stopped: tokio::sync::watch::Receiver<bool>| async move {
        let _ = stopped.wait_for(|stop| *stop).await;
    };
    let Some(serve) = serve else {
        println!("commerce-server worker running");
        commerce_events::run_worker(
            commerce,
            destinations,
            commerce_events::worker_name(),
            until_stopped(stopped),
        )
        .await;
        return ExitCode::SUCCESS;
    };
    let worker = (!serve.no_worker).then(|| {
        tokio::spawn(commerce_events::run_worker(
            commerce.clone(),
            destinations,
            commerce_events::worker_name(),
            until_stopped(stopped.clone()),
        ))
    });
    let listener = match tokio::net::TcpListener::bind(&serve.bind).await {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("cannot listen on {}: {err}", serve.bind);
            return ExitCode::FAILURE;
        }
    };
    println!("commerce-server listening on http://{}", serve.bind);
    let mut settings = serve.settings();
    settings.stripe_webhook_secret = stripe_webhook_secret;
    let app = commerce_http::app_with(commerce, &settings);
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<commerce_http::ClientAddr>(),
    )
    .with_graceful_shutdown(until_stopped(stopped))
    .await;
    if let Some(worker) = worker {
        let _ = tokio::time::timeout(Duration::from_secs(15), worker).await;
    }
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("server error: {err}");
            ExitCode::FAILURE
        }
    }
}
