//! Product search: `GET /v1/search`, the core's matching, ranking, filters and facets.

use axum::extract::State;
use axum::http::StatusCode;
use commerce_core::search::analysis::check_query;
use commerce_core::search::facets::Filters;
use commerce_core::service::{SearchRequest, SearchSort};
use commerce_core::{Currency, Error, Money};
use serde::Deserialize;

use crate::api::{Access, Api, Method, Operation, Param, Shared};
use crate::extract::{ApiQuery, ApiResult, json};

const SEARCH_PARAMS: [Param; 10] = [
    Param {
        name: "sort",
        schema: r#"{"type": "string", "enum": ["relevance", "price_ascending", "price_descending"], "default": "relevance"}"#,
        description: "The order: best match first, or by price (equal prices by relevance; products without a price last).",
    },
    Param {
        name: "q",
        schema: r#"{"type": "string", "maxLength": 200}"#,
        description: "The words typed: every word must match; typos, plurals and the start of the last word are found.",
    },
    Param {
        name: "currency",
        schema: r#"{"type": "string", "pattern": "^[A-Z]{3}$"}"#,
        description: "The currency prices are filtered and reported in (required).",
    },
    Param {
        name: "category",
        schema: r#"{"type": "string"}"#,
        description: "Category ids, comma-separated: any of them, or their descendants.",
    },
    Param {
        name: "min_price",
        schema: r#"{"type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?$"}"#,
        description: "The lowest price, inclusive, as a decimal in the currency.",
    },
    Param {
        name: "max_price",
        schema: r#"{"type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?$"}"#,
        description: "The highest price, inclusive.",
    },
    Param {
        name: "option",
        schema: r#"{"type": "string"}"#,
        description: "Option values, comma-separated `name:value` pairs (`colour:blue,colour:red,size:m`): any value of each named option.",
    },
    Param {
        name: "in_stock",
        schema: r#"{"type": "boolean"}"#,
        description: "Only products with a variant in stock.",
    },
    Param {
        name: "cursor",
        schema: r#"{"type": "string"}"#,
        description: "The `next_cursor` of the previous page.",
    },
    Param {
        name: "limit",
        schema: r#"{"type": "integer", "minimum": 1, "maximum": 100, "default": 20}"#,
        description: "Results per page, 1 to 100.",
    },
];

const SUGGESTION_PARAMS: [Param; 3] = [
    Param {
        name: "q",
        schema: r#"{"type": "string", "maxLength": 200}"#,
        description: "The text typed so far.",
    },
    Param {
        name: "currency",
        schema: r#"{"type": "string", "pattern": "^[A-Z]{3}$"}"#,
        description: "The shop's currency (required).",
    },
    Param {
        name: "limit",
        schema: r#"{"type": "integer", "minimum": 1, "maximum": 10, "default": 10}"#,
        description: "Suggestions, 1 to 10.",
    },
];

/// The search routes.
pub(crate) fn api() -> Api {
    Api::new()
        .at(
            Operation::new(
                Method::Get,
                "/v1/search/suggestions",
                "What a search box offers as the shopper types: the names of the first products the search ranks for the text, at most 10.",
                Access::Public,
            )
            .returns(200, "Suggestions")
            .query(&[&SUGGESTION_PARAMS]),
            suggestions,
        )
        .at(
        Operation::new(
            Method::Get,
            "/v1/search",
            "Searches the active products: ranked results, facet counts (disjunctive within a facet) and the price range; see commerce_core::search for the rules.",
            Access::Public,
        )
        .returns(200, "SearchResults")
        .query(&[&SEARCH_PARAMS]),
        search,
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SearchQuery {
    #[serde(default)]
    q: String,
    currency: Option<String>,
    category: Option<String>,
    min_price: Option<String>,
    max_price: Option<String>,
    option: Option<String>,
    #[serde(default)]
    in_stock: bool,
    #[serde(default)]
    sort: SearchSort,
    cursor: Option<String>,
    limit: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SuggestionQuery {
    #[serde(default)]
    q: String,
    currency: Option<String>,
    limit: Option<usize>,
}

/// `GET /v1/search/suggestions`.
pub(crate) async fn suggestions(
    State(state): State<Shared>,
    ApiQuery(query): ApiQuery<SuggestionQuery>,
) -> ApiResult {
    let currency = currency_of(query.currency.as_deref())?;
    check_query(&query.q).map_err(|e| e.at("q"))?;
    let offered = state
        .commerce
        .suggest(&query.q, currency, query.limit.unwrap_or(10))
        .await?;
    Ok(json(StatusCode::OK, &offered))
}

fn currency_of(code: Option<&str>) -> Result<Currency, Error> {
    code.ok_or_else(|| {
        Error::invalid("the currency to price results in, such as USD").at("currency")
    })
    .and_then(|code| Currency::from_code(code).map_err(|e| e.at("currency")))
}

fn minor(text: &str, currency: Currency, field: &str) -> Result<i128, Error> {
    let money = Money::parse(text, currency).map_err(|e| e.at(field))?;
    money.to_minor().map(i128::from).map_err(|e| e.at(field))
}

/// `GET /v1/search`.
pub(crate) async fn search(
    State(state): State<Shared>,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> ApiResult {
    let currency = query
        .currency
        .as_deref()
        .ok_or_else(|| {
            Error::invalid("the currency to price results in, such as USD").at("currency")
        })
        .and_then(|code| Currency::from_code(code).map_err(|e| e.at("currency")))?;
    let mut filters = Filters {
        in_stock: query.in_stock,
        ..Filters::default()
    };
    for id in query.category.iter().flat_map(|c| c.split(',')) {
        if !id.is_empty() {
            filters.categories.insert(id.to_string());
        }
    }
    for pair in query.option.iter().flat_map(|o| o.split(',')) {
        let Some((name, value)) = pair.split_once(':') else {
            return Err(Error::invalid("`name:value` pairs, such as colour:blue")
                .at("option")
                .into());
        };
        filters
            .attributes
            .entry(name.to_string())
            .or_default()
            .insert(value.to_string());
    }
    if let Some(text) = &query.min_price {
        filters.min_price = Some(minor(text, currency, "min_price")?);
    }
    if let Some(text) = &query.max_price {
        filters.max_price = Some(minor(text, currency, "max_price")?);
    }
    check_query(&query.q).map_err(|e| e.at("q"))?;
    let results = state
        .commerce
        .search(&SearchRequest {
            query: query.q,
            currency,
            filters,
            sort: query.sort,
            cursor: query.cursor,
            limit: query.limit.unwrap_or(20),
        })
        .await?;
    Ok(json(StatusCode::OK, &results))
}
