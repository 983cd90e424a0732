//! The outbound-connection policy: every connection the server opens to a host that a user or an
//! operator named (IMAP servers, JWKS endpoints, later webhooks) goes through here. A host is
//! resolved once, **every** resolved address is checked against the allowed ranges, and the
//! connection goes to a checked address (never a second resolution, so DNS rebinding cannot swap
//! in another address between the check and the connect), with timeouts.
//!
//! [`NetworkPolicy::Production`] (the default, `sequencer serve`) allows only public unicast
//! addresses. [`NetworkPolicy::Development`] (`--dev`, `SEQUENCER_DEV`, or
//! `SEQUENCER_ALLOW_PRIVATE_NETWORKS`; `cargo xtask run` and the test harness) also allows
//! loopback and private ranges, for a Dovecot or an identity provider on the developer's machine.
//! Link-local (including cloud metadata at 169.254.169.254), unspecified, multicast, broadcast,
//! documentation and reserved ranges are refused in both. IPv4-mapped, IPv4-compatible, NAT64 and
//! 6to4 IPv6 forms are judged by the IPv4 address they carry. Legacy numeric IPv4 spellings
//! (`127.1`, `2130706433`, `0x7f000001`, `0177.0.0.1`) are refused outright: resolvers disagree on
//! them, so a check and a connect could see different addresses.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use tokio::net::TcpStream;

/// How long resolving a host may take.
pub const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one TCP connect may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Which destinations outbound connections may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NetworkPolicy {
    /// Public unicast addresses only.
    #[default]
    Production,
    /// Also loopback and private ranges (a developer's or the test suite's local servers).
    Development,
}

impl NetworkPolicy {
    /// Development when the environment asks for it (`SEQUENCER_DEV` or
    /// `SEQUENCER_ALLOW_PRIVATE_NETWORKS` set to anything but `0`/`false`/empty), else production.
    pub fn from_env() -> NetworkPolicy {
        let on = |name: &str| {
            std::env::var(name).is_ok_and(|v| {
                let v = v.trim().to_ascii_lowercase();
                !(v.is_empty() || v == "0" || v == "false" || v == "no")
            })
        };
        if on("SEQUENCER_DEV") || on("SEQUENCER_ALLOW_PRIVATE_NETWORKS") {
            NetworkPolicy::Development
        } else {
            NetworkPolicy::Production
        }
    }

    /// Whether an address of this range may be reached.
    pub fn allows(self, range: Range) -> bool {
        match range {
            Range::Public => true,
            Range::Loopback | Range::Private => self == NetworkPolicy::Development,
            _ => false,
        }
    }
}

/// What kind of address an IP is, for the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    Public,
    Loopback,
    /// RFC 1918, CGNAT 100.64/10, IPv6 unique-local fc00::/7 and site-local fec0::/10.
    Private,
    /// 169.254/16 (cloud metadata), fe80::/10.
    LinkLocal,
    Unspecified,
    Multicast,
    Broadcast,
    Documentation,
    /// Benchmarking, IETF protocol assignments, 240/4 and other never-routed blocks.
    Reserved,
}

impl Range {
    pub fn as_str(self) -> &'static str {
        match self {
            Range::Public => "public",
            Range::Loopback => "loopback",
            Range::Private => "private",
            Range::LinkLocal => "link-local",
            Range::Unspecified => "unspecified",
            Range::Multicast => "multicast",
            Range::Broadcast => "broadcast",
            Range::Documentation => "documentation",
            Range::Reserved => "reserved",
        }
    }
}

/// The range an address belongs to.
pub fn range_of(ip: IpAddr) -> Range {
    match ip {
        IpAddr::V4(v4) => range_v4(v4),
        IpAddr::V6(v6) => range_v6(v6),
    }
}

