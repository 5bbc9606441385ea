//! Every key format round trip, and interoperability with OpenSSL in both directions:
//! OpenSSL reads our PEM keys (encrypted PKCS#8 included) and we read keys OpenSSL made.
//! Also .NET `<RSAKeyValue>` XML against PEM of the same key, passphrase errors, identities.
#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use semres::identity::signing::{SigningPrivateKey, SigningPublicKey};
use semres::identity::{Identity, DEFAULT_ITERATIONS, MIN_ITERATIONS};
use semres::{EncryptionPrivateKey, EncryptionPublicKey, Error};

fn rsa_key() -> &'static EncryptionPrivateKey {
    static KEY: OnceLock<EncryptionPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| {
        EncryptionPrivateKey::generate(&mut ChaCha20Rng::seed_from_u64(40), 2048).unwrap()
    })
}

fn workdir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("key-formats-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn openssl(args: &[&str]) -> String {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl is installed (scripts/bootstrap.sh)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn rsa_every_format_round_trips() {
    let key = rsa_key();
    let mut rng = ChaCha20Rng::seed_from_u64(41);
    let id = key.key_id();
    let private_texts = [
        key.to_pkcs8_pem().unwrap().to_string(),
        key.to_pkcs1_pem().unwrap().to_string(),
        key.to_jwk().unwrap().to_string(),
        key.to_dotnet_xml().unwrap().to_string(),
    ];
    for text in &private_texts {
        assert_eq!(
            EncryptionPrivateKey::from_any(text, None).unwrap().key_id(),
            id,
            "{}",
            &text[..30]
        );
        assert_eq!(EncryptionPublicKey::from_any(text).unwrap().key_id(), id);
    }
    let encrypted = key
        .to_encrypted_pkcs8_pem(&mut rng, b"correct horse")
        .unwrap();
    assert!(encrypted.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    assert_eq!(
        EncryptionPrivateKey::from_any(&encrypted, Some(b"correct horse"))
            .unwrap()
            .key_id(),
        id
    );
    assert_eq!(
        EncryptionPrivateKey::from_any(&encrypted, Some(b"wrong")).unwrap_err(),
        Error::WrongPassphrase
    );
    assert_eq!(
        EncryptionPrivateKey::from_any(&encrypted, None).unwrap_err(),
        Error::PassphraseRequired
    );
    assert_eq!(
        key.to_encrypted_pkcs8_pem(&mut rng, b"")
            .unwrap_err()
            .code(),
        "InvalidInput"
    );

    let public = key.public_key();
    for text in [
        public.to_pem().unwrap(),
        public.to_pkcs1_pem().unwrap(),
        public.to_jwk(),
        public.to_dotnet_xml(),
    ] {
        assert_eq!(EncryptionPublicKey::from_any(&text).unwrap(), *public);
    }
}

#[test]
fn dotnet_xml_matches_pem_of_the_same_key_and_tolerates_wrapping() {
    let key = rsa_key();
    let xml = key.to_dotnet_xml().unwrap();
    for element in [
        "<Modulus>",
        "<Exponent>AQAB</Exponent>",
        "<P>",
        "<Q>",
        "<DP>",
        "<DQ>",
        "<InverseQ>",
        "<D>",
    ] {
        assert!(xml.contains(element), "{element}");
    }
    // .NET lengths: D as long as the modulus, the CRT values half.
    let b64 = |name: &str| {
        let start = xml.find(&format!("<{name}>")).unwrap() + name.len() + 2;
        let end = xml.find(&format!("</{name}>")).unwrap();
        xml[start..end].to_string()
    };
    use base64ct::Encoding;
    assert_eq!(base64ct::Base64::decode_vec(&b64("D")).unwrap().len(), 256);
    assert_eq!(
        base64ct::Base64::decode_vec(&b64("InverseQ"))
            .unwrap()
            .len(),
        128
    );
    // As the paper prints it: an XML declaration, line breaks and spaces inside values.
    let wrapped: String = format!("<?xml version=\"1.0\"?>\n{}", xml.replace("><", ">\n  <"));
    let wrapped =
        wrapped
            .replacen("<Modulus>", "<Modulus>\n", 1)
            .replacen("</Modulus>", " \n</Modulus>", 1);
    let from_xml = EncryptionPrivateKey::from_dotnet_xml(&wrapped).unwrap();
    let from_pem = EncryptionPrivateKey::from_pem(&key.to_pkcs8_pem().unwrap(), None).unwrap();
    assert_eq!(from_xml.key_id(), from_pem.key_id());
    assert_eq!(
        from_xml.to_pkcs8_pem().unwrap(),
        from_pem.to_pkcs8_pem().unwrap()
    );
    // A public-only document is not a private key; junk and duplicates are refused.
    let public_xml = key.public_key().to_dotnet_xml();
    assert_eq!(
        EncryptionPrivateKey::from_dotnet_xml(&public_xml)
            .unwrap_err()
            .code(),
        "KeyFormat"
    );
    for bad in [
        "<RSAKeyValue><Modulus>AQAB</Modulus>",
        "<RSAKeyValue><Modulus>!!</Modulus><Exponent>AQAB</Exponent></RSAKeyValue>",
        "<RSAKeyValue><Foo>AQAB</Foo></RSAKeyValue>",
        "<RSAKeyValue><Exponent>AQAB</Exponent><Exponent>AQAB</Exponent></RSAKeyValue>",
    ] {
        assert_eq!(
            EncryptionPublicKey::from_dotnet_xml(bad)
                .unwrap_err()
                .code(),
            "KeyFormat",
            "{bad}"
        );
    }
    let mismatched = xml.replace(&b64("DP"), &b64("DQ"));
    assert_eq!(
        EncryptionPrivateKey::from_dotnet_xml(&mismatched)
            .unwrap_err()
            .code(),
        "KeyFormat"
    );
}

#[test]
fn openssl_reads_our_keys() {
    let dir = workdir("openssl-reads");
    let mut rng = ChaCha20Rng::seed_from_u64(42);
    let key = rsa_key();
    let our_spki = key.public_key().to_pem().unwrap();
    let files = [
        ("pkcs8.pem", key.to_pkcs8_pem().unwrap().to_string(), None),
        ("pkcs1.pem", key.to_pkcs1_pem().unwrap().to_string(), None),
        (
            "enc.pem",
            key.to_encrypted_pkcs8_pem(&mut rng, b"s3cret pass")
                .unwrap()
                .to_string(),
            Some("pass:s3cret pass"),
        ),
    ];
    for (name, text, pass) in files {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let mut args = vec!["pkey", "-in", path.to_str().unwrap(), "-pubout"];
        if let Some(pass) = pass {
            args.extend(["-passin", pass]);
        }
        assert_eq!(openssl(&args), our_spki, "{name}");
    }
    // OpenSSL refuses the encrypted key with a wrong passphrase.
    let out = Command::new("openssl")
        .args([
            "pkey",
            "-in",
            dir.join("enc.pem").to_str().unwrap(),
            "-passin",
            "pass:nope",
            "-noout",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());

    // Ed25519, plain and encrypted.
    let signing = SigningPrivateKey::generate(&mut rng).unwrap();
    std::fs::write(dir.join("ed.pem"), signing.to_pkcs8_pem().unwrap().as_str()).unwrap();
    std::fs::write(
        dir.join("ed-enc.pem"),
        signing
            .to_encrypted_pkcs8_pem(&mut rng, b"pw")
            .unwrap()
            .as_str(),
    )
    .unwrap();
    let spki = signing.public_key().to_pem().unwrap();
    assert_eq!(
        openssl(&[
            "pkey",
            "-in",
            dir.join("ed.pem").to_str().unwrap(),
            "-pubout"
        ]),
        spki
    );
    assert_eq!(
        openssl(&[
            "pkey",
            "-in",
            dir.join("ed-enc.pem").to_str().unwrap(),
            "-passin",
            "pass:pw",
            "-pubout"
        ]),
        spki
    );
    // A signature we make verifies with OpenSSL.
    std::fs::write(dir.join("msg"), b"ledger entry").unwrap();
    std::fs::write(dir.join("msg.sig"), signing.sign(b"ledger entry")).unwrap();
    std::fs::write(dir.join("ed.pub.pem"), &spki).unwrap();
    let verified = openssl(&[
        "pkeyutl",
        "-verify",
        "-pubin",
        "-inkey",
        dir.join("ed.pub.pem").to_str().unwrap(),
        "-rawin",
        "-in",
        dir.join("msg").to_str().unwrap(),
        "-sigfile",
        dir.join("msg.sig").to_str().unwrap(),
    ]);
    assert!(
        verified.contains("Signature Verified Successfully"),
        "{verified}"
    );
}

#[test]
fn we_read_keys_openssl_made() {
    let dir = workdir("we-read");
    let d = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    openssl(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        &d("rsa.pem"),
    ]);
    openssl(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-aes-256-cbc",
        "-pass",
        "pass:hospital batch",
        "-out",
        &d("rsa-enc.pem"),
    ]);
    openssl(&[
        "rsa",
        "-in",
        &d("rsa.pem"),
        "-traditional",
        "-out",
        &d("rsa-pkcs1.pem"),
    ]);
    openssl(&[
        "rsa",
        "-in",
        &d("rsa.pem"),
        "-pubout",
        "-out",
        &d("rsa.pub.pem"),
    ]);
    openssl(&[
        "rsa",
        "-in",
        &d("rsa.pem"),
        "-RSAPublicKey_out",
        "-out",
        &d("rsa.pub-pkcs1.pem"),
    ]);
    openssl(&[
        "pkcs8",
        "-topk8",
        "-in",
        &d("rsa.pem"),
        "-v2",
        "aes-256-cbc",
        "-v2prf",
        "hmacWithSHA512",
        "-passout",
        "pass:x",
        "-out",
        &d("rsa-enc-sha512.pem"),
    ]);
    openssl(&[
        "pkcs8",
        "-topk8",
        "-in",
        &d("rsa.pem"),
        "-scrypt",
        "-passout",
        "pass:x",
        "-out",
        &d("rsa-enc-scrypt.pem"),
    ]);
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    let pub_id = EncryptionPublicKey::from_any(&read("rsa.pub.pem"))
        .unwrap()
        .key_id()
        .to_owned();
    assert_eq!(
        EncryptionPublicKey::from_any(&read("rsa.pub-pkcs1.pem"))
            .unwrap()
            .key_id(),
        pub_id
    );
    assert_eq!(
        EncryptionPrivateKey::from_any(&read("rsa.pem"), None)
            .unwrap()
            .key_id(),
        pub_id
    );
    assert_eq!(
        EncryptionPrivateKey::from_any(&read("rsa-pkcs1.pem"), None)
            .unwrap()
            .key_id(),
        pub_id
    );
    assert_eq!(
        EncryptionPrivateKey::from_any(&read("rsa-enc-sha512.pem"), Some(b"x"))
            .unwrap()
            .key_id(),
        pub_id
    );
    assert_eq!(
        EncryptionPrivateKey::from_any(&read("rsa-enc-scrypt.pem"), Some(b"x"))
            .unwrap()
            .key_id(),
        pub_id
    );
    let enc = read("rsa-enc.pem");
    assert!(enc.contains("ENCRYPTED PRIVATE KEY"));
    let key = EncryptionPrivateKey::from_any(&enc, Some(b"hospital batch")).unwrap();
    assert_eq!(
        EncryptionPrivateKey::from_any(&enc, Some(b"hospital")).unwrap_err(),
        Error::WrongPassphrase
    );
    // OpenSSL-made key works for a SMeR round trip.
    let mut rng = ChaCha20Rng::seed_from_u64(43);
    let opts = semres::SealOptions::new("text/plain", key.key_id(), 0);
    let smer = semres::seal(
        &mut rng,
        b"x",
        &[key.public_key()],
        &opts,
        &semres::Limits::default(),
    )
    .unwrap();
    assert_eq!(
        semres::open(&smer, &key, &mut rng, &semres::Limits::default())
            .unwrap()
            .record
            .as_slice(),
        b"x"
    );

    openssl(&["genpkey", "-algorithm", "ed25519", "-out", &d("ed.pem")]);
    openssl(&[
        "genpkey",
        "-algorithm",
        "ed25519",
        "-aes-256-cbc",
        "-pass",
        "pass:pw",
        "-out",
        &d("ed-enc.pem"),
    ]);
    openssl(&[
        "pkey",
        "-in",
        &d("ed.pem"),
        "-pubout",
        "-out",
        &d("ed.pub.pem"),
    ]);
    let ed = SigningPrivateKey::from_any(&read("ed.pem"), None).unwrap();
    assert_eq!(
        SigningPublicKey::from_any(&read("ed.pub.pem")).unwrap(),
        *ed.public_key()
    );
    SigningPrivateKey::from_any(&read("ed-enc.pem"), Some(b"pw")).unwrap();
    // OpenSSL's signature verifies with our key.
    std::fs::write(dir.join("m"), b"grant").unwrap();
    openssl(&[
        "pkeyutl",
        "-sign",
        "-inkey",
        &d("ed.pem"),
        "-rawin",
        "-in",
        &d("m"),
        "-out",
        &d("m.sig"),
    ]);
    ed.public_key()
        .verify(b"grant", &std::fs::read(dir.join("m.sig")).unwrap())
        .unwrap();
}

