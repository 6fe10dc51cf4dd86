//! Helpers every forge's listing parser shares: one object's bad field named by its path,
//! an invalid object named as well as it allows, and the bounds of silver's integer columns.

use serde::Deserialize;

/// Just enough of a repository (or project) to name it in an error.
#[derive(Deserialize)]
struct RepoIdentity {
    #[serde(alias = "path_with_namespace")]
    full_name: Option<String>,
    id: Option<u64>,
}

/// One repository (or project) object, or the path of its bad field and what is wrong.
pub fn parse_item<'a, T: Deserialize<'a>>(json: &'a str) -> Result<T, String> {
    let mut de = serde_json::Deserializer::from_str(json);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        // serde_json appends a position inside this one object, which helps nobody.
        let message = inner.to_string();
        let message = message
            .split(" at line ")
            .next()
            .unwrap_or(&message)
            .to_string();
        if path == "." {
            message
        } else {
            format!("{path}: {message}")
        }
    })
}

/// Silver stores ids and counts as 64-bit signed integers (Parquet's INT64): a larger value
/// is invalid data, never a number that wraps.
pub fn fits_signed_column(field: &str, value: u64) -> Result<i64, String> {
    i64::try_from(value)
        .map_err(|_| format!("{field}: {value} does not fit a 64-bit signed integer column"))
}

/// "#3 (nhsx/foo)", or "#3 (id 42)", or "#3": the best name an invalid object allows.
pub fn identify(index: usize, json: &str) -> String {
    let position = format!("#{}", index + 1);
    match serde_json::from_str::<RepoIdentity>(json) {
        Ok(RepoIdentity {
            full_name: Some(name),
            ..
        }) => format!("{position} ({name})"),
        Ok(RepoIdentity { id: Some(id), .. }) => format!("{position} (id {id})"),
        _ => position,
    }
}

/// `object` (a JSON object) with only the `keep` fields, or without the `drop` ones; keys
/// in sorted order, so the same answer is always stored as the same bytes.
pub fn filter_object(
    object: &str,
    keep: Option<&[&str]>,
    drop: &[&str],
) -> Result<String, serde_json::Error> {
    let mut map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(object)?;
    map.retain(|key, _| {
        keep.is_none_or(|k| k.contains(&key.as_str())) && !drop.contains(&key.as_str())
    });
    serde_json::to_string(&map)
}
