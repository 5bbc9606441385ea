//! Key import in every format the core reads — PEM (SPKI, PKCS#1, PKCS#8), encrypted PKCS#8,
//! JWK, .NET XML, for RSA and Ed25519: never panics; whatever imports exports and imports
//! again to the same key id.
#![no_main]

use libfuzzer_sys::fuzz_target;
use semres::identity::signing::{SigningPrivateKey, SigningPublicKey};
use semres::{EncryptionPrivateKey, EncryptionPublicKey};

fuzz_target!(|data: &[u8]| {
    let Some((&control, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let passphrase: Option<&[u8]> = if control & 1 == 1 { Some(b"x") } else { None };
    if let Ok(key) = EncryptionPublicKey::from_any(text) {
        let again = EncryptionPublicKey::from_jwk(&key.to_jwk()).expect("own JWK");
        assert_eq!(again.key_id(), key.key_id());
        let again = EncryptionPublicKey::from_pem(&key.to_pem().expect("PEM")).expect("own PEM");
        assert_eq!(again.key_id(), key.key_id());
        let again = EncryptionPublicKey::from_dotnet_xml(&key.to_dotnet_xml()).expect("own XML");
        assert_eq!(again.key_id(), key.key_id());
    }
    if let Ok(key) = EncryptionPrivateKey::from_any(text, passphrase) {
        let jwk = key.to_jwk().expect("JWK");
        let again = EncryptionPrivateKey::from_jwk(&jwk).expect("own JWK");
        assert_eq!(again.key_id(), key.key_id());
        let xml = key.to_dotnet_xml().expect("XML");
        let again = EncryptionPrivateKey::from_dotnet_xml(&xml).expect("own XML");
        assert_eq!(again.key_id(), key.key_id());
    }
    if let Ok(key) = SigningPublicKey::from_any(text) {
        let again = SigningPublicKey::from_jwk(&key.to_jwk()).expect("own JWK");
        assert_eq!(again.key_id(), key.key_id());
    }
    if let Ok(key) = SigningPrivateKey::from_pem(text, passphrase) {
        let again = SigningPrivateKey::from_jwk(&key.to_jwk()).expect("own JWK");
        assert_eq!(again.key_id(), key.key_id());
    }
    let _ = SigningPrivateKey::from_jwk(text);
});
