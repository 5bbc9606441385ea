//! `cargo xtask fuzz-seeds`: the fuzz targets' seed corpora (`fuzz/corpus/<target>/`), made
//! from the conformance vectors in `tests/vectors` — every SMeR (v1 and streamed), block, entry, checkpoint,
//! proof and chain there, the vectors' keys in each format, an identity file and signed
//! request headers — in each target's input layout (see `fuzz/fuzz_targets/*.rs`).

use std::collections::BTreeMap;
use std::path::Path;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use semres::identity::signing::SigningPrivateKey;
use semres::ledger::merkle::Hash;
use semres::ledger::request::SignedRequest;
use semres::ledger::{chain_file, Block};
use semres::{EncryptionPrivateKey, Identity};
use serde_json::Value;

/// Seeds by target name.
pub type Seeds = BTreeMap<&'static str, Vec<Vec<u8>>>;

fn json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(crate::err)
}

fn list<'a>(v: &'a Value, key: &str) -> Result<&'a Vec<Value>, String> {
    v[key]
        .as_array()
        .ok_or_else(|| format!("no {key} in the vectors"))
}

fn b64(v: &Value) -> Result<Vec<u8>, String> {
    v.as_str()
        .and_then(semres::b64::decode)
        .ok_or_else(|| "not base64url".to_owned())
}

fn std_b64(v: &Value) -> Result<Hash, String> {
    use base64ct::{Base64, Encoding};
    let bytes = Base64::decode_vec(v.as_str().ok_or("not a string")?).map_err(crate::err)?;
    bytes.try_into().map_err(|_| "not 32 bytes".to_owned())
}

fn smer_seeds(vectors: &Value, seeds: &mut Seeds) -> Result<EncryptionPrivateKey, String> {
    for (i, case) in (0u8..).zip(list(vectors, "cases")?) {
        let smer = case["smer"]
            .as_str()
            .ok_or("a case without smer")?
            .as_bytes();
        let mut input = vec![i % 0x80];
        input.extend_from_slice(smer);
        seeds.entry("smer").or_default().push(input);
        seeds.entry("smer_open").or_default().push(smer.to_vec());
        // Every base64url member of the SMeR, for the decoders (valid or not, as the case is).
        if let Ok(Value::Object(members)) = serde_json::from_slice::<Value>(smer) {
            for value in members.values() {
                if let Some(text) = value.as_str().filter(|t| t.len() <= 4096) {
                    seeds
                        .entry("base64url")
                        .or_default()
                        .push(text.as_bytes().to_vec());
                }
            }
        }
    }
    let pem = vectors["keys"]["alice"]["private_pkcs8_pem"]
        .as_str()
        .ok_or("no alice key")?;
    EncryptionPrivateKey::from_pem(pem, None).map_err(crate::err)
}

/// Every streamed SMeR of the vectors, as the raw input of `smer_stream` (an even control
/// byte: the head parser and the record layer on the bytes as they are).
fn smer_stream_seeds(vectors: &Value, seeds: &mut Seeds) -> Result<(), String> {
    for (i, case) in (0u8..).zip(list(vectors, "cases")?) {
        let text = case["smer_hex"].as_str().ok_or("a case without smer_hex")?;
        let bytes = semres::hex::decode(text).ok_or("smer_hex is not hex")?;
        let mut input = vec![(i % 0x40) << 1];
        input.extend_from_slice(&bytes);
        seeds.entry("smer_stream").or_default().push(input);
    }
    Ok(())
}

fn key_seeds(rsa: &EncryptionPrivateKey, seeds: &mut Seeds) -> Result<(), String> {
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let ed = SigningPrivateKey::generate(&mut rng).map_err(crate::err)?;
    let public = rsa.public_key();
    let texts: Vec<(u8, String)> = vec![
        (0, rsa.to_pkcs8_pem().map_err(crate::err)?.to_string()),
        (0, rsa.to_pkcs1_pem().map_err(crate::err)?.to_string()),
        (0, rsa.to_jwk().map_err(crate::err)?.to_string()),
        (0, rsa.to_dotnet_xml().map_err(crate::err)?.to_string()),
        (
            1,
            rsa.to_encrypted_pkcs8_pem(&mut rng, b"x")
                .map_err(crate::err)?
                .to_string(),
        ),
        (0, public.to_pem().map_err(crate::err)?),
        (0, public.to_pkcs1_pem().map_err(crate::err)?),
        (0, public.to_jwk()),
        (0, public.to_dotnet_xml()),
        (0, ed.to_pkcs8_pem().map_err(crate::err)?.to_string()),
        (
            1,
            ed.to_encrypted_pkcs8_pem(&mut rng, b"x")
                .map_err(crate::err)?
                .to_string(),
        ),
        (0, ed.to_jwk().to_string()),
        (0, ed.public_key().to_pem().map_err(crate::err)?),
        (0, ed.public_key().to_jwk()),
    ];
    for (control, text) in texts {
        let mut input = vec![control];
        input.extend_from_slice(text.as_bytes());
        seeds.entry("key_import").or_default().push(input);
    }
    let identity = Identity {
        name: "Synthetic Fuzz".into(),
        encryption: rsa.clone(),
        signing: ed.clone(),
    };
    let file = identity
        .export(&mut rng, b"correct horse battery staple", 1000)
        .map_err(crate::err)?;
    seeds.entry("identity_file").or_default().push(file);
    // Signed-request headers: five lines and a clock.
    let request = SignedRequest::sign(&ed, "GET", "/api/v1/checkpoint", 1000, &[9; 18], [3; 32]);
    let lines: Vec<String> = request.headers().into_iter().map(|(_, v)| v).collect();
    for now in ["1000", "-9223372036854775808", "9223372036854775807"] {
        let text = format!("{}\n{now}", lines.join("\n"));
        seeds
            .entry("request_headers")
            .or_default()
            .push(text.into_bytes());
    }
    Ok(())
}

