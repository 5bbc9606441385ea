//! The demo data `npm start` creates: David and Lawson registered (Lawson admitted), named
//! in the directory only, a synthetic My Health Bank record granted to Lawson that his
//! identity file opens; seeding is done once.

use std::path::Path;

use rand_core::SeedableRng;

use semres::identity::Identity;
use semres::smer::{self, Limits};
use semres_node::demo::seed_if_new;
use semres_node::node::{verify_data_dir, Node};

#[test]
fn the_demo_is_seeded_once_and_lawson_can_open_davids_record() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("demo");
    let _ = std::fs::remove_dir_all(&dir);
    let node = Node::open(&dir, None).unwrap();
    let lines = seed_if_new(&node, &dir).unwrap();
    assert!(
        lines.iter().any(|l| l.contains("David")) && lines.iter().any(|l| l.contains("Lawson")),
        "{lines:?}"
    );
    assert_eq!(
        node.view().state().size(),
        4,
        "genesis, two registrations, one grant"
    );
    assert!(
        seed_if_new(&node, &dir).unwrap().is_empty(),
        "seeded only once"
    );
    drop(node);

    let lawson = Identity::import(
        &std::fs::read(dir.join("demo/lawson.identity.json")).unwrap(),
        b"lawson-demo-passphrase",
    )
    .unwrap();
    assert_eq!(lawson.name, "Lawson");
    let sealed = std::fs::read(dir.join("demo/myhealthbank.smer.json")).unwrap();
    let mut rng = rand_chacha::ChaCha20Rng::from_seed([5; 32]);
    let record = smer::open(&sealed, &lawson.encryption, &mut rng, &Limits::default()).unwrap();
    let text = String::from_utf8(record.record.to_vec()).unwrap();
    assert!(text.contains("Metformin 500 mg") && text.contains("E119"));
    let node = Node::open(&dir, None).unwrap();
    let grant = node
        .view()
        .state()
        .grants()
        .next()
        .map(|(_, g)| g.clone())
        .unwrap();
    assert_eq!(grant.recipient, lawson.signing.key_id());
    assert!(node.view().state().may_read(
        lawson.signing.key_id(),
        &semres::dery::smer_hash(&sealed),
        grant.expires.unwrap() - 1
    ));
    drop(node);
    assert_eq!(verify_data_dir(&dir).unwrap(), (4, 1));
}
