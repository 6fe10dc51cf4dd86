//! One redaction rule for every URL that is printed or stored, and for secrets in messages.
//!
//! A URL keeps its scheme, host, port and path; its userinfo and the value of every query
//! parameter not known to be harmless (an Azure SAS `sig`, an `access_token`, an S3
//! signature) become `***`. The API's own paging parameters stay readable. Anything that is
//! not a URL (a local path) is left as it is.

use url::Url;

/// Query parameters that never carry a secret: GitHub's and GitLab's paging and filters.
const HARMLESS_PARAMETERS: [&str; 12] = [
    "page",
    "per_page",
    "type",
    "visibility",
    "include_subgroups",
    "license",
    "sort",
    "direction",
    "since",
    "after",
    "before",
    "order_by",
];

/// What replaces a secret.
pub const MASK: &str = "***";

/// `text` with its userinfo and the values of unknown query parameters masked, if it is a
/// URL that has any; otherwise exactly as given.
pub fn url(text: &str) -> String {
    let Ok(mut parsed) = Url::parse(text) else {
        return text.to_string();
    };
    let harmless_query = parsed
        .query_pairs()
        .all(|(name, _)| HARMLESS_PARAMETERS.contains(&name.as_ref()));
    let no_userinfo = parsed.username().is_empty() && parsed.password().is_none();
    if parsed.cannot_be_a_base() || (no_userinfo && harmless_query) {
        return text.to_string();
    }
    if !parsed.username().is_empty() {
        let _ = parsed.set_username(MASK);
    }
    if parsed.password().is_some() {
        let _ = parsed.set_password(Some(MASK));
    }
    if parsed.query().is_some() {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(name, value)| {
                let harmless = HARMLESS_PARAMETERS.contains(&name.as_ref());
                let value = if harmless {
                    value.into_owned()
                } else {
                    MASK.to_string()
                };
                (name.into_owned(), value)
            })
            .collect();
        let query: Vec<String> = pairs
            .iter()
            .map(|(name, value)| {
                let encode = |s: &str| {
                    url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>()
                };
                let value = if value == MASK {
                    MASK.to_string()
                } else {
                    encode(value)
                };
                format!("{}={value}", encode(name))
            })
            .collect();
        parsed.set_query(Some(&query.join("&")));
    }
    parsed.to_string()
}

/// `message` with every occurrence of each non-empty secret replaced by `***`: for errors
/// from libraries that echo what they were given.
pub fn secrets<'a>(message: &str, secrets: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = message.to_string();
    for secret in secrets {
        // Short values ("true", "1") are not secrets and would mask half the message.
        if secret.len() >= 8 {
            out = out.replace(secret, MASK);
        }
    }
    out
}

/// `message` with `secrets` masked and every URL in it redacted by [`url`]: for errors from
/// libraries that echo what they were given or the URL they requested.
pub fn text<'a>(message: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    let masked = secrets(message, known);
    let mut out = String::with_capacity(masked.len());
    for (i, word) in masked.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        // A URL may sit in quotes, brackets or before a colon: redact what is inside.
        let start = word.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(0);
        let end = word
            .rfind(|c: char| !matches!(c, '"' | '\'' | ')' | ']' | '>' | ',' | ';' | ':' | '.'))
            .map_or(word.len(), |i| {
                i + word[i..].chars().next().map_or(1, char::len_utf8)
            });
        if word.contains("://") && start < end {
            out.push_str(&word[..start]);
            out.push_str(&url(&word[start..end]));
            out.push_str(&word[end..]);
        } else {
            out.push_str(word);
        }
    }
    out
}

/// The secrets a lake root and its options carry: option values, the root's password and
/// query values, to mask wherever a library might echo them.
pub fn secrets_of<'a>(
    root: &str,
    option_values: impl IntoIterator<Item = &'a String>,
) -> Vec<String> {
    let mut found: Vec<String> = option_values.into_iter().cloned().collect();
    if let Ok(parsed) = Url::parse(root) {
        found.extend(parsed.password().map(str::to_string));
        found.extend(parsed.query_pairs().map(|(_, v)| v.into_owned()));
        // As written too, since a message may echo the encoded form.
        let raw = parsed.query().unwrap_or_default();
        found.extend(
            raw.split('&')
                .filter_map(|p| p.split_once('='))
                .map(|(_, v)| v.to_string()),
        );
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_and_unknown_query_values_are_masked() {
        let cases = [
            (
                "https://acct.blob.core.windows.net/c/p?sv=2022-11-02&sp=rl&sig=AbC%2Bdef%3D",
                "https://acct.blob.core.windows.net/c/p?sv=***&sp=***&sig=***",
            ),
            (
                "https://user:hunter2hunter2@ghe.example/api/v3",
                "https://***:***@ghe.example/api/v3",
            ),
            (
                "https://api.github.com/organizations/1/repos?type=public&per_page=100&page=2",
                "https://api.github.com/organizations/1/repos?type=public&per_page=100&page=2",
            ),
            (
                "https://api.github.com/x?access_token=ghp_abc&page=3",
                "https://api.github.com/x?access_token=***&page=3",
            ),
            ("s3://bucket/prefix", "s3://bucket/prefix"),
            ("lake", "lake"),
            ("/tmp/a lake", "/tmp/a lake"),
        ];
        for (given, expected) in cases {
            assert_eq!(url(given), expected, "{given}");
        }
    }

    #[test]
    fn urls_inside_messages_are_redacted() {
        let message = "Error performing PUT http://h:1/c/k?sv=1&sig=abcdefghij in 3ms";
        assert_eq!(
            text(message, []),
            "Error performing PUT http://h:1/c/k?sv=***&sig=*** in 3ms"
        );
        let quoted = "invalid URL \"https://a.example/c?sig=abcdefghij\": bad";
        assert_eq!(
            text(quoted, []),
            "invalid URL \"https://a.example/c?sig=***\": bad"
        );
        let encoded = secrets_of("az://c/p?sig=ab%2Bcdefghij%3D", []);
        assert!(
            encoded.contains(&"ab%2Bcdefghij%3D".to_string()),
            "{encoded:?}"
        );
    }

    #[test]
    fn secrets_in_messages_are_masked() {
        let message = "lake s3://b: key AKIASECRETVALUE rejected; allow_http true";
        assert_eq!(
            secrets(message, ["AKIASECRETVALUE", "true"]),
            "lake s3://b: key *** rejected; allow_http true"
        );
    }
}
