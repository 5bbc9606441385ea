//! The ledger vectors' authorities (tests/vectors/ledger/ledger_v1.json).

use semres::identity::signing::SigningPublicKey;

const KEYS: [&str; 3] = [
    "-IUESk_12RqofD7tQcE0Z0J4aeXRh-PL3zNRStyJZOI",
    "5ogcvQgcATtEO2DKBDetqw40J21Q1rWEwip69-LEAYc",
    "uV7YEhrQmBHUTAkUJZ93xUfasJuyrtiSjkUrKEOZCOI",
];

pub fn authorities() -> &'static [SigningPublicKey] {
    static KEYS_DECODED: std::sync::OnceLock<Vec<SigningPublicKey>> = std::sync::OnceLock::new();
    KEYS_DECODED.get_or_init(|| {
        KEYS.iter()
            .map(|k| {
                let bytes = semres::b64::decode(k).expect("base64url");
                SigningPublicKey::from_bytes(&bytes).expect("Ed25519 key")
            })
            .collect()
    })
}
