//! The environment's `OHS_<SECTION>_<KEY>` overrides of `pipeline.toml` keys.

/// The sections whose keys the environment can set, by one rule: `OHS_<SECTION>_<KEY>` (upper
/// case) sets `[section] key`, and `OHS_LAKE_OPTIONS_<NAME>` sets `[lake.options] name`. Other
/// `OHS_` variables (`OHS_LAKE`, `OHS_ORGS`, …) are the flags' own.
pub const ENV_SECTIONS: [&str; 5] = ["lake", "publish", "extract", "github", "gitlab"];

/// The `pipeline.toml` overrides among `vars`: (variable, section path, key, value), sorted.
pub(super) fn env_overrides(
    vars: impl IntoIterator<Item = (String, String)>,
) -> Vec<(String, Vec<&'static str>, String, String)> {
    let mut found = Vec::new();
    for (name, value) in vars {
        let Some(rest) = name.strip_prefix("OHS_") else {
            continue;
        };
        let lower = rest.to_ascii_lowercase();
        if let Some(option) = lower.strip_prefix("lake_options_") {
            found.push((
                name.clone(),
                vec!["lake", "options"],
                option.to_string(),
                value,
            ));
            continue;
        }
        let section = ENV_SECTIONS
            .iter()
            .find_map(|s| Some((*s, lower.strip_prefix(s)?.strip_prefix('_')?)));
        if let Some((section, key)) = section.filter(|(_, key)| !key.is_empty()) {
            found.push((name.clone(), vec![section], key.to_string(), value));
        }
    }
    found.sort();
    found
}

/// A variable's value as TOML reads it (`3`, `true`, `"x"`), else as a string.
pub(super) fn env_value(value: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {value}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(value.to_string()))
}
