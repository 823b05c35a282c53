//! The shop's webhook endpoints: URLs that receive its events, signed in the
//! [Standard Webhooks](https://www.standardwebhooks.com/) format.
//!
//! An endpoint subscribes to event types (all, if none are named) and is one more
//! destination of [`crate::delivery`], named `webhook:<id>`: its deliveries are retried 8
//! times over about 3 h 43 min, then dead-lettered. An endpoint is disabled when it answers
//! `410 Gone`, or after [`DISABLE_AFTER_DEAD_LETTERS`] dead letters with no delivery between
//! them; an admin enables it again. A rotated secret keeps signing beside the new one for
//! [`SECRET_OVERLAP_MILLIS`], so receivers can switch without losing a delivery.
//!
//! Which addresses an endpoint may reach (not loopback, private or link-local ones) is decided
//! where the address is resolved, by the sender; [`host_of`] gives it the host to check.

use serde::{Deserialize, Serialize};

use crate::delivery::DeliveryStatus;
use crate::error::{Error, Result};
use crate::events::EventKind;
use crate::text;
use crate::time::Timestamp;

/// Dead letters in a row (no delivery between) after which an endpoint is disabled.
pub const DISABLE_AFTER_DEAD_LETTERS: u32 = 5;

/// How long a rotated secret keeps signing beside the new one: 24 hours.
pub const SECRET_OVERLAP_MILLIS: i64 = 24 * 60 * 60 * 1000;

/// The longest URL an endpoint may have.
pub const MAX_URL_CHARS: usize = 2048;

/// A URL the shop's events are sent to.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookEndpoint {
    /// The endpoint's id.
    pub id: String,
    /// Where events are posted: `https://…` (or `http://…`).
    pub url: String,
    /// The signing secret, `whsec_` and base64: shown when the endpoint is created or its
    /// secret rotated, never listed.
    pub secret: String,
    /// The secret before the last rotation, still signing until `previous_secret_until`.
    #[serde(default)]
    pub previous_secret: Option<String>,
    /// Until when the previous secret signs.
    #[serde(default)]
    pub previous_secret_until: Option<Timestamp>,
    /// The event types it receives; empty for all.
    #[serde(default)]
    pub event_types: Vec<EventKind>,
    /// What it is for.
    #[serde(default)]
    pub description: String,
    /// Whether events are sent to it.
    pub enabled: bool,
    /// Why it was disabled, if it was by the shop itself.
    #[serde(default)]
    pub disabled_reason: Option<String>,
    /// Dead letters since its last delivery.
    #[serde(default)]
    pub consecutive_dead: u32,
    /// Incremented by every change; stores compare-and-set on it.
    pub version: u64,
    /// When it was created.
    pub created_at: Timestamp,
}

impl WebhookEndpoint {
    /// A new, enabled endpoint.
    pub fn new(
        id: String,
        url: String,
        secret: String,
        event_types: Vec<EventKind>,
        now: Timestamp,
    ) -> WebhookEndpoint {
        WebhookEndpoint {
            id,
            url,
            secret,
            previous_secret: None,
            previous_secret_until: None,
            event_types,
            description: String::new(),
            enabled: true,
            disabled_reason: None,
            consecutive_dead: 0,
            version: 1,
            created_at: now,
        }
    }

    /// Checks the URL (an `http` or `https` URL with a host, no credentials in it, no spaces
    /// or control characters, at most 2048 characters), the description and the secret.
    ///
    /// # Errors
    ///
    /// `invalid_input` at the field.
    pub fn validate(&self) -> Result<()> {
        text::check_id(&self.id).map_err(|e| e.at("id"))?;
        host_of(&self.url).map_err(|e| e.at("url"))?;
        text::check_free_text(&self.description).map_err(|e| e.at("description"))?;
        if self.description.chars().count() > 500 {
            return Err(Error::invalid("at most 500 characters").at("description"));
        }
        if !self.secret.starts_with("whsec_") || self.secret.len() < 30 {
            return Err(
                Error::invalid("a secret is `whsec_` and at least 24 bytes of base64").at("secret"),
            );
        }
        Ok(())
    }

    /// The destination name of its deliveries: `webhook:<id>`.
    pub fn destination(&self) -> String {
        destination_of(&self.id)
    }

