//! Text analysis: what a product's text and a shopper's query become before they are
//! compared. The same steps on both sides, in pure Rust, so every store and every runtime
//! finds the same products in the same order.
//!
//! 1. **Normalisation**: Unicode NFKD, then combining marks (U+0300–U+036F, U+1AB0–U+1AFF,
//!    U+1DC0–U+1DFF, U+20D0–U+20FF, U+FE20–U+FE2F) are dropped, so `é` is `e` and `ﬁ` is
//!    `fi`; `ß` is `ss`, `æ` `ae`, `œ` `oe`, `ø` `o`, `ł` `l`, `đ` `d`, `þ` `th`.
//! 2. **Case folding**: lower case (Unicode's full lowercase mapping).
//! 3. **Words**: maximal runs of letters and digits; everything else separates words
//!    (`"mug-blue"` is `mug`, `blue`). At most [`MAX_QUERY_WORDS`] words of a query count.
//! 4. **Stemming** (English plurals, [`stem`]): `mugs` → `mug`, `boxes` → `box`, `berries` →
//!    `berry`; words of three letters or fewer are left alone.

use unicode_normalization::UnicodeNormalization;

/// The most words of a query that are matched; the rest are ignored.
pub const MAX_QUERY_WORDS: usize = 10;
/// The longest query, in characters.
pub const MAX_QUERY_CHARS: usize = 200;

/// Checks a query as typed: one line of at most [`MAX_QUERY_CHARS`] characters, without
/// control characters. The error names no field: the caller names its own (`query`, `q`).
///
/// # Errors
///
/// `invalid_input`.
pub fn check_query(text: &str) -> crate::Result<()> {
    crate::text::check_line(text)?;
    if text.chars().count() > MAX_QUERY_CHARS {
        return Err(crate::Error::invalid(format!(
            "at most {MAX_QUERY_CHARS} characters"
        )));
    }
    Ok(())
}

fn combining(c: char) -> bool {
    matches!(
        c as u32,
        0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F
    )
}

/// Normalises and folds `text` (steps 1 and 2).
///
/// ```
/// use commerce_core::search::analysis::fold;
///
/// assert_eq!(fold("Émaillé CAFÉ"), "emaille cafe");
/// assert_eq!(fold("Straße"), "strasse");
/// ```
pub fn fold(text: &str) -> String {
    // Lower-casing can bring a mark back (`İ` is `i` and a dot above), and compatibility
    // decomposition an upper-case letter (`ℌ` is `H`): decompose, fold, decompose again.
    let lowered: String = text
        .nfkd()
        .filter(|c| !combining(*c))
        .flat_map(char::to_lowercase)
        .collect();
    let mut out = String::with_capacity(lowered.len());
    for c in lowered.nfkd().filter(|c| !combining(*c)) {
        match c {
            'ß' => out.push_str("ss"),
            'æ' => out.push_str("ae"),
            'œ' => out.push_str("oe"),
            'ø' => out.push('o'),
            'ł' => out.push('l'),
            'đ' => out.push('d'),
            'þ' => out.push_str("th"),
            c => out.push(c),
        }
    }
    out
}

