//! URLs as they may be shown: scheme, host, port and path, never credentials, query or
//! fragment (webhook URLs often carry a token there). Every `Debug`, log line and error
//! message that shows a URL goes through [`redact_url`].

/// `url` reduced to its scheme, host (with port) and path, e.g.
/// `https://hook.example:8443/in` for `https://user:pass@hook.example:8443/in?token=x`;
/// `<invalid URL>` when it has no `scheme://`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return INVALID.to_owned();
    };
    if scheme.is_empty()
        || !scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
    {
        return INVALID.to_owned();
    }
    // What follows the query or fragment is never shown, whatever it holds.
    let before_query = rest.split(['?', '#']).next().unwrap_or_default();
    // HTTP URL parsers read `\` as `/`: the authority ends at either.
    let (authority, path) = match before_query.find(['/', '\\']) {
        Some(slash) => before_query.split_at(slash),
        None => (before_query, ""),
    };
    // The userinfo ends at the authority's last `@`.
    let host = authority.rsplit('@').next().unwrap_or_default();
    format!("{scheme}://{host}{path}")
}

const INVALID: &str = "<invalid URL>";

/// A URL shown redacted by `Debug`, for the `Debug` of structs that hold one.
pub(crate) struct Redacted<'a>(pub(crate) Option<&'a str>);

impl std::fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(url) => write!(f, "{:?}", redact_url(url)),
            None => f.write_str("None"),
        }
    }
}