    /// Whether it receives events of `kind`.
    pub fn wants(&self, kind: EventKind) -> bool {
        self.event_types.is_empty() || self.event_types.contains(&kind)
    }

    /// The secrets a delivery at `now` is signed with: the current one, and the previous one
    /// while it overlaps.
    pub fn signing_secrets(&self, now: Timestamp) -> Vec<&str> {
        let mut secrets = vec![self.secret.as_str()];
        if let (Some(previous), Some(until)) = (&self.previous_secret, self.previous_secret_until)
            && now < until
        {
            secrets.push(previous);
        }
        secrets
    }

    /// Replaces the secret; the old one signs beside it for [`SECRET_OVERLAP_MILLIS`].
    pub fn rotate_secret(&mut self, secret: String, now: Timestamp) {
        self.previous_secret = Some(std::mem::replace(&mut self.secret, secret));
        self.previous_secret_until = Some(now.plus_millis(SECRET_OVERLAP_MILLIS));
    }

    /// Enables it again (an admin's decision), counting dead letters afresh.
    pub fn enable(&mut self) {
        self.enabled = true;
        self.disabled_reason = None;
        self.consecutive_dead = 0;
    }

    /// Counts a settled delivery: a delivery clears the count of dead letters; a dead letter
    /// adds one, and disables the endpoint at [`DISABLE_AFTER_DEAD_LETTERS`] or if the
    /// endpoint answered that it is gone. Returns whether this disabled it.
    pub fn count(&mut self, status: DeliveryStatus, gone: bool) -> bool {
        match status {
            DeliveryStatus::Delivered => {
                self.consecutive_dead = 0;
                false
            }
            DeliveryStatus::Pending => false,
            DeliveryStatus::Dead => {
                self.consecutive_dead = self.consecutive_dead.saturating_add(1);
                if !self.enabled {
                    return false;
                }
                let reason = if gone {
                    "the endpoint answered 410 Gone".to_string()
                } else if self.consecutive_dead >= DISABLE_AFTER_DEAD_LETTERS {
                    format!("{} deliveries in a row failed", self.consecutive_dead)
                } else {
                    return false;
                };
                self.enabled = false;
                self.disabled_reason = Some(reason);
                true
            }
        }
    }
}

/// A signing secret from 24 or more random bytes: `whsec_` and their standard base64, as the
/// Standard Webhooks libraries read it.
///
/// ```
/// assert_eq!(commerce_core::webhooks::secret_from_bytes(&[0xfb; 24]), "whsec_+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7");
/// ```
pub fn secret_from_bytes(bytes: &[u8]) -> String {
    format!("whsec_{}", base64(bytes))
}

/// A new signing secret of 24 bytes from the operating system's randomness.
///
/// # Errors
///
/// `backend_error` if the operating system has no randomness to give.
#[cfg(feature = "random-ids")]
pub fn new_secret() -> Result<String> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes)
        .map_err(|e| Error::storage(format!("no randomness for a secret: {e}")))?;
    Ok(secret_from_bytes(&bytes))
}

/// Standard base64 with padding (RFC 4648 §4).
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The HMAC key a secret stands for: the bytes its base64 (after `whsec_`) decodes to.
///
/// ```
/// let secret = commerce_core::webhooks::secret_from_bytes(b"twenty-four bytes of key");
/// assert_eq!(commerce_core::webhooks::signing_key(&secret).unwrap(), b"twenty-four bytes of key");
/// ```
pub fn signing_key(secret: &str) -> Option<Vec<u8>> {
    base64_decode(secret.strip_prefix("whsec_").unwrap_or(secret))
}

/// Decodes standard base64 (padding optional); `None` for anything else.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let bytes = text.trim_end_matches('=').as_bytes();
    if bytes.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= value(*c)? << (18 - 6 * i);
        }
        out.push((n >> 16) as u8);
        if chunk.len() > 2 {
            out.push((n >> 8) as u8);
        }
        if chunk.len() > 3 {
            out.push(n as u8);
        }
    }
    Some(out)
}

/// The destination name of an endpoint's deliveries: `webhook:<id>`.
pub fn destination_of(endpoint_id: &str) -> String {
    format!("webhook:{endpoint_id}")
}

/// The endpoint a destination name belongs to, if it names one.
pub fn endpoint_of(destination: &str) -> Option<&str> {
    destination.strip_prefix("webhook:")
}

