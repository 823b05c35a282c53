//! Product search: analysis, matching and ranking, pure and deterministic, so that every
//! store, process and runtime gives the same products in the same order for a query.
//!
//! A product's **document** is its fields, each analysed ([`analysis`]) into words: `name`,
//! `sku` (every variant's, matched whole), `category` (the names of its categories),
//! `attribute` (its variants' option values) and `description`.
//!
//! **Matching.** Every word of the query must match a word of the document (any order, any
//! field). A query word matches a document word, best first:
//!
//! | kind | when |
//! | --- | --- |
//! | `exact` | the words are equal; for `sku`, the whole query (folded, trimmed) or the query word equals a folded SKU, and every query word counts as an exact SKU match |
//! | `stemmed` | their stems are equal ([`analysis::stem`]: `mugs` finds `mug`) |
//! | `prefix` | the query's **last** word is a prefix of the document word (as the shopper types) |
//! | `typo` | same first letter, and within [`analysis::typos_allowed`] edits of the document word or its stem (one for 5–8 letters, two from 9; a swap of neighbours is one edit) |
//!
//! The SKU field matches `exact` only.
//!
//! **Ranking**, lowest first, by: (1) the sum over query words of their best kind's rank
//! (`exact` 0, `stemmed` 1, `prefix` 2, `typo` 3); (2) the sum over query words of the
//! weight of the field of that best match (`name` 0, `sku` 1, `category` 2, `attribute` 3,
//! `description` 4; of two fields matching equally well, the lighter counts); (3) the
//! product id, compared as bytes. The order is total: two products never tie.

pub mod analysis;
pub mod facets;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::catalog::Product;
use analysis::{MAX_QUERY_WORDS, distance_within, fold, stem, typos_allowed, words};

/// The fields of a document, lightest (most important) first.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// The product's name (weight 0).
    Name,
    /// A variant's SKU, matched whole (weight 1).
    Sku,
    /// A category's name (weight 2).
    Category,
    /// A variant's option value (weight 3).
    Attribute,
    /// The description (weight 4).
    Description,
}

/// How well a query word matched, best first.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// The same word (rank 0).
    Exact,
    /// The same stem (rank 1).
    Stemmed,
    /// The start of a word, for the query's last word (rank 2).
    Prefix,
    /// Within the allowed edits (rank 3).
    Typo,
}

#[derive(Debug, Clone)]
struct Word {
    text: String,
    stem: String,
}

/// A product as search sees it.
#[derive(Debug, Clone)]
pub struct Document {
    /// The product's id.
    pub id: String,
    fields: Vec<(Field, Vec<Word>)>,
    skus: Vec<String>,
}

impl Document {
    /// The document of `product`, with the names of its categories from `category_names`
    /// (id → name; an id without a name there adds nothing).
    pub fn of(product: &Product, category_names: &BTreeMap<String, String>) -> Document {
        let analysed = |text: &str| -> Vec<Word> {
            words(text)
                .into_iter()
                .map(|text| Word {
                    stem: stem(&text),
                    text,
                })
                .collect()
        };
        let categories: Vec<Word> = product
            .category_ids
            .iter()
            .filter_map(|id| category_names.get(id))
            .flat_map(|name| analysed(name))
            .collect();
        let attributes: Vec<Word> = product
            .variants
            .iter()
            .flat_map(|v| v.options.values())
            .flat_map(|value| analysed(value))
            .collect();
        Document {
            id: product.id.clone(),
            fields: vec![
                (Field::Name, analysed(&product.name)),
                (Field::Category, categories),
                (Field::Attribute, attributes),
                (Field::Description, analysed(&product.description)),
            ],
            skus: product.variants.iter().map(|v| fold(&v.sku)).collect(),
        }
    }
}

/// A query, analysed once for every document it is matched against.
#[derive(Debug, Clone)]
pub struct Query {
    words: Vec<Word>,
    whole: String,
}

