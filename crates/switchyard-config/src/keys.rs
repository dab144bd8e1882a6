//! Which top-level wrangler keys Switchyard reads, ignores silently, or ignores with a warning.
//!
//! The lists follow wrangler's own configuration schema (the `Environment`, `ConfigFields` and
//! `DevConfig` types of wrangler v4 and the configuration reference at
//! <https://developers.cloudflare.com/workers/wrangler/configuration/>).
//!
//! * [`SUPPORTED`]: read and validated (`name`, `main`, `compatibility_date`,
//!   `compatibility_flags`, `vars`, `services`).
//! * [`LOCAL_NO_OP`]: accepted silently because they only matter when deploying to Cloudflare or
//!   to wrangler itself, never to a local run: `$schema` (editor hint), `account_id`, `zone_id`,
//!   `workers_dev`, `preview_urls`, `previews` (settings for `wrangler preview` deployments),
//!   `compliance_region`, `first_party_worker`, `send_metrics`, `keep_vars` (keeps dashboard vars on
//!   deploy), `legacy_env` (naming of deployed environments).
//! * [`UNSUPPORTED`]: known to wrangler and meaningful locally (bindings, triggers, routing,
//!   bundling, environments, ...) but not implemented by Switchyard yet. Each gives one warning
//!   per file saying it is ignored. This includes the Wrangler v1 keys wrangler still recognises
//!   (`type`, `webpack_config`, `kv-namespaces`, `experimental_services`, `miniflare`) and the
//!   Pages-only `pages_build_output_dir`.
//! * Anything else is unknown: a warning, with a did-you-mean suggestion when a known key is
//!   close.
//!
//! Inside a `services` entry, `binding`, `service` and `entrypoint` are read; `environment`
//! (deprecated service environments), `props` and `remote` are known to wrangler but not
//! supported, so they warn as unsupported; anything else is unknown.

/// Top-level keys Switchyard reads.
pub(crate) const SUPPORTED: &[&str] = &[
    "name",
    "main",
    "compatibility_date",
    "compatibility_flags",
    "vars",
    "services",
    "limits",
    "rules",
];

/// Top-level keys that have no meaning when running locally: accepted silently.
pub(crate) const LOCAL_NO_OP: &[&str] = &[
    "$schema",
    "account_id",
    "zone_id",
    "workers_dev",
    "preview_urls",
    "previews",
    "compliance_region",
    "first_party_worker",
    "send_metrics",
    "keep_vars",
    "legacy_env",
];

/// Top-level keys wrangler knows that Switchyard does not support yet: one warning each.
pub(crate) const UNSUPPORTED: &[&str] = &[
    // Bindings.
    "kv_namespaces",
    "d1_databases",
    "r2_buckets",
    "durable_objects",
    "queues",
    "workflows",
    "hyperdrive",
    "vectorize",
    "analytics_engine_datasets",
    "dispatch_namespaces",
    "mtls_certificates",
    "send_email",
    "ai",
    "ai_search",
    "ai_search_namespaces",
    "agent_memory",
    "web_search",
    "browser",
    "images",
    "media",
    "stream",
    "version_metadata",
    "pipelines",
    "secrets_store_secrets",
    "ratelimits",
    "worker_loaders",
    "vpc_services",
    "vpc_networks",
    "artifacts",
    "flagship",
    "logfwdr",
    "unsafe",
    "unsafe_hello_world",
    "wasm_modules",
    "text_blobs",
    "data_blobs",
    "secrets",
    "tail_consumers",
    "streaming_tail_consumers",
    // Triggers, routing, environments.
    "triggers",
    "routes",
    "route",
    "env",
    // Runtime behaviour and platform features.
    "placement",
    "observability",
    "logpush",
    "cache",
    "usage_model",
    "migrations",
    "assets",
    "site",
    "containers",
    "cloudchamber",
    "python_modules",
    "dev",
    // Build and bundling.
    "build",
    "no_bundle",
    "find_additional_modules",
    "base_dir",
    "preserve_file_names",
    "alias",
    "define",
    "tsconfig",
    "jsx_factory",
    "jsx_fragment",
    "minify",
    "keep_names",
    "node_compat",
    "upload_source_maps",
    // Pages and Wrangler v1.
    "pages_build_output_dir",
    "type",
    "webpack_config",
    "kv-namespaces",
    "experimental_services",
    "miniflare",
];