fn ledger_seeds(vectors: &Value, seeds: &mut Seeds) -> Result<(), String> {
    let add_block = |bytes: Vec<u8>, seeds: &mut Seeds| {
        if let Ok(block) = Block::from_bytes(&bytes) {
            seeds
                .entry("entry")
                .or_default()
                .push(block.entry.to_bytes());
        }
        seeds.entry("block").or_default().push(bytes);
    };
    for case in list(vectors, "blocks")? {
        add_block(b64(&case["block"])?, seeds);
    }
    for chain in list(vectors, "chains")? {
        let mut file = Vec::new();
        for block in list(chain, "blocks")? {
            let bytes = b64(block)?;
            chain_file::push(&mut file, &bytes).map_err(crate::err)?;
            add_block(bytes, seeds);
        }
        seeds.entry("chain_file").or_default().push(file);
    }
    for case in list(vectors, "checkpoints")? {
        let note = case["note"].as_str().ok_or("a checkpoint without note")?;
        seeds
            .entry("checkpoint")
            .or_default()
            .push(note.as_bytes().to_vec());
    }
    for case in list(vectors, "proofs")? {
        let number = |key: &str| case[key].as_u64().unwrap_or(0);
        let (a, b) = if case["kind"] == "inclusion" {
            (number("index"), number("size"))
        } else {
            (number("size1"), number("size2"))
        };
        let mut input = a.to_be_bytes().to_vec();
        input.extend_from_slice(&b.to_be_bytes());
        for hash in case["proof"].as_array().into_iter().flatten() {
            input.extend_from_slice(&std_b64(hash)?);
        }
        seeds.entry("proofs").or_default().push(input);
    }
    Ok(())
}

fn consortium_seeds(vectors: &Value, seeds: &mut Seeds) -> Result<(), String> {
    let mut add = |text: &Value| -> Result<(), String> {
        let text = text.as_str().ok_or("not a note")?;
        seeds
            .entry("consortium")
            .or_default()
            .push(text.as_bytes().to_vec());
        Ok(())
    };
    for case in list(vectors, "consortium_files")?
        .iter()
        .chain(list(vectors, "checkpoints")?)
    {
        add(&case["note"])?;
    }
    for case in list(vectors, "equivocations")? {
        let pair = format!(
            "{}\u{0}{}",
            case["a"].as_str().ok_or("a")?,
            case["b"].as_str().ok_or("b")?
        );
        seeds
            .entry("consortium")
            .or_default()
            .push(pair.into_bytes());
    }
    Ok(())
}

/// Every target's seeds, from the vectors in `vectors_dir`.
pub fn generate(vectors_dir: &Path) -> Result<Seeds, String> {
    let mut seeds = Seeds::new();
    let smer = json(&vectors_dir.join("smer/smer_v1.json"))?;
    let ledger = json(&vectors_dir.join("ledger/ledger_v1.json"))?;
    let consortium = json(&vectors_dir.join("ledger/consortium_v1.json"))?;
    let alice = smer_seeds(&smer, &mut seeds)?;
    smer_stream_seeds(
        &json(&vectors_dir.join("smer/smer_stream_v1.json"))?,
        &mut seeds,
    )?;
    consortium_seeds(&consortium, &mut seeds)?;
    key_seeds(&alice, &mut seeds)?;
    ledger_seeds(&ledger, &mut seeds)?;
    for list in seeds.values_mut() {
        list.sort();
        list.dedup();
    }
    Ok(seeds)
}

/// Writes the seeds to `out/<target>/<sha256 of the input>` (libFuzzer's naming, so that
/// seeds and the inputs a run adds never collide).
pub fn write(seeds: &Seeds, out: &Path) -> Result<usize, String> {
    let mut n = 0;
    for (target, inputs) in seeds {
        let dir = out.join(target);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for input in inputs {
            let name = semres::hex::encode(&semres::smer_hash(input));
            std::fs::write(dir.join(&name[..40]), input).map_err(crate::err)?;
            n += 1;
        }
    }
    Ok(n)
}
