//! `commerce-server serve [--demo] [--database-url URL] [--bind ADDRESS] [--events URL]…`
//! `commerce-server worker [--database-url URL] [--events URL]…`
//! `commerce-server admin create-key [--name NAME] [--database-url URL]`
//! `commerce-server admin revoke-key ID [--database-url URL]`
//!
//! Without flags it serves a SQLite file `commerce.db` in the working directory on
//! 127.0.0.1:8080. `COMMERCE_DATABASE_URL` sets the database when `--database-url` is absent.

use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str = "usage: commerce-server serve [options]\n\
       commerce-server worker [--database-url URL] [event options]\n\
       commerce-server admin create-key [--name NAME] [--database-url URL]\n\
       commerce-server admin revoke-key ID [--database-url URL]\n\
serve options:\n\
  --demo                 load a demo catalog on first run (products, stock, taxes, shipping, coupons)\n\
  --database-url URL     sqlite://path, sqlite::memory: or postgres://... (default sqlite://commerce.db,\n\
                         or COMMERCE_DATABASE_URL)\n\
  --bind ADDRESS         where to listen (default 127.0.0.1:8080)\n\
  --rate-limit N         requests per second per client (default 100)\n\
  --rate-burst N         requests a client may make at once (default 200)\n\
  --password-attempts N  sign-ins, registrations and password changes per client per minute\n\
                         (default 10)\n\
  --account-sign-ins N   sign-ins per account per hour, from all clients together (default 20)\n\
  --trust-forwarded      key clients by X-Forwarded-For (only behind a proxy you run)\n\
  --cors-origin ORIGIN   allow browser calls from ORIGIN (repeatable)\n\
  --request-timeout S    seconds before a request is answered 408 (default 30)\n\
  --webhook-secret S     the secret gateway webhooks are signed with (or COMMERCE_WEBHOOK_SECRET)\n\
  --no-worker            serve the API only; run `commerce-server worker` beside it\n\
event options (serve runs the worker too, unless --no-worker):\n\
  --events URL           publish events to nats://host:4222 or amqp://user:pass@host:5672/%2f\n\
                         (repeatable; or COMMERCE_EVENTS, comma-separated)\n\
  --smtp-url URL         send customers email: smtp://host:25, smtp://host:587?tls=required,\n\
                         smtps://user:pass@host:465 (or COMMERCE_SMTP_URL)\n\
  --smtp-from ADDRESS    the sender (default \"Shop <shop@localhost>\", or COMMERCE_SMTP_FROM)\n\
  --shop-name NAME       the shop's name in email (default \"Shop\")\n\
  --webhook-allow-private  let webhooks reach loopback and private addresses\n\
Logs go to stderr; RUST_LOG sets the level (default info).";

enum Command {
    Serve,
    Worker,
    CreateKey { name: String },
    RevokeKey { id: String },
}