fn range_v4(ip: Ipv4Addr) -> Range {
    let [a, b, c, _] = ip.octets();
    match (a, b, c) {
        _ if ip.is_broadcast() => Range::Broadcast,
        (0, _, _) => Range::Unspecified,
        (127, _, _) => Range::Loopback,
        (10, _, _) | (192, 168, _) => Range::Private,
        (172, b, _) if (16..32).contains(&b) => Range::Private,
        (100, b, _) if (64..128).contains(&b) => Range::Private,
        (169, 254, _) => Range::LinkLocal,
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => Range::Documentation,
        (192, 0, 0) | (192, 88, 99) => Range::Reserved,
        (198, b, _) if b == 18 || b == 19 => Range::Reserved,
        (a, _, _) if (224..240).contains(&a) => Range::Multicast,
        (a, _, _) if a >= 240 => Range::Reserved,
        _ => Range::Public,
    }
}

fn range_v6(ip: Ipv6Addr) -> Range {
    let s = ip.segments();
    if ip.is_unspecified() {
        return Range::Unspecified;
    }
    if ip.is_loopback() {
        return Range::Loopback;
    }
    // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible) carry an IPv4 address.
    if let Some(v4) = ip.to_ipv4() {
        return range_v4(v4);
    }
    // NAT64 64:ff9b::/96 and 6to4 2002::/16 reach the IPv4 address they embed.
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return range_v4(Ipv4Addr::new(
            (s[6] >> 8) as u8,
            s[6] as u8,
            (s[7] >> 8) as u8,
            s[7] as u8,
        ));
    }
    if s[0] == 0x2002 {
        return match range_v4(Ipv4Addr::new(
            (s[1] >> 8) as u8,
            s[1] as u8,
            (s[2] >> 8) as u8,
            s[2] as u8,
        )) {
            Range::Public => Range::Public,
            _ => Range::Reserved,
        };
    }
    match s[0] {
        x if x & 0xffc0 == 0xfe80 => Range::LinkLocal,
        x if x & 0xffc0 == 0xfec0 => Range::Private,
        x if x & 0xfe00 == 0xfc00 => Range::Private,
        x if x & 0xff00 == 0xff00 => Range::Multicast,
        0x2001 if s[1] == 0x0db8 => Range::Documentation,
        // 2001::/23: IETF protocol assignments (Teredo, benchmarking, ORCHID...).
        0x2001 if s[1] < 0x0200 => Range::Reserved,
        0x0100 if s[1..4] == [0, 0, 0] => Range::Reserved,
        // Global unicast is 2000::/3; everything else is unassigned.
        x if x & 0xe000 == 0x2000 => Range::Public,
        _ => Range::Reserved,
    }
}

/// Why an outbound connection was not made.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// The policy refuses the target; nothing was sent to it.
    #[error("{host} is not an allowed destination: {reason}")]
    Forbidden { host: String, reason: String },
    #[error("cannot resolve {host}: {error}")]
    Resolve { host: String, error: String },
    #[error("could not connect to {host}: {error}")]
    Connect { host: String, error: String },
}

impl NetError {
    fn forbidden(host: &str, reason: impl Into<String>) -> NetError {
        NetError::Forbidden {
            host: host.to_string(),
            reason: reason.into(),
        }
    }
}

/// A host as written: an IP literal, or a name to resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Host {
    Ip(IpAddr),
    Name(String),
}

/// Parses a host (bracketed IPv6 allowed), refusing legacy numeric IPv4 forms and names that are
/// not DNS names. `localhost` and `*.localhost` (RFC 6761) are loopback without asking DNS.
fn parse_host(raw: &str) -> Result<Host, NetError> {
    let host = raw.trim();
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(Host::Ip(ip));
    }
    let name = bare.trim_end_matches('.').to_ascii_lowercase();
    if name.is_empty() || name.len() > 253 {
        return Err(NetError::forbidden(raw, "not a host name"));
    }
    let labels: Vec<&str> = name.split('.').collect();
    let numeric = |l: &str| {
        !l.is_empty()
            && (l.bytes().all(|b| b.is_ascii_digit())
                || l.strip_prefix("0x")
                    .is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit())))
    };
    if labels.iter().all(|l| numeric(l)) {
        return Err(NetError::forbidden(
            raw,
            "a numeric address must be written as a.b.c.d (or an IPv6 address)",
        ));
    }
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if !labels.iter().all(label_ok) {
        return Err(NetError::forbidden(raw, "not a host name"));
    }
    if name == "localhost" || name.ends_with(".localhost") {
        return Ok(Host::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    }
    Ok(Host::Name(name))
}

