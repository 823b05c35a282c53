//! The API: one module per resource, each a table of its operations. An operation is its
//! route, its handler, its documentation and its authorization row, written once: the router,
//! `/openapi.json` and the access guard all come from the same [`Operation`], so a route
//! cannot exist undocumented, or documented with other access than it enforces.
//!
//! Handlers parse, call one service method and map the result; the object-level rules (whose
//! cart, whose order) are the core's, checked where the service reads the record
//! ([`commerce_core::access::Target`]). No domain rule lives here.

use axum::Router;
use axum::extract::{Request, State};
use axum::handler::Handler;
use axum::http::StatusCode;
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use commerce_core::Commerce;
use commerce_core::access::Caller;

use crate::auth::authenticate;
use crate::problem::Problem;

pub(crate) mod accounts;
pub(crate) mod carts;
pub(crate) mod catalog;
pub(crate) mod events;
pub(crate) mod health;
pub(crate) mod orders;
pub(crate) mod search;
pub(crate) mod settings;
pub(crate) mod webhooks;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The service.
    pub commerce: Commerce,
    /// The secret gateway webhooks are signed with; `None` turns the endpoint off.
    pub webhook_secret: Option<String>,
    /// The secret Stripe signs its webhooks with; `None` turns `/v1/webhooks/stripe` off.
    pub stripe_webhook_secret: Option<String>,
}

/// The state handlers see: shared, so that a request clones one pointer rather than the service.
pub(crate) type Shared = std::sync::Arc<AppState>;

/// Who may call an operation: its authorization row, enforced before the handler runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Anyone; credentials are not read.
    Public,
    /// Anyone; a credential, if sent, must be valid, and an admin sees more.
    Anyone,
    /// Whoever holds the cart's id (an unguessable 128-bit token); a customer's cart needs
    /// that customer's session (or an admin key). The core checks the cart.
    CartHolder,
    /// A signed-in customer (a session token).
    Customer,
    /// The order's customer, or an admin. The core checks the order.
    Owner,
    /// An admin API key.
    Admin,
}

/// An HTTP method an operation answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    /// The lower-case name, as OpenAPI writes it.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Post => "post",
            Method::Put => "put",
            Method::Patch => "patch",
            Method::Delete => "delete",
        }
    }

    fn filter(self) -> MethodFilter {
        match self {
            Method::Get => MethodFilter::GET,
            Method::Post => MethodFilter::POST,
            Method::Put => MethodFilter::PUT,
            Method::Patch => MethodFilter::PATCH,
            Method::Delete => MethodFilter::DELETE,
        }
    }
}

/// A query parameter an operation reads.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Param {
    /// Its name.
    pub(crate) name: &'static str,
    /// Its JSON Schema, as JSON text.
    pub(crate) schema: &'static str,
    /// What it does.
    pub(crate) description: &'static str,
}

/// The cursor parameters of every listing.
pub(crate) const PAGE_PARAMS: [Param; 2] = [
    Param {
        name: "after",
        schema: r#"{"type": "string"}"#,
        description: "The `next_cursor` of the previous page.",
    },
    Param {
        name: "limit",
        schema: r#"{"type": "integer", "default": 20}"#,
        description: "Items per page, clamped to 1..100.",
    },
];

/// One operation of the API: what the router serves, the document says and the guard enforces.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Operation {
    pub(crate) method: Method,
    pub(crate) path: &'static str,
    pub(crate) summary: &'static str,
    pub(crate) access: Access,
    /// The request body's schema, if it takes one.
    pub(crate) body: Option<&'static str>,
    /// Whether the body may be left out.
    pub(crate) body_optional: bool,
    /// The status of success.
    pub(crate) status: u16,
    /// The response's schema, if it has a body.
    pub(crate) response: Option<&'static str>,
    /// Whether it needs an `Idempotency-Key`.
    pub(crate) idempotent: bool,
    /// Whether it may call the payment gateway (and answer `502`).
    pub(crate) calls_gateway: bool,
    /// The query parameters it reads.
    pub(crate) query: &'static [&'static [Param]],
}

impl Operation {
    /// An operation answering `200` with no body schema yet.
    pub(crate) const fn new(
        method: Method,
        path: &'static str,
        summary: &'static str,
        access: Access,
    ) -> Operation {
        Operation {
            method,
            path,
            summary,
            access,
            body: None,
            body_optional: false,
            status: 200,
            response: None,
            idempotent: false,
            calls_gateway: false,
            query: &[],
        }
    }