/// The host (a name, or an IP address without brackets) and port of an `http` or `https`
/// URL, the port defaulting by scheme.
///
/// ```
/// use commerce_core::webhooks::host_of;
///
/// assert_eq!(host_of("https://hooks.example.com/in").unwrap(), ("hooks.example.com".into(), 443));
/// assert_eq!(host_of("http://[::1]:8080/x").unwrap(), ("::1".into(), 8080));
/// assert!(host_of("https://user:pw@example.com/").is_err(), "no credentials in a URL");
/// assert!(host_of("ftp://example.com/").is_err());
/// ```
///
/// # Errors
///
/// `invalid_input` saying what is wrong.
pub fn host_of(url: &str) -> Result<(String, u16)> {
    if url.chars().count() > MAX_URL_CHARS {
        return Err(Error::invalid(format!(
            "at most {MAX_URL_CHARS} characters"
        )));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::invalid("a URL has no spaces or control characters"));
    }
    let (rest, default_port) = if let Some(rest) = url.strip_prefix("https://") {
        (rest, 443)
    } else if let Some(rest) = url.strip_prefix("http://") {
        (rest, 80)
    } else {
        return Err(Error::invalid("an endpoint is an http:// or https:// URL"));
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(Error::invalid("a URL carries no credentials"));
    }
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (host, after) = bracketed
            .split_once(']')
            .ok_or_else(|| Error::invalid("an unclosed `[` in the host"))?;
        (host, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(Error::invalid("a URL needs a host"));
    }
    let port = match port {
        None => default_port,
        Some(port) => port
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| Error::invalid("the port is a number from 1 to 65535"))?,
    };
    Ok((host.to_ascii_lowercase(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint() -> WebhookEndpoint {
        WebhookEndpoint::new(
            "wh_1".into(),
            "https://example.com/hook".into(),
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into(),
            vec![EventKind::OrderPlaced],
            Timestamp::EPOCH,
        )
    }

    #[test]
    fn disabled_after_five_dead_letters_in_a_row_or_when_gone() {
        let mut e = endpoint();
        for _ in 0..4 {
            assert!(!e.count(DeliveryStatus::Dead, false));
        }
        assert!(
            !e.count(DeliveryStatus::Delivered, false),
            "a delivery clears the count"
        );
        for _ in 0..4 {
            assert!(!e.count(DeliveryStatus::Dead, false));
        }
        assert!(e.count(DeliveryStatus::Dead, false));
        assert!(!e.enabled);
        e.enable();
        assert!(e.enabled && e.consecutive_dead == 0);
        assert!(e.count(DeliveryStatus::Dead, true), "gone disables at once");
    }

    #[test]
    fn a_rotated_secret_signs_beside_the_new_one_for_a_day() {
        let mut e = endpoint();
        let old = e.secret.clone();
        e.rotate_secret(
            "whsec_NewNewNewNewNewNewNewNewNewNew".into(),
            Timestamp::EPOCH,
        );
        assert_eq!(
            e.signing_secrets(Timestamp::EPOCH.plus_millis(1)),
            vec!["whsec_NewNewNewNewNewNewNewNewNewNew", old.as_str()]
        );
        assert_eq!(
            e.signing_secrets(Timestamp::EPOCH.plus_millis(SECRET_OVERLAP_MILLIS)),
            vec!["whsec_NewNewNewNewNewNewNewNewNewNew"]
        );
    }

    #[test]
    fn base64_is_rfc_4648() {
        for (bytes, text) in [
            (&b""[..], ""),
            (b"f", "Zg=="),
            (b"fo", "Zm8="),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg=="),
            (b"fooba", "Zm9vYmE="),
            (b"foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(bytes), text);
            assert_eq!(base64_decode(text).as_deref(), Some(bytes));
        }
        assert_eq!(base64_decode("Zm9v!"), None);
    }

    #[test]
    fn urls_are_checked() {
        let mut e = endpoint();
        assert!(e.validate().is_ok());
        for bad in [
            "",
            "example.com",
            "https://",
            "https://a b",
            "https://h:0/",
            "https://h:99999/",
        ] {
            e.url = bad.into();
            assert_eq!(e.validate().unwrap_err().field(), Some("url"), "{bad}");
        }
        assert!(e.wants(EventKind::OrderPlaced) && !e.wants(EventKind::StockLow));
    }
}