/// Resolves `host` and checks every address against `policy`; the answer holds only checked
/// addresses (all of them: one refused address refuses the host, so a name cannot mix a public
/// and a private answer). Nothing is sent to the host.
pub async fn resolve(
    policy: NetworkPolicy,
    host: &str,
    port: u16,
) -> Result<Vec<SocketAddr>, NetError> {
    let addrs: Vec<SocketAddr> = match parse_host(host)? {
        Host::Ip(ip) => vec![SocketAddr::new(ip, port)],
        Host::Name(name) => {
            let lookup = tokio::net::lookup_host((name.as_str(), port));
            match tokio::time::timeout(RESOLVE_TIMEOUT, lookup).await {
                Err(_) => {
                    return Err(NetError::Resolve {
                        host: host.to_string(),
                        error: format!("timed out after {} s", RESOLVE_TIMEOUT.as_secs()),
                    })
                }
                Ok(Err(e)) => {
                    return Err(NetError::Resolve {
                        host: host.to_string(),
                        error: e.to_string(),
                    })
                }
                Ok(Ok(a)) => a.collect(),
            }
        }
    };
    if addrs.is_empty() {
        return Err(NetError::Resolve {
            host: host.to_string(),
            error: "no address".into(),
        });
    }
    for a in &addrs {
        let range = range_of(a.ip());
        if !policy.allows(range) {
            return Err(NetError::forbidden(
                host,
                format!("{} is a {} address", a.ip(), range.as_str()),
            ));
        }
    }
    Ok(addrs)
}

/// Whether every address is loopback (plain-text protocols are allowed only there, in development).
pub fn all_loopback(addrs: &[SocketAddr]) -> bool {
    addrs.iter().all(|a| range_of(a.ip()) == Range::Loopback)
}

/// Connects to the first reachable of `addrs` (already checked by [`resolve`]), each try bounded
/// by [`CONNECT_TIMEOUT`].
pub async fn connect_checked(host: &str, addrs: &[SocketAddr]) -> Result<TcpStream, NetError> {
    let mut last = String::from("no address");
    for a in addrs {
        match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(a)).await {
            Ok(Ok(s)) => return Ok(s),
            Ok(Err(e)) => last = format!("{a}: {e}"),
            Err(_) => last = format!("{a}: timed out after {} s", CONNECT_TIMEOUT.as_secs()),
        }
    }
    Err(NetError::Connect {
        host: host.to_string(),
        error: last,
    })
}

/// IMAP ports allowed in production: implicit TLS (993) and the IMAP port (143).
pub const IMAP_PORTS: [u16; 2] = [993, 143];

/// The IMAP rules on top of the address policy: production allows only [`IMAP_PORTS`]; plain
/// text (`tls: false`) only to loopback in development. Returns the checked addresses.
pub async fn check_imap(
    policy: NetworkPolicy,
    host: &str,
    port: u16,
    tls: bool,
) -> Result<Vec<SocketAddr>, NetError> {
    if policy == NetworkPolicy::Production && !IMAP_PORTS.contains(&port) {
        return Err(NetError::forbidden(
            host,
            format!("IMAP port {port} is not allowed (993 or 143)"),
        ));
    }
    let addrs = resolve(policy, host, port).await?;
    let plain_ok = policy == NetworkPolicy::Development && all_loopback(&addrs);
    if !(tls || plain_ok) {
        return Err(NetError::forbidden(
            host,
            "IMAP without TLS would send the password in clear; turn TLS on",
        ));
    }
    Ok(addrs)
}

