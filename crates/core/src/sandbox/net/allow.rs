//! The allow list: which `host:port` destinations a lane's proxy lets through.

use std::fmt;

/// Why a rule of the allow list could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AllowError {
    /// The rule is not `host:port`, `[v6-address]:port` or `*.domain:port`.
    #[error("bad network rule `{rule}`: {why}")]
    Rule { rule: String, why: &'static str },
}

/// One destination: an exact host, or every subdomain of a domain (`*.example.com`), on
/// one port. Hosts are kept lowercase and without a trailing dot, so matching ignores case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    host: HostPattern,
    port: u16,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum HostPattern {
    Exact(String),
    /// The domain the subdomains end in, without the `*.`: `*.example.com` holds
    /// `example.com` and matches `api.example.com` and `a.b.example.com`, not
    /// `example.com` itself (write that as its own rule).
    SubdomainsOf(String),
}

impl Rule {
    /// Reads `host:port`, `[::1]:port` or `*.domain:port`. The port is required: a rule
    /// that let every port of a host through would let an agent reach anything it serves.
    pub fn parse(rule: &str) -> Result<Rule, AllowError> {
        let bad = |why| AllowError::Rule {
            rule: rule.to_owned(),
            why,
        };
        let (host, port) = split_host_port(rule).ok_or_else(|| bad("expected host:port"))?;
        let port = port
            .parse::<u16>()
            .map_err(|_| bad("the port is not a number from 1 to 65535"))?;
        if port == 0 {
            return Err(bad("the port is not a number from 1 to 65535"));
        }
        let host = normalize(host);
        let pattern = match host.strip_prefix("*.") {
            Some(domain) if domain.is_empty() || domain.contains('*') => {
                return Err(bad("a wildcard needs a domain after `*.`"))
            }
            Some(domain) => HostPattern::SubdomainsOf(domain.to_owned()),
            None if host.is_empty() => return Err(bad("the host is empty")),
            None if host.contains('*') => {
                return Err(bad("a wildcard may only open the rule, as `*.domain`"))
            }
            None => HostPattern::Exact(host),
        };
        Ok(Rule { host: pattern, port })
    }

    /// Whether this rule lets `host:port` through.
    pub fn matches(&self, host: &str, port: u16) -> bool {
        if port != self.port {
            return false;
        }
        let host = normalize(host);
        match &self.host {
            HostPattern::Exact(exact) => host == *exact,
            HostPattern::SubdomainsOf(domain) => host
                .strip_suffix(domain.as_str())
                .and_then(|label| label.strip_suffix('.'))
                .is_some_and(|label| !label.is_empty()),
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = match &self.host {
            HostPattern::Exact(host) if host.contains(':') => format!("[{host}]"),
            HostPattern::Exact(host) => host.clone(),
            HostPattern::SubdomainsOf(domain) => format!("*.{domain}"),
        };
        write!(f, "{host}:{}", self.port)
    }
}

/// The destinations a lane may reach. Empty allows nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Allow {
    rules: Vec<Rule>,
}

impl Allow {
    /// An allow list of these rules.
    pub fn new(rules: Vec<Rule>) -> Allow {
        Allow { rules }
    }

    /// Reads every rule; the first bad one is the error.
    pub fn parse<I, S>(rules: I) -> Result<Allow, AllowError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let rules = rules
            .into_iter()
            .map(|rule| Rule::parse(rule.as_ref()))
            .collect::<Result<_, _>>()?;
        Ok(Allow { rules })
    }

    /// The rules, in the order given.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Whether any rule lets `host:port` through.
    pub fn allows(&self, host: &str, port: u16) -> bool {
        self.rules.iter().any(|rule| rule.matches(host, port))
    }
}

/// Splits `host:port` or `[v6]:port` (as in a CONNECT target or a URL's authority) into
/// the host, brackets removed, and the port text.
pub(crate) fn split_host_port(authority: &str) -> Option<(&str, &str)> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        return Some((host, after.strip_prefix(':')?));
    }
    let (host, port) = authority.rsplit_once(':')?;
    // An unbracketed host with a colon is a bare IPv6 address whose port is ambiguous.
    (!host.contains(':')).then_some((host, port))
}

/// Hosts compare case-insensitively, and `example.com.` names the same host as
/// `example.com`.
fn normalize(host: &str) -> String {
    host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_match_hosts_and_ports() {
        let allow = Allow::parse([
            "api.anthropic.com:443",
            "*.example.com:443",
            "127.0.0.1:8080",
            "[::1]:9000",
        ])
        .unwrap();
        let table: &[(&str, u16, bool)] = &[
            ("api.anthropic.com", 443, true),
            ("API.Anthropic.COM", 443, true),
            ("api.anthropic.com.", 443, true),
            ("api.anthropic.com", 80, false),
            ("anthropic.com", 443, false),
            ("evil-api.anthropic.com", 443, false),
            ("a.example.com", 443, true),
            ("A.B.Example.Com", 443, true),
            ("example.com", 443, false),
            ("badexample.com", 443, false),
            (".example.com", 443, false),
            ("a.example.com", 8443, false),
            ("a.example.com.evil.net", 443, false),
            ("127.0.0.1", 8080, true),
            ("127.0.0.1", 8081, false),
            ("localhost", 8080, false),
            ("::1", 9000, true),
        ];
        for &(host, port, expected) in table {
            assert_eq!(allow.allows(host, port), expected, "{host}:{port}");
        }
    }

    #[test]
    fn bad_rules_are_errors() {
        for rule in [
            "api.anthropic.com",
            "api.anthropic.com:",
            "api.anthropic.com:https",
            "api.anthropic.com:0",
            "api.anthropic.com:70000",
            ":443",
            "*.:443",
            "*:443",
            "a.*.com:443",
            "::1:443",
        ] {
            assert!(Rule::parse(rule).is_err(), "{rule} should be refused");
        }
    }

    #[test]
    fn rules_print_as_written() {
        for rule in ["api.anthropic.com:443", "*.example.com:443", "[::1]:9000"] {
            assert_eq!(Rule::parse(rule).unwrap().to_string(), rule);
        }
        assert_eq!(
            Rule::parse("API.Example.com.:1").unwrap().to_string(),
            "api.example.com:1"
        );
        assert!(Allow::default().rules().is_empty());
        assert!(!Allow::default().allows("localhost", 80));
    }
}
