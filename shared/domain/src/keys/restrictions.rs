//! A key's own restrictions, checked by the authorizer on every request after the key
//! verifies: where it may be used from (source addresses), what it may call (route
//! patterns), which web origins may use it (browser keys) and when (hours, UTC or a
//! fixed offset). Every list is an allow list; an absent or empty one allows all.
//!
//! A restriction is a fact of the stored key, so the authorizer's warm cache (which
//! holds the key's record) honours it on every request, cached or not.

use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use std::sync::OnceLock;
use time::{OffsetDateTime, UtcOffset, Weekday};

/// Most entries in one allow list.
pub const MAX_ENTRIES: usize = 50;

#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyRestrictions {
    /// Addresses the key may be used from: IPv4 or IPv6 addresses or CIDR blocks,
    /// matched against the address API Gateway saw (`sourceIp`), never a client header
    /// such as `X-Forwarded-For`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = MAX_ENTRIES), with = "Vec<CidrText>")]
    pub source_ips: Vec<String>,
    /// Routes the key may call, as route keys (`GET /orders/{id}`) or patterns: `ANY`
    /// for any method, `*` for one path segment, a final `**` for any rest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = MAX_ENTRIES), with = "Vec<RoutePatternText>")]
    pub routes: Vec<String>,
    /// Web origins that may use the key (browser keys): `https://app.example.com`, or
    /// `https://*.example.com` for its subdomains. Matched against the `Origin` header,
    /// or the origin of `Referer` when there is none; a request with neither is
    /// refused. Browsers set these headers, so this keeps other sites from using the
    /// key in a browser; it does not stop a client that forges them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = MAX_ENTRIES), with = "Vec<OriginText>")]
    pub origins: Vec<String>,
    /// When the key may be used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<AllowedHours>,
    /// The lists parsed, on the first check: the authorizer's warm cache shares one
    /// record (and so one parse) across requests.
    #[serde(skip)]
    compiled: OnceLock<Compiled>,
}

impl PartialEq for KeyRestrictions {
    fn eq(&self, other: &Self) -> bool {
        self.source_ips == other.source_ips
            && self.routes == other.routes
            && self.origins == other.origins
            && self.hours == other.hours
    }
}

impl Eq for KeyRestrictions {}

/// [`KeyRestrictions`] parsed. An entry that does not parse is left out, so a list
/// whose entries all fail allows nothing (they cannot fail once validated).
#[derive(Debug, Clone)]
struct Compiled {
    networks: Vec<ipnet::IpNet>,
    routes: Vec<RoutePattern>,
    origins: Vec<OriginPattern>,
    window: Option<Window>,
}

/// A weekly window: on `days`, from `from` until `to` (exclusive), at `utc_offset`.
/// `from` after `to` spans midnight (`22:00`-`06:00`); the day is the one on which
/// the request falls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AllowedHours {
    /// Days of the week (`mon` ... `sun`); absent: every day.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 7))]
    pub days: Vec<Day>,
    /// `HH:MM`, 24-hour.
    #[schemars(regex(pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"))]
    pub from: String,
    /// `HH:MM`, 24-hour; `24:00` is the end of the day.
    #[schemars(regex(pattern = r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"))]
    pub to: String,
    /// A fixed offset from UTC (`+02:00`); time zones with daylight saving are not
    /// followed. Absent: UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[+-](0[0-9]|1[0-4]):[0-5][0-9]$"))]
    pub utc_offset: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Day {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Day {
    fn of(weekday: Weekday) -> Self {
        match weekday {
            Weekday::Monday => Self::Mon,
            Weekday::Tuesday => Self::Tue,
            Weekday::Wednesday => Self::Wed,
            Weekday::Thursday => Self::Thu,
            Weekday::Friday => Self::Fri,
            Weekday::Saturday => Self::Sat,
            Weekday::Sunday => Self::Sun,
        }
    }
}

/// An address or CIDR block, `203.0.113.0/24` or `2001:db8::/32`.
struct CidrText;
crate::inline_string_schema!(CidrText, "CidrText", {"type": "string", "minLength": 2, "maxLength": 43});

/// `METHOD /path`, with `ANY`, `*` and a final `**`.
struct RoutePatternText;
crate::inline_string_schema!(RoutePatternText, "RoutePatternText", {
    "type": "string",
    "pattern": "^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY) /\\S{0,290}$"
});

/// `scheme://host[:port]`; the host's first label may be `*`.
struct OriginText;
crate::inline_string_schema!(OriginText, "OriginText", {
    "type": "string",
    "pattern": "^https?://\\S{1,253}$"
});

/// Why a restriction refused a request. Each has its own deny reason code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restricted {
    /// The source address is outside `source_ips` (or unknown).
    SourceIp,
    /// The route matches none of `routes`.
    Route,
    /// The origin matches none of `origins` (or the request names none).
    Origin,
    /// The request falls outside `hours`.
    Hours,
}