#[test]
fn identity_export_import_and_passphrase_errors() {
    let mut rng = ChaCha20Rng::seed_from_u64(44);
    let identity = Identity::generate(&mut rng, "David (synthetic)", 2048).unwrap();
    let file = identity
        .export(&mut rng, b"long passphrase", MIN_ITERATIONS)
        .unwrap();
    let back = Identity::import(&file, b"long passphrase").unwrap();
    assert_eq!(back.name, "David (synthetic)");
    assert_eq!(back.encryption.key_id(), identity.encryption.key_id());
    assert_eq!(back.signing.key_id(), identity.signing.key_id());
    assert_eq!(
        Identity::import(&file, b"long passphrasf").unwrap_err(),
        Error::WrongPassphrase
    );
    assert!(
        !String::from_utf8_lossy(&file).contains("David"),
        "the name is encrypted too"
    );
    // Tampering with the ciphertext after the key wrap: authentication fails.
    let mut doc: serde_json::Value = serde_json::from_slice(&file).unwrap();
    let ct = doc["ciphertext"].as_str().unwrap().to_owned();
    doc["ciphertext"] = format!(
        "{}{}",
        if ct.starts_with('A') { "B" } else { "A" },
        &ct[1..]
    )
    .into();
    assert_eq!(
        Identity::import(doc.to_string().as_bytes(), b"long passphrase").unwrap_err(),
        Error::DecryptionFailed
    );
    assert_eq!(
        Identity::generate(&mut rng, "", 2048).unwrap_err().code(),
        "InvalidInput"
    );
    assert_eq!(
        Identity::import(b"{}", b"x").unwrap_err().code(),
        "KeyFormat"
    );
    const { assert!(DEFAULT_ITERATIONS >= 210_000) };
}
