//! The consortium engine against anvil (SPEC §6): the anchoring contract deployed and
//! written by member accounts only, its logs read back in order.

use alloy::signers::local::PrivateKeySigner;
use semres_node::consortium::ethereum::{Chain, ChainError};
use xtask::anvil::Anvil;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn the_contract_takes_entries_from_members_only_and_logs_them_in_order() {
    let anvil = Anvil::start(0).unwrap();
    let rt = runtime();
    rt.block_on(async {
        let members: Vec<PrivateKeySigner> = (0..2).map(|_| PrivateKeySigner::random()).collect();
        let accounts: Vec<[u8; 20]> = members.iter().map(|m| m.address().into_array()).collect();
        let contract = Chain::deploy(&anvil.url, members[0].clone(), &accounts)
            .await
            .unwrap();
        let a = Chain::connect(&anvil.url, contract, members[0].clone())
            .await
            .unwrap();
        let b = Chain::connect(&anvil.url, contract, members[1].clone())
            .await
            .unwrap();
        assert_eq!(a.chain_id(), xtask::anvil::CHAIN_ID);
        let tx = a.append_transaction(
            a.pending_nonce().await.unwrap(),
            &[b"one".to_vec(), b"two".to_vec()],
        );
        a.send_until_mined(&tx, 3).await.unwrap();
        // Sending the identical transaction again changes nothing.
        let _ = a.send(&tx).await;
        let tx = b.append_transaction(b.pending_nonce().await.unwrap(), &[b"three".to_vec()]);
        b.send_until_mined(&tx, 3).await.unwrap();
        // A stranger's append reverts.
        let stranger = Chain::connect(&anvil.url, contract, PrivateKeySigner::random())
            .await
            .unwrap();
        let tx = stranger.append_transaction(0, &[b"nope".to_vec()]);
        assert!(matches!(
            stranger.send_until_mined(&tx, 1).await,
            Err(ChainError::Reverted(_))
        ));
        let head = a.head().await.unwrap();
        let logs = a.appended(0, head).await.unwrap();
        let got: Vec<(u64, &[u8])> = logs.iter().map(|l| (l.seq, l.entry.as_slice())).collect();
        assert_eq!(got, vec![(0, &b"one"[..]), (1, b"two"), (2, b"three")]);
        let block = a.block(logs[2].block_number).await.unwrap().unwrap();
        assert_eq!(block.hash, logs[2].block_hash);
    });
}
