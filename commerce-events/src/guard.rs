//! Which addresses a webhook may be sent to.
//!
//! A webhook URL is the shop owner's input, but the request leaves from the shop's own
//! network: without a guard, an endpoint at `http://169.254.169.254/` or `http://10.0.0.5/`
//! would make the worker read the cloud's metadata service or an internal admin page. The
//! guard checks every address a host resolves to at connection time (so a name that resolves
//! to a private address after it was registered is refused as well), and IP-literal hosts
//! before the request.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use hyper_util::client::legacy::connect::dns::Name;
use tower_service::Service;

/// Which addresses webhooks may go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressPolicy {
    /// Public addresses only: loopback, private, link-local, unique-local, shared (CGNAT),
    /// unspecified, multicast and documentation addresses are refused.
    PublicOnly,
    /// Any address: for tests, and for shops whose receivers are on their own network.
    AnyAddress,
}

impl AddressPolicy {
    /// Whether a connection to `ip` is allowed.
    ///
    /// ```
    /// use commerce_events::AddressPolicy;
    ///
    /// let public = AddressPolicy::PublicOnly;
    /// assert!(public.allows("93.184.215.14".parse().unwrap()));
    /// assert!(!public.allows("127.0.0.1".parse().unwrap()));
    /// assert!(!public.allows("169.254.169.254".parse().unwrap()), "cloud metadata");
    /// assert!(!public.allows("10.1.2.3".parse().unwrap()));
    /// assert!(!public.allows("::ffff:192.168.0.1".parse().unwrap()), "mapped private");
    /// assert!(!public.allows("fd00::1".parse().unwrap()), "unique local");
    /// assert!(AddressPolicy::AnyAddress.allows("127.0.0.1".parse().unwrap()));
    /// ```
    pub fn allows(self, ip: IpAddr) -> bool {
        match self {
            AddressPolicy::AnyAddress => true,
            AddressPolicy::PublicOnly => is_public(ip),
        }
    }
}

fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, _, _] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        // 100.64.0.0/10, shared address space (carrier-grade NAT).
        || (a == 100 && (64..128).contains(&b))
        // 0.0.0.0/8 and 240.0.0.0/4, reserved.
        || a == 0
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        // fc00::/7, unique local.
        || (first & 0xfe00) == 0xfc00
        // fe80::/10, link local.
        || (first & 0xffc0) == 0xfe80
        // 2001:db8::/32, documentation.
        || (first == 0x2001 && ip.segments()[1] == 0x0db8))
}

/// Resolves names as the system does, keeping only the addresses the policy allows: the
/// resolver of the webhook client's connector.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GuardedResolver(pub(crate) AddressPolicy);

type Resolving =
    Pin<Box<dyn Future<Output = Result<std::vec::IntoIter<SocketAddr>, io::Error>> + Send>>;

impl Service<Name> for GuardedResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = io::Error;
    type Future = Resolving;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), io::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Resolving {
        let policy = self.0;
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|addr| policy.allows(addr.ip()))
                .collect();
            if allowed.is_empty() && !found.is_empty() {
                return Err(io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    format!(
                        "{host} resolves only to addresses webhooks may not go to (loopback, \
                         private or link-local)"
                    ),
                ));
            }
            Ok(allowed.into_iter())
        })
    }
}