impl Query {
    /// Analyses `text`; at most [`MAX_QUERY_WORDS`] words count.
    pub fn new(text: &str) -> Query {
        Query {
            words: words(text)
                .into_iter()
                .take(MAX_QUERY_WORDS)
                .map(|text| Word {
                    stem: stem(&text),
                    text,
                })
                .collect(),
            whole: fold(text.trim()),
        }
    }

    /// Whether the query has no words (it matches every document, by id).
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }
}

/// How one query word matched a document.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WordMatch {
    /// The query word, folded.
    pub word: String,
    /// How well.
    pub kind: MatchKind,
    /// Where.
    pub field: Field,
}

/// A document that matched, with what orders it.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hit {
    /// The product's id.
    pub product_id: String,
    /// Each query word's best match, in the query's order.
    pub matches: Vec<WordMatch>,
}

impl Hit {
    /// The ranking key of the module documentation: lower ranks first.
    pub fn rank(&self) -> (u32, u32, &[u8]) {
        let kinds = self.matches.iter().map(|m| m.kind as u32).sum();
        let fields = self.matches.iter().map(|m| m.field as u32).sum();
        (kinds, fields, self.product_id.as_bytes())
    }
}

fn word_match(word: &Word, last: bool, document: &Document) -> Option<(MatchKind, Field)> {
    let mut best: Option<(MatchKind, Field)> = None;
    let mut consider = |found: (MatchKind, Field)| {
        if best.is_none_or(|b| found < b) {
            best = Some(found);
        }
    };
    if document.skus.contains(&word.text) {
        consider((MatchKind::Exact, Field::Sku));
    }
    let letters = word.text.chars().count();
    let allowed = typos_allowed(letters);
    let first = word.text.chars().next();
    for (field, words) in &document.fields {
        for candidate in words {
            if candidate.text == word.text {
                consider((MatchKind::Exact, *field));
            } else if candidate.stem == word.stem {
                consider((MatchKind::Stemmed, *field));
            } else if last && candidate.text.starts_with(&word.text) {
                consider((MatchKind::Prefix, *field));
            } else if allowed > 0
                && candidate.text.chars().next() == first
                && (distance_within(&word.text, &candidate.text, allowed).is_some()
                    || distance_within(&word.stem, &candidate.stem, allowed).is_some())
            {
                consider((MatchKind::Typo, *field));
            }
        }
    }
    best
}

/// Matches `query` against one document: `None` unless every query word matches.
pub fn matches(query: &Query, document: &Document) -> Option<Hit> {
    if !query.words.is_empty() && document.skus.contains(&query.whole) {
        return Some(Hit {
            product_id: document.id.clone(),
            matches: query
                .words
                .iter()
                .map(|w| WordMatch {
                    word: w.text.clone(),
                    kind: MatchKind::Exact,
                    field: Field::Sku,
                })
                .collect(),
        });
    }
    let last = query.words.len().saturating_sub(1);
    let mut found = Vec::with_capacity(query.words.len());
    for (i, word) in query.words.iter().enumerate() {
        let (kind, field) = word_match(word, i == last, document)?;
        found.push(WordMatch {
            word: word.text.clone(),
            kind,
            field,
        });
    }
    Some(Hit {
        product_id: document.id.clone(),
        matches: found,
    })
}