struct Options {
    command: Command,
    demo: bool,
    database_url: String,
    bind: String,
    settings: commerce_http::Settings,
    run_worker: bool,
    events: commerce_events::EventsConfig,
    smtp_url: Option<String>,
    smtp_from: String,
    shop_name: String,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut args = args.iter().peekable();
    let command = match args.next().map(String::as_str) {
        Some("serve") => Command::Serve,
        Some("worker") => Command::Worker,
        Some("admin") => match args.next().map(String::as_str) {
            Some("create-key") => Command::CreateKey {
                name: "admin".to_string(),
            },
            Some("revoke-key") => Command::RevokeKey {
                id: args
                    .next()
                    .ok_or("revoke-key needs the key's id (the part after ck_)")?
                    .clone(),
            },
            _ => return Err(format!("admin needs create-key or revoke-key\n{USAGE}")),
        },
        Some("-h" | "--help") | None => return Err(USAGE.to_string()),
        Some(other) => return Err(format!("unknown command `{other}`\n{USAGE}")),
    };
    let mut options = Options {
        command,
        demo: false,
        database_url: std::env::var("COMMERCE_DATABASE_URL")
            .unwrap_or_else(|_| "sqlite://commerce.db".to_string()),
        bind: "127.0.0.1:8080".to_string(),
        settings: commerce_http::Settings {
            webhook_secret: std::env::var("COMMERCE_WEBHOOK_SECRET").ok(),
            ..commerce_http::Settings::default()
        },
        run_worker: true,
        events: commerce_events::EventsConfig {
            brokers: std::env::var("COMMERCE_EVENTS")
                .map(|urls| {
                    urls.split(',')
                        .map(str::trim)
                        .filter(|url| !url.is_empty())
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            ..commerce_events::EventsConfig::default()
        },
        smtp_url: std::env::var("COMMERCE_SMTP_URL").ok(),
        smtp_from: std::env::var("COMMERCE_SMTP_FROM")
            .unwrap_or_else(|_| "Shop <shop@localhost>".to_string()),
        shop_name: "Shop".to_string(),
    };
    let number = |value: Option<&String>, flag: &str| -> Result<u32, String> {
        value
            .and_then(|v| v.parse().ok())
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("{flag} needs a positive number"))
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--demo" => options.demo = true,
            "--name" => match &mut options.command {
                Command::CreateKey { name } => {
                    *name = args.next().ok_or("--name needs a value")?.clone()
                }
                _ => return Err(format!("--name is an option of admin create-key\n{USAGE}")),
            },
            "--database-url" => {
                options.database_url = args.next().ok_or("--database-url needs a value")?.clone()
            }
            "--bind" => options.bind = args.next().ok_or("--bind needs a value")?.clone(),
            "--rate-limit" => options.settings.rate_per_second = number(args.next(), arg)?,
            "--rate-burst" => options.settings.rate_burst = number(args.next(), arg)?,
            "--password-attempts" => {
                options.settings.credential_attempts_per_minute = number(args.next(), arg)?
            }
            "--account-sign-ins" => {
                options.settings.account_sign_ins_per_hour = number(args.next(), arg)?
            }
            "--trust-forwarded" => options.settings.trust_forwarded = true,
            "--webhook-secret" => {
                options.settings.webhook_secret =
                    Some(args.next().ok_or("--webhook-secret needs a value")?.clone())
            }
            "--cors-origin" => options
                .settings
                .cors_origins
                .push(args.next().ok_or("--cors-origin needs a value")?.clone()),
            "--request-timeout" => {
                options.settings.request_timeout =
                    Duration::from_secs(u64::from(number(args.next(), arg)?))
            }
            "--no-worker" => options.run_worker = false,
            "--events" => options
                .events
                .brokers
                .push(args.next().ok_or("--events needs a URL")?.clone()),
            "--smtp-url" => {
                options.smtp_url = Some(args.next().ok_or("--smtp-url needs a URL")?.clone())
            }
            "--smtp-from" => {
                options.smtp_from = args.next().ok_or("--smtp-from needs an address")?.clone()
            }
            "--shop-name" => {
                options.shop_name = args.next().ok_or("--shop-name needs a name")?.clone()
            }
            "--webhook-allow-private" => options.events.webhooks_to_private_addresses = true,
            other => return Err(format!("unknown option `{other}`\n{USAGE}")),
        }
    }
    Ok(options)
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
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse(&args) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let commerce = match commerce_http::commerce(&options.database_url).await {
        Ok(commerce) => commerce,
        Err(err) => {
            eprintln!("cannot open the database: {err}");
            return ExitCode::FAILURE;
        }
    };
    match &options.command {
        Command::Serve | Command::Worker => {}
        Command::CreateKey { name } => {
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
        Command::RevokeKey { id } => {
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
    }
    if options.demo {
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
    let mut events = options.events.clone();
    events.smtp = options
        .smtp_url
        .clone()
        .map(|url| commerce_events::EmailSettings {
            url,
            from: options.smtp_from.clone(),
            shop_name: options.shop_name.clone(),
        });
    let destinations = match commerce_events::destinations(&events, &commerce) {
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
    if let Command::Worker = options.command {
        println!("commerce-server worker running");
        commerce_events::run_worker(
            commerce,
            destinations,
            commerce_events::worker_name(),
            until_stopped(stopped),
        )
        .await;
        return ExitCode::SUCCESS;
    }
    let worker = options.run_worker.then(|| {
        tokio::spawn(commerce_events::run_worker(
            commerce.clone(),
            destinations,
            commerce_events::worker_name(),
            until_stopped(stopped.clone()),
        ))
    });
    let listener = match tokio::net::TcpListener::bind(&options.bind).await {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("cannot listen on {}: {err}", options.bind);
            return ExitCode::FAILURE;
        }
    };
    println!("commerce-server listening on http://{}", options.bind);
    let app = commerce_http::app_with(commerce, &options.settings);
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