impl Restricted {
    pub fn code(self) -> &'static str {
        match self {
            Self::SourceIp => "ip_not_allowed",
            Self::Route => "route_not_allowed",
            Self::Origin => "origin_not_allowed",
            Self::Hours => "outside_allowed_hours",
        }
    }
}

/// What the authorizer knows of a request, for [`KeyRestrictions::check`].
#[derive(Debug, Clone, Copy)]
pub struct RequestFacts<'a> {
    /// API Gateway's `sourceIp`; `None` when the event has none (REST TOKEN events).
    pub source_ip: Option<&'a str>,
    /// The route key (`GET /orders/{id}`).
    pub route: &'a str,
    /// The `Origin` header.
    pub origin: Option<&'a str>,
    /// The `Referer` header.
    pub referer: Option<&'a str>,
    pub at: OffsetDateTime,
}

impl KeyRestrictions {
    pub fn new(
        source_ips: Vec<String>,
        routes: Vec<String>,
        origins: Vec<String>,
        hours: Option<AllowedHours>,
    ) -> Self {
        Self {
            source_ips,
            routes,
            origins,
            hours,
            compiled: OnceLock::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.source_ips.is_empty()
            && self.routes.is_empty()
            && self.origins.is_empty()
            && self.hours.is_none()
    }

    /// Checks every entry, so a stored set always parses; `Err` says what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        let lists = [
            ("source_ips", &self.source_ips),
            ("routes", &self.routes),
            ("origins", &self.origins),
        ];
        for (field, list) in lists {
            if list.len() > MAX_ENTRIES {
                return Err(format!("`{field}` takes at most {MAX_ENTRIES} entries"));
            }
        }
        for entry in &self.source_ips {
            parse_cidr(entry).map_err(|e| format!("source_ips: {e}"))?;
        }
        for entry in &self.routes {
            RoutePattern::parse(entry).map_err(|e| format!("routes: {e}"))?;
        }
        for entry in &self.origins {
            OriginPattern::parse(entry).map_err(|e| format!("origins: {e}"))?;
        }
        if let Some(hours) = &self.hours {
            hours.window().map_err(|e| format!("hours: {e}"))?;
        }
        Ok(())
    }

    /// The first restriction the request breaks. Fails closed: an unknown source
    /// address, or a missing origin, is refused when the key restricts them.
    pub fn check(&self, request: &RequestFacts<'_>) -> Result<(), Restricted> {
        let compiled = self.compiled.get_or_init(|| self.compile());
        if !self.source_ips.is_empty() && !compiled.allows_source(request.source_ip) {
            return Err(Restricted::SourceIp);
        }
        if !self.routes.is_empty() && !compiled.routes.iter().any(|p| p.matches(request.route)) {
            return Err(Restricted::Route);
        }
        if !self.origins.is_empty() && !compiled.allows_origin(request) {
            return Err(Restricted::Origin);
        }
        if self.hours.is_some()
            && !compiled
                .window
                .as_ref()
                .is_some_and(|w| w.contains(request.at))
        {
            return Err(Restricted::Hours);
        }
        Ok(())
    }

    fn compile(&self) -> Compiled {
        Compiled {
            networks: self
                .source_ips
                .iter()
                .filter_map(|c| parse_cidr(c).ok())
                .collect(),
            routes: self
                .routes
                .iter()
                .filter_map(|p| RoutePattern::parse(p).ok())
                .collect(),
            origins: self
                .origins
                .iter()
                .filter_map(|o| OriginPattern::parse(o).ok())
                .collect(),
            window: self.hours.as_ref().and_then(|h| h.window().ok()),
        }
    }
}