/// Every document that matches `query`, ranked (see the module documentation).
///
/// ```
/// use std::collections::BTreeMap;
/// use commerce_core::catalog::Product;
/// use commerce_core::search::{Document, Query, search};
///
/// let product = |id: &str, name: &str, sku: &str, description: &str| -> Product {
///     serde_json::from_value(serde_json::json!({
///         "id": id, "name": name, "description": description, "status": "active",
///         "variants": [{"sku": sku, "prices": []}]
///     }))
///     .unwrap()
/// };
/// let blue = product("enamel-mug", "Enamel mug", "MUG-BLUE", "");
/// let tee = product("tee", "Organic tee", "TEE-M", "Goes with a mug of coffee.");
/// let documents: Vec<Document> =
///     [blue, tee].iter().map(|p| Document::of(p, &BTreeMap::new())).collect();
///
/// let ids = |q: &str| -> Vec<String> {
///     search(&Query::new(q), &documents).into_iter().map(|h| h.product_id).collect()
/// };
/// assert_eq!(ids("mugs"), ["enamel-mug", "tee"]); // the name before the description
/// assert_eq!(ids("enamle mug"), ["enamel-mug"]);   // a swap is one typo
/// assert_eq!(ids("mug-blue"), ["enamel-mug"]);     // its SKU
/// assert_eq!(ids("orga"), ["tee"]);                // as the shopper types
/// ```
pub fn search(query: &Query, documents: &[Document]) -> Vec<Hit> {
    let mut hits: Vec<Hit> = documents.iter().filter_map(|d| matches(query, d)).collect();
    hits.sort_by(|a, b| a.rank().cmp(&b.rank()));
    hits
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn document(id: &str, name: &str, description: &str) -> Document {
        // Built here rather than by the testkit, so that the unit tests need no feature.
        let p: Product = serde_json::from_value(serde_json::json!({
            "id": id, "name": name, "description": description, "status": "active",
            "variants": [{"sku": format!("SKU-{id}"), "prices": []}],
        }))
        .expect("a product");
        Document::of(&p, &BTreeMap::new())
    }

    fn ids(query: &str, documents: &[Document]) -> Vec<String> {
        search(&Query::new(query), documents)
            .into_iter()
            .map(|h| h.product_id)
            .collect()
    }

    #[test]
    fn kinds_rank_exact_stemmed_prefix_typo() {
        let documents = [
            document("d-typo", "Enamol", ""),
            document("c-prefix", "Enamelware", ""),
            document("b-stem", "Enamels", ""),
            document("a-exact", "Enamel", ""),
        ];
        assert_eq!(
            ids("enamel", &documents),
            ["a-exact", "b-stem", "c-prefix", "d-typo"]
        );
    }

    #[test]
    fn typos_need_five_letters_and_the_first_letter() {
        let documents = [document("m", "Mugs and cups", "")];
        assert!(ids("mig", &documents).is_empty(), "no typo below 5 letters");
        let documents = [document("t", "Teapot", "")];
        assert_eq!(ids("taepot", &documents), ["t"], "a swap");
        assert!(
            ids("reapot", &documents).is_empty(),
            "the first letter is exact"
        );
        let documents = [document("c", "Chocolate", "")];
        assert_eq!(ids("chocolaet", &documents), ["c"]);
        assert_eq!(
            ids("chcolatte", &documents),
            ["c"],
            "two edits from nine letters"
        );
        assert!(
            ids("chcolaet", &documents).is_empty(),
            "one edit below nine letters"
        );
    }

    #[test]
    fn only_the_last_word_is_a_prefix_and_words_are_any_order() {
        let documents = [document("m", "Blue enamel mug", "")];
        assert_eq!(ids("mug bl", &documents), ["m"]);
        assert!(ids("bl mug", &documents).is_empty());
        assert_eq!(ids("MUG Blue", &documents), ["m"]);
        assert_eq!(ids("émail", &[document("e", "Email tin", "")]), ["e"]);
    }

    proptest! {
        /// The ranking is a total order that does not depend on the documents' order, and
        /// every hit matches every query word.
        #[test]
        fn ranking_is_total_and_independent_of_order(
            names in proptest::collection::vec("[a-e]{1,6}( [a-e]{1,6}){0,2}", 1..12),
            query in "[a-e]{1,6}( [a-e]{1,6})?",
            seed in any::<u64>(),
        ) {
            let documents: Vec<Document> = names
                .iter()
                .enumerate()
                .map(|(i, name)| document(&format!("p{i:02}"), name, ""))
                .collect();
            let mut shuffled = documents.clone();
            let len = shuffled.len();
            shuffled.rotate_left((seed as usize) % len);
            shuffled.reverse();
            let query = Query::new(&query);
            let hits = search(&query, &documents);
            let again = search(&query, &shuffled);
            prop_assert_eq!(&hits, &again);
            for pair in hits.windows(2) {
                prop_assert!(pair[0].rank() < pair[1].rank());
            }
            for hit in &hits {
                prop_assert_eq!(hit.matches.len(), query.words.len());
            }
        }
    }
}