    /// Takes a JSON body of the schema `name`.
    pub(crate) const fn body(self, name: &'static str) -> Operation {
        Operation {
            body: Some(name),
            ..self
        }
    }

    /// Takes an optional body of the schema `name`.
    pub(crate) const fn optional_body(self, name: &'static str) -> Operation {
        Operation {
            body: Some(name),
            body_optional: true,
            ..self
        }
    }

    /// Answers `status` with a body of the schema `name`.
    pub(crate) const fn returns(self, status: u16, name: &'static str) -> Operation {
        Operation {
            status,
            response: Some(name),
            ..self
        }
    }

    /// Answers `204` with no body.
    pub(crate) const fn no_content(self) -> Operation {
        Operation {
            status: 204,
            response: None,
            ..self
        }
    }

    /// Needs an `Idempotency-Key`.
    pub(crate) const fn keyed(self) -> Operation {
        Operation {
            idempotent: true,
            ..self
        }
    }

    /// May call the payment gateway.
    pub(crate) const fn calls_gateway(self) -> Operation {
        Operation {
            calls_gateway: true,
            ..self
        }
    }

    /// Reads these query parameters.
    pub(crate) const fn query(self, query: &'static [&'static [Param]]) -> Operation {
        Operation { query, ..self }
    }
}

/// A table of operations and their handlers: a resource's part of the API.
#[derive(Default)]
pub(crate) struct Api {
    routes: Vec<(Operation, MethodRouter<Shared>)>,
}

impl Api {
    /// An empty table.
    pub(crate) fn new() -> Api {
        Api::default()
    }

    /// Adds an operation, served by `handler` for its method and path only.
    pub(crate) fn at<H, T>(mut self, operation: Operation, handler: H) -> Api
    where
        H: Handler<T, Shared>,
        T: 'static,
    {
        self.routes
            .push((operation, on(operation.method.filter(), handler)));
        self
    }

    /// This table and another.
    pub(crate) fn and(mut self, other: Api) -> Api {
        self.routes.extend(other.routes);
        self
    }

    /// The operations, in the order they were added.
    pub(crate) fn operations(&self) -> impl Iterator<Item = &Operation> {
        self.routes.iter().map(|(operation, _)| operation)
    }

    /// The router: every operation behind the guard its access names.
    fn into_router(self, state: &Shared) -> Router<Shared> {
        let mut router = Router::new();
        for (operation, handler) in self.routes {
            let guarded =
                handler.route_layer(from_fn_with_state((state.clone(), operation.access), guard));
            router = router.route(operation.path, guarded);
        }
        router
    }
}

/// Every operation of the API.
pub(crate) fn api() -> Api {
    health::api()
        .and(catalog::api())
        .and(search::api())
        .and(settings::api())
        .and(accounts::api())
        .and(carts::api())
        .and(orders::api())
        .and(webhooks::api())
        .and(events::api())
}

/// Authenticates the caller as the operation's access asks, refuses those it does not admit,
/// and hands the caller to the handler ([`Authenticated`](crate::auth::Authenticated)), so that no handler reads the
/// credential twice.
async fn guard(
    State((state, access)): State<(Shared, Access)>,
    mut request: Request,
    next: Next,
) -> Response {
    if access == Access::Public {
        return next.run(request).await;
    }
    let caller = match authenticate(request.headers(), &state).await {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let admitted = match (access, &caller.caller) {
        (Access::Admin, Caller::Admin { .. }) => Ok(()),
        (Access::Admin, Caller::Customer { .. }) => Err(Problem::forbidden(
            "this needs an admin API key; a customer session cannot do it",
        )),
        (Access::Admin, Caller::Anonymous) => Err(Problem::unauthorized(
            "an admin API key is required: Authorization: Bearer ck_…",
        )),
        (Access::Customer, Caller::Customer { .. }) if caller.session_id.is_some() => Ok(()),
        (Access::Customer, _) => Err(Problem::unauthorized(
            "sign in first: Authorization: Bearer cs_… from POST /v1/sessions",
        )),
        _ => Ok(()),
    };
    if let Err(problem) = admitted {
        return problem.into_response();
    }
    request.extensions_mut().insert(caller);
    next.run(request).await
}

/// The router of the API.
pub fn router(state: AppState) -> Router {
    let state = Shared::new(state);
    api()
        .into_router(&state)
        .fallback(|| async { Problem::new(StatusCode::NOT_FOUND, "not_found", "no such route") })
        .with_state(state)
}