/// Checks an HTTP(S) URL the server will fetch (JWKS): production needs `https`; the host goes
/// through [`resolve`]. Returns the checked addresses.
pub async fn check_url(policy: NetworkPolicy, url: &str) -> Result<Vec<SocketAddr>, NetError> {
    let parsed = reqwest::Url::parse(url).map_err(|e| NetError::forbidden(url, e.to_string()))?;
    match (parsed.scheme(), policy) {
        ("https", _) | ("http", NetworkPolicy::Development) => {}
        (s, _) => return Err(NetError::forbidden(url, format!("scheme {s} (use https)"))),
    }
    let host = parsed
        .host_str()
        .ok_or_else(|| NetError::forbidden(url, "no host"))?;
    let port = parsed
        .port_or_known_default()
        .ok_or_else(|| NetError::forbidden(url, "no port"))?;
    resolve(policy, host, port).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(policy: NetworkPolicy, host: &str) -> String {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        match rt.block_on(resolve(policy, host, 993)) {
            Ok(_) => "allowed".into(),
            Err(NetError::Forbidden { .. }) => "forbidden".into(),
            Err(e) => format!("error: {e}"),
        }
    }

    #[test]
    fn every_non_public_range_is_refused_in_production_and_only_loopback_and_private_pass_in_development(
    ) {
        use NetworkPolicy::*;
        let table = [
            // (host, production, development)
            ("127.0.0.1", "forbidden", "allowed"),
            ("127.1", "forbidden", "forbidden"),
            ("2130706433", "forbidden", "forbidden"),
            ("0x7f000001", "forbidden", "forbidden"),
            ("0177.0.0.1", "forbidden", "forbidden"),
            ("localhost", "forbidden", "allowed"),
            ("localhost.", "forbidden", "allowed"),
            ("imap.localhost", "forbidden", "allowed"),
            ("[::1]", "forbidden", "allowed"),
            ("::1", "forbidden", "allowed"),
            ("0.0.0.0", "forbidden", "forbidden"),
            ("[::]", "forbidden", "forbidden"),
            ("169.254.169.254", "forbidden", "forbidden"),
            ("[fe80::1]", "forbidden", "forbidden"),
            ("10.0.0.1", "forbidden", "allowed"),
            ("172.16.0.1", "forbidden", "allowed"),
            ("172.31.255.254", "forbidden", "allowed"),
            ("192.168.1.1", "forbidden", "allowed"),
            ("100.64.0.1", "forbidden", "allowed"),
            ("[fc00::1]", "forbidden", "allowed"),
            ("[::ffff:127.0.0.1]", "forbidden", "allowed"),
            ("[::ffff:169.254.169.254]", "forbidden", "forbidden"),
            ("[::ffff:10.0.0.1]", "forbidden", "allowed"),
            ("[64:ff9b::a9fe:a9fe]", "forbidden", "forbidden"),
            ("[2002:7f00:1::]", "forbidden", "forbidden"),
            ("224.0.0.1", "forbidden", "forbidden"),
            ("[ff02::1]", "forbidden", "forbidden"),
            ("255.255.255.255", "forbidden", "forbidden"),
            ("192.0.2.1", "forbidden", "forbidden"),
            ("[2001:db8::1]", "forbidden", "forbidden"),
            ("240.0.0.1", "forbidden", "forbidden"),
            ("8.8.8.8", "allowed", "allowed"),
            ("[2606:4700:4700::1111]", "allowed", "allowed"),
            ("bad host", "forbidden", "forbidden"),
            ("host%25eth0", "forbidden", "forbidden"),
        ];
        let mut wrong = Vec::new();
        for (host, prod, dev) in table {
            let (p, d) = (check(Production, host), check(Development, host));
            if p != prod || d != dev {
                wrong.push(format!(
                    "{host}: production {p} (want {prod}), development {d} (want {dev})"
                ));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn production_is_the_default_policy_of_settings_and_identity() {
        assert_eq!(NetworkPolicy::default(), NetworkPolicy::Production);
        let s = crate::service::Settings::new("https://x.example", vec![7; 32]);
        assert_eq!(s.network, NetworkPolicy::Production);
        assert_eq!(s.identity.config.network, NetworkPolicy::Production);
    }

    #[test]
    fn plain_imap_is_allowed_only_to_loopback_in_development_and_production_limits_ports() {
        use NetworkPolicy::*;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let ok = |p, h: &str, port, tls| rt.block_on(check_imap(p, h, port, tls)).is_ok();
        assert!(ok(Development, "127.0.0.1", 1143, false));
        assert!(!ok(Development, "10.0.0.1", 143, false));
        assert!(ok(Development, "10.0.0.1", 993, true));
        assert!(!ok(Production, "8.8.8.8", 143, false));
        assert!(ok(Production, "8.8.8.8", 993, true));
        assert!(!ok(Production, "8.8.8.8", 22, true));
    }
}