impl Compiled {
    fn allows_source(&self, source_ip: Option<&str>) -> bool {
        let Some(ip) = source_ip.and_then(|s| s.trim().parse::<IpAddr>().ok()) else {
            return false;
        };
        // An IPv4 client reaching a dual-stack listener shows as `::ffff:a.b.c.d`.
        let ip = ip.to_canonical();
        self.networks.iter().any(|net| net.contains(&ip))
    }

    fn allows_origin(&self, request: &RequestFacts<'_>) -> bool {
        let presented = match request.origin.map(str::trim).filter(|o| !o.is_empty()) {
            // Browsers send `Origin: null` from sandboxed and file pages: no origin.
            Some("null") => None,
            Some(origin) => Some(origin.to_owned()),
            None => request.referer.and_then(origin_of_url),
        };
        let Some(presented) = presented.and_then(|o| SiteOrigin::parse(&o).ok()) else {
            return false;
        };
        self.origins
            .iter()
            .any(|pattern| pattern.matches(&presented))
    }
}

fn parse_cidr(text: &str) -> Result<ipnet::IpNet, String> {
    let text = text.trim();
    let net = match text.parse::<ipnet::IpNet>() {
        Ok(net) => net,
        Err(_) => text
            .parse::<IpAddr>()
            .map(ipnet::IpNet::from)
            .map_err(|_| format!("`{text}` is not an IP address or CIDR block"))?,
    };
    // `10.1.2.3/8` is most likely a typo for `10.0.0.0/8`; refuse rather than guess.
    if net.addr() != net.network() {
        return Err(format!(
            "`{text}` has host bits set; did you mean `{}`?",
            net.trunc()
        ));
    }
    Ok(net)
}

/// A parsed route pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RoutePattern {
    /// `None`: any method.
    method: Option<String>,
    segments: Vec<String>,
    /// Ends in `**`: any further segments, or none.
    open_ended: bool,
}

const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

impl RoutePattern {
    fn parse(text: &str) -> Result<Self, String> {
        let bad = |why: &str| format!("`{text}` {why}");
        let (method, path) = text
            .split_once(' ')
            .ok_or_else(|| bad("is not `METHOD /path`"))?;
        let method = match method {
            "ANY" => None,
            m if METHODS.contains(&m) => Some(m.to_owned()),
            _ => return Err(bad("has no known method (GET ... OPTIONS, or ANY)")),
        };
        let path = path
            .strip_prefix('/')
            .ok_or_else(|| bad("has a path that does not start with `/`"))?;
        if path.len() > 290 || path.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("has a path that is too long or contains spaces"));
        }
        let mut segments: Vec<&str> = path.split('/').collect();
        let open_ended = segments.last() == Some(&"**");
        if open_ended {
            segments.pop();
        }
        if segments.contains(&"**") {
            return Err(bad("uses `**` other than as the last segment"));
        }
        Ok(Self {
            method,
            segments: segments.into_iter().map(str::to_owned).collect(),
            open_ended,
        })
    }

    fn matches(&self, route: &str) -> bool {
        let Some((method, path)) = route.split_once(' ') else {
            return false;
        };
        if self.method.as_deref().is_some_and(|m| m != method) {
            return false;
        }
        let Some(path) = path.strip_prefix('/') else {
            return false;
        };
        let called: Vec<&str> = path.split('/').collect();
        let fixed = self.segments.len();
        let lengths_fit = if self.open_ended {
            called.len() >= fixed
        } else {
            called.len() == fixed
        };
        lengths_fit
            && self
                .segments
                .iter()
                .zip(&called)
                .all(|(want, got)| want == "*" || want == got)
    }
}

/// `scheme://host[:port]`, lowercased, with the scheme's default port made explicit.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SiteOrigin {
    scheme: String,
    host: String,
    port: u16,
}

impl SiteOrigin {
    fn parse(text: &str) -> Result<Self, String> {
        let url = url::Url::parse(text).map_err(|_| format!("`{text}` is not an origin"))?;
        let is_bare = url.path() == "/" && url.query().is_none() && url.fragment().is_none();
        let (Some(host), Some(port), true) = (url.host_str(), url.port_or_known_default(), is_bare)
        else {
            return Err(format!("`{text}` is not `scheme://host[:port]`"));
        };
        if !matches!(url.scheme(), "https" | "http") || !url.username().is_empty() {
            return Err(format!("`{text}` is not an http(s) origin"));
        }
        Ok(Self {
            scheme: url.scheme().to_owned(),
            host: host.to_ascii_lowercase(),
            port,
        })
    }
}