/// Keys read inside each `services` entry.
pub(crate) const SERVICE_SUPPORTED: &[&str] = &["binding", "service", "entrypoint"];

/// Keys wrangler knows inside a `services` entry that Switchyard does not support.
pub(crate) const SERVICE_UNSUPPORTED: &[&str] = &["environment", "props", "remote"];

/// How a top-level key is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TopLevel {
    Supported,
    LocalNoOp,
    Unsupported,
    Unknown,
}

pub(crate) fn classify(key: &str) -> TopLevel {
    if SUPPORTED.contains(&key) {
        TopLevel::Supported
    } else if LOCAL_NO_OP.contains(&key) {
        TopLevel::LocalNoOp
    } else if UNSUPPORTED.contains(&key) {
        TopLevel::Unsupported
    } else {
        TopLevel::Unknown
    }
}

/// Every key wrangler knows at the top level, for did-you-mean suggestions.
pub(crate) fn all_top_level() -> impl Iterator<Item = &'static str> {
    SUPPORTED
        .iter()
        .chain(LOCAL_NO_OP)
        .chain(UNSUPPORTED)
        .copied()
}

/// Extra words for an unsupported key's warning, where the plain message would leave the reader
/// guessing what happens instead.
pub(crate) fn unsupported_note(key: &str) -> Option<&'static str> {
    match key {
        "env" => Some("only the top-level configuration is used"),
        "environment" => Some("service environments are deprecated; bind to the Worker by name"),
        _ => None,
    }
}

/// The closest candidate to `input`, if it is close enough to be a plausible typo.
///
/// Compares case-insensitively with the optimal-string-alignment distance; accepts up to one
/// edit per three characters (at least one) of what follows the prefix both share, so names
/// that only share a prefix (`portals-browse`, `portals-router`) do not look alike.
pub(crate) fn suggest<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let input_lower = input.to_lowercase();
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        if candidate == input {
            continue;
        }
        let candidate_lower = candidate.to_lowercase();
        let shared = input_lower
            .chars()
            .zip(candidate_lower.chars())
            .take_while(|(a, b)| a == b)
            .count();
        let max = ((input_lower.chars().count() - shared) / 3).max(1);
        let distance = strsim::osa_distance(&input_lower, &candidate_lower);
        // One name extending the other by a few characters (`cpu_msec`, `cpu_ms`) is a typo too.
        let extends = shared >= 4
            && (shared == input_lower.chars().count() || shared == candidate_lower.chars().count());
        let max = if extends { max.max(3) } else { max };
        if distance <= max && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sharing_only_a_prefix_are_not_suggested() {
        let loaded = ["portals-router", "portals-auth", "auth-worker"];
        assert_eq!(suggest("portals-browse", loaded), None);
        assert_eq!(suggest("auth-workr", loaded), Some("auth-worker"));
        assert_eq!(suggest("portals-aut", loaded), Some("portals-auth"));
        assert_eq!(suggest("cpu_msec", ["cpu_ms", "memory_mb"]), Some("cpu_ms"));
    }

    #[test]
    fn classification_is_disjoint() {
        let all: Vec<&str> = all_top_level().collect();
        let mut dedup = all.clone();
        dedup.sort_unstable();
        dedup.dedup();
        assert_eq!(all.len(), dedup.len(), "a key is listed twice");
        assert_eq!(classify("services"), TopLevel::Supported);
        assert_eq!(classify("account_id"), TopLevel::LocalNoOp);
        assert_eq!(classify("kv_namespaces"), TopLevel::Unsupported);
        assert_eq!(classify("servces"), TopLevel::Unknown);
    }

    #[test]
    fn suggestions() {
        assert_eq!(suggest("servces", all_top_level()), Some("services"));
        assert_eq!(
            suggest("compatability_date", all_top_level()),
            Some("compatibility_date")
        );
        assert_eq!(suggest("Name", all_top_level()), Some("name"));
        assert_eq!(suggest("mian", all_top_level()), Some("main"));
        assert_eq!(suggest("banana", all_top_level()), None);
        assert_eq!(suggest("x", all_top_level()), None);
        assert_eq!(
            suggest("auth-workr", ["pitchey-router", "auth-worker", "creator"]),
            Some("auth-worker")
        );
        assert_eq!(suggest("billing", ["pitchey-router", "auth-worker"]), None);
    }
}
