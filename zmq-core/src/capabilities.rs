//! What this build supports, for `zmq_has`. One table, so that a feature
//! that lands flips exactly one entry here.

/// (capability, supported). Transports and mechanisms are listed as they
/// become real; everything not listed is unsupported.
const CAPABILITIES: &[(&str, bool)] = &[
    ("ipc", true),
    ("pgm", false),
    ("tipc", false),
    ("norm", false),
    ("curve", true),
    ("gssapi", false),
    ("draft", cfg!(feature = "draft")),
];

/// Whether the library provides `capability` (a lowercase name such as
/// "ipc" or "curve").
pub fn has(capability: &str) -> bool {
    CAPABILITIES
        .iter()
        .any(|&(name, supported)| supported && name == capability)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_and_unbuilt_capabilities_are_absent() {
        assert!(!has("nonsense"));
        assert!(!has(""));
        assert!(!has("pgm"));
        assert!(!has("gssapi"));
        assert_eq!(has("draft"), cfg!(feature = "draft"));
        assert!(has("ipc"));
    }
}