fn origin_of_url(referer: &str) -> Option<String> {
    let url = url::Url::parse(referer.trim()).ok()?;
    match url.origin() {
        origin @ url::Origin::Tuple(..) => Some(origin.ascii_serialization()),
        url::Origin::Opaque(_) => None,
    }
}

/// An allowed origin; a host starting `*.` allows its subdomains (not itself).
#[derive(Debug, Clone)]
struct OriginPattern {
    origin: SiteOrigin,
    subdomains: bool,
}

impl OriginPattern {
    fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (subdomains, concrete) = match text.split_once("://*.") {
            Some((scheme, rest)) => (true, format!("{scheme}://{rest}")),
            None => (false, text.to_owned()),
        };
        let origin = SiteOrigin::parse(&concrete).map_err(|_| {
            format!("`{text}` is not `scheme://host[:port]` (the host may start with `*.`)")
        })?;
        if subdomains && !origin.host.contains('.') {
            return Err(format!(
                "`{text}` allows the subdomains of a top-level domain"
            ));
        }
        Ok(Self { origin, subdomains })
    }

    fn matches(&self, presented: &SiteOrigin) -> bool {
        let want = &self.origin;
        let host_fits = if self.subdomains {
            presented
                .host
                .strip_suffix(&want.host)
                .is_some_and(|label| label.len() > 1 && label.ends_with('.'))
        } else {
            presented.host == want.host
        };
        host_fits && presented.scheme == want.scheme && presented.port == want.port
    }
}

/// [`AllowedHours`], parsed.
#[derive(Debug, Clone)]
struct Window {
    days: Vec<Day>,
    from: u16,
    to: u16,
    offset: UtcOffset,
}

impl AllowedHours {
    fn window(&self) -> Result<Window, String> {
        let minutes = |text: &str, field: &str| -> Result<u16, String> {
            let bad = || format!("`{field}` must be HH:MM, got `{text}`");
            let (h, m) = text.split_once(':').ok_or_else(bad)?;
            let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
            if h.to_string().len() > 2 || m > 59 || h > 24 || (h == 24 && m != 0) {
                return Err(bad());
            }
            Ok(h * 60 + m)
        };
        let from = minutes(&self.from, "from")?;
        let to = minutes(&self.to, "to")?;
        if from == 24 * 60 {
            return Err("`from` must be before 24:00".to_owned());
        }
        if from == to {
            return Err("`from` and `to` must differ".to_owned());
        }
        let offset = match &self.utc_offset {
            None => UtcOffset::UTC,
            Some(text) => parse_offset(text)?,
        };
        Ok(Window {
            days: self.days.clone(),
            from,
            to,
            offset,
        })
    }
}

fn parse_offset(text: &str) -> Result<UtcOffset, String> {
    let bad = || format!("`utc_offset` must be +HH:MM or -HH:MM, got `{text}`");
    let (sign, rest) = match text.as_bytes().first() {
        Some(b'+') => (1i8, &text[1..]),
        Some(b'-') => (-1i8, &text[1..]),
        _ => return Err(bad()),
    };
    let (h, m) = rest.split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 {
        return Err(bad());
    }
    let (h, m): (i8, i8) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    // Offsets in use run from -12:00 to +14:00.
    let minutes = i16::from(sign) * (i16::from(h) * 60 + i16::from(m));
    if m > 59 || !(-12 * 60..=14 * 60).contains(&minutes) {
        return Err(bad());
    }
    UtcOffset::from_hms(sign * h, sign * m, 0).map_err(|_| bad())
}

impl Window {
    fn contains(&self, at: OffsetDateTime) -> bool {
        let local = at.to_offset(self.offset);
        let day_fits = self.days.is_empty() || self.days.contains(&Day::of(local.weekday()));
        let now = u16::from(local.hour()) * 60 + u16::from(local.minute());
        let time_fits = if self.from < self.to {
            (self.from..self.to).contains(&now)
        } else {
            now >= self.from || now < self.to
        };
        day_fits && time_fits
    }
}

#[cfg(test)]
#[path = "tests/restrictions.rs"]
mod tests;
