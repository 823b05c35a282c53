//! Largest-remainder allocation of whole minor units.

use std::cmp::Ordering;

use rust_decimal::Decimal;

use crate::error::{Error, ErrorKind, Result};

fn invalid(reason: &str) -> Error {
    Error::new(ErrorKind::InvalidAllocation {
        reason: reason.to_string(),
    })
}

/// Turns decimal weights into integers with the same ratios (all scaled to the largest scale).
pub(crate) fn integer_weights(weights: &[Decimal]) -> Result<Vec<i128>> {
    if weights.is_empty() {
        return Err(invalid("there are no weights"));
    }
    if weights.iter().any(|w| w.is_sign_negative() && !w.is_zero()) {
        return Err(invalid("weights must not be negative"));
    }
    let scale = weights.iter().map(|w| w.scale()).max().unwrap_or(0);
    weights
        .iter()
        .map(|w| {
            10i128
                .checked_pow(scale - w.scale())
                .and_then(|factor| w.mantissa().checked_mul(factor))
                .ok_or_else(|| Error::overflow("an allocation weight"))
        })
        .collect()
}

/// Splits `total` minor units in proportion to `weights` by largest remainder.
///
/// Every part starts as its exact share `total × weight / Σweights` rounded toward zero; the
/// units left over (fewer than the number of parts) go one each to the parts with the largest
/// dropped remainders. Equal remainders are ordered by `tie` (`Less` means the first index wins).
/// The parts sum to `total` exactly and each is within one unit of its exact share. A negative
/// total is split as its absolute value and negated.
pub(crate) fn allocate(
    total: i128,
    weights: &[i128],
    tie: impl Fn(usize, usize) -> Ordering,
) -> Result<Vec<i128>> {
    if weights.is_empty() {
        return Err(invalid("there are no weights"));
    }
    if weights.iter().any(|&w| w < 0) {
        return Err(invalid("weights must not be negative"));
    }
    let sum = weights
        .iter()
        .try_fold(0i128, |acc, &w| acc.checked_add(w))
        .ok_or_else(|| Error::overflow("the sum of allocation weights"))?;
    if sum == 0 {
        return Err(invalid("the weights sum to zero"));
    }
    let magnitude = total
        .checked_abs()
        .ok_or_else(|| Error::overflow("the amount"))?;
    let mut parts = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    let mut assigned = 0i128;
    for &weight in weights {
        let product = magnitude
            .checked_mul(weight)
            .ok_or_else(|| Error::overflow("an allocation share"))?;
        let part = product / sum;
        parts.push(part);
        remainders.push(product % sum);
        assigned += part;
    }
    // Each part dropped less than one unit, so fewer units are left over than there are parts.
    debug_assert!(magnitude - assigned < weights.len() as i128);
    let leftover = (magnitude - assigned) as usize;
    if leftover > 0 {
        let mut order: Vec<usize> = (0..weights.len()).collect();
        let by_priority =
            |&a: &usize, &b: &usize| remainders[b].cmp(&remainders[a]).then_with(|| tie(a, b));
        if leftover < order.len() {
            order.select_nth_unstable_by(leftover - 1, by_priority);
        }
        for &index in &order[..leftover] {
            parts[index] += 1;
        }
    }
    if total < 0 {
        for part in &mut parts {
            *part = -*part;
        }
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by_index(a: usize, b: usize) -> Ordering {
        a.cmp(&b)
    }

    #[test]
    fn thirds_give_the_extra_unit_to_the_first_part() {
        assert_eq!(
            allocate(1000, &[1, 1, 1], by_index).unwrap(),
            [334, 333, 333]
        );
        assert_eq!(
            allocate(-1000, &[1, 1, 1], by_index).unwrap(),
            [-334, -333, -333]
        );
        assert_eq!(allocate(2, &[1, 1, 1], by_index).unwrap(), [1, 1, 0]);
    }

    #[test]
    fn largest_remainder_wins_before_position() {
        // Exact shares 1.5, 3.5, 5: the remainders tie, so the leftover unit goes to the first.
        assert_eq!(allocate(10, &[3, 7, 10], by_index).unwrap(), [2, 3, 5]);
        // Exact shares 0.3, 0.7: the second has the larger remainder.
        assert_eq!(allocate(1, &[3, 7], by_index).unwrap(), [0, 1]);
    }

    #[test]
    fn zero_weights_receive_nothing() {
        assert_eq!(allocate(5, &[0, 1, 0], by_index).unwrap(), [0, 5, 0]);
    }

    #[test]
    fn invalid_weights_are_errors() {
        assert!(allocate(5, &[], by_index).is_err());
        assert!(allocate(5, &[0, 0], by_index).is_err());
        assert!(allocate(5, &[1, -1], by_index).is_err());
    }
}