/// The words of `text`, normalised and folded (steps 1 to 3).
///
/// ```
/// use commerce_core::search::analysis::words;
///
/// assert_eq!(words("Enamel mug, BLUE (350 ml)"), ["enamel", "mug", "blue", "350", "ml"]);
/// ```
pub fn words(text: &str) -> Vec<String> {
    fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The stem of a folded word: English plurals made singular, by the first rule that applies:
///
/// | ending | becomes | example |
/// | --- | --- | --- |
/// | `ies` (word of 5 letters or more) | `y` | `berries` → `berry` |
/// | `sses`, `shes`, `ches`, `xes`, `zes` | drop `es` | `boxes` → `box` |
/// | `ss`, `us`, `is` | unchanged | `glass`, `cactus`, `tennis` |
/// | `s` | drop it | `mugs` → `mug` |
///
/// Words of three letters or fewer, and words with a digit, are their own stems.
///
/// ```
/// use commerce_core::search::analysis::stem;
///
/// assert_eq!(stem("mugs"), "mug");
/// assert_eq!(stem("glasses"), "glass");
/// assert_eq!(stem("glass"), "glass");
/// assert_eq!(stem("berries"), "berry");
/// assert_eq!(stem("gas"), "gas");
/// ```
pub fn stem(word: &str) -> String {
    let letters = word.chars().count();
    if letters <= 3 || word.chars().any(|c| c.is_ascii_digit()) {
        return word.to_owned();
    }
    if letters >= 5
        && let Some(base) = word.strip_suffix("ies")
    {
        return format!("{base}y");
    }
    for ending in ["sses", "shes", "ches", "xes", "zes"] {
        if word.ends_with(ending) {
            return word[..word.len() - 2].to_owned();
        }
    }
    if word.ends_with("ss") || word.ends_with("us") || word.ends_with("is") {
        return word.to_owned();
    }
    match word.strip_suffix('s') {
        Some(base) => base.to_owned(),
        None => word.to_owned(),
    }
}

/// How many edits a query word of `letters` letters may be from a word of the document:
/// none below 5 letters, one from 5, two from 9.
pub fn typos_allowed(letters: usize) -> usize {
    match letters {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    }
}

/// The optimal-string-alignment distance between `a` and `b` (insertions, deletions,
/// substitutions and swaps of two neighbouring letters, each counting one), or `None` when it
/// is above `limit`. Compared by characters.
pub fn distance_within(a: &str, b: &str, limit: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > limit {
        return None;
    }
    let width = b.len() + 1;
    let mut rows = vec![0usize; (a.len() + 1) * width];
    for (j, cell) in rows.iter_mut().take(width).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        rows[i * width] = i;
        let mut best = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[(i - 1) * width + j] + 1)
                .min(rows[i * width + j - 1] + 1)
                .min(rows[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[(i - 2) * width + j - 2] + 1);
            }
            rows[i * width + j] = d;
            best = best.min(d);
        }
        if best > limit {
            return None;
        }
    }
    let d = rows[a.len() * width + b.len()];
    (d <= limit).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn distances() {
        assert_eq!(
            distance_within("enamel", "enamle", 1),
            Some(1),
            "a swap is one"
        );
        assert_eq!(distance_within("enamel", "enamol", 1), Some(1));
        assert_eq!(distance_within("enamel", "enaml", 1), Some(1));
        assert_eq!(distance_within("enamel", "xnamxl", 1), None);
        assert_eq!(distance_within("", "ab", 2), Some(2));
    }

    #[test]
    fn stems_of_plurals() {
        for (word, stemmed) in [
            ("mugs", "mug"),
            ("tees", "tee"),
            ("boxes", "box"),
            ("dishes", "dish"),
            ("watches", "watch"),
            ("berries", "berry"),
            ("ties", "tie"),
            ("cups", "cup"),
            ("bus", "bus"),
            ("cactus", "cactus"),
            ("350s", "350s"),
        ] {
            assert_eq!(stem(word), stemmed, "{word}");
        }
    }

    proptest! {
        #[test]
        fn distance_is_symmetric_and_bounded(a in "[a-d]{0,7}", b in "[a-d]{0,7}") {
            let ab = distance_within(&a, &b, 10);
            prop_assert_eq!(ab, distance_within(&b, &a, 10));
            prop_assert_eq!(ab == Some(0), a == b);
            if let Some(d) = ab {
                prop_assert!(d <= a.chars().count().max(b.chars().count()));
                // Within a smaller limit exactly when the distance is.
                prop_assert_eq!(distance_within(&a, &b, d), Some(d));
                if d > 0 {
                    prop_assert_eq!(distance_within(&a, &b, d - 1), None);
                }
            }
        }

        #[test]
        fn folding_is_idempotent(text in "\\PC{0,20}") {
            let once = fold(&text);
            prop_assert_eq!(fold(&once), once.clone());
        }
    }
}
