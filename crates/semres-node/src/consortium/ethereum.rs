//! The consortium's Ethereum chain through JSON-RPC (SPEC §6.4): deploying the anchoring
//! contract, sending `append` transactions signed here with the member's account key (legacy
//! transactions at gas price 0, our own nonces, the identical transaction resent when a
//! receipt is late), and reading `Appended` logs with their blocks' hashes and times. Any
//! EVM chain whose engine gives immediate finality (Besu QBFT) or a known confirmation depth
//! will do; tests use anvil.

use std::time::Duration;

use alloy::consensus::{SignableTransaction, TxEnvelope, TxLegacy};
use alloy::eips::eip2718::Encodable2718;
use alloy::eips::BlockNumberOrTag;
use alloy::network::Ethereum;
use alloy::primitives::{Address, Bytes, TxKind, B256, U256};
use alloy::providers::{Provider, ProviderBuilder, RootProvider};
use alloy::rpc::types::Filter;
use alloy::signers::local::PrivateKeySigner;
use alloy::signers::SignerSync;
use alloy::sol;
use alloy::sol_types::{SolCall, SolEvent, SolValue};

sol! {
    /// The anchoring contract's interface (contracts/SemresLog.sol).
    interface SemresLog {
        event Appended(uint64 indexed seq, bytes entry);
        function append(bytes[] entries) external;
        function vote(address account, bool add) external;
        function nextSeq() external view returns (uint64);
    }
}

/// The committed build of contracts/SemresLog.sol (checked against a fresh compile by a
/// test).
const ARTIFACT: &str = include_str!("../../../../contracts/SemresLog.json");

/// Why a chain operation failed (never holds an entry's content).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainError {
    /// The node could not be reached, or answered nonsense.
    Rpc(String),
    /// A transaction reverted (the account is not a member, a batch is too large).
    Reverted(String),
    /// No receipt within the time allowed (the transaction may still be mined).
    Timeout,
}

impl std::fmt::Display for ChainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChainError::Rpc(e) => write!(f, "Ethereum JSON-RPC: {e}"),
            ChainError::Reverted(e) => write!(f, "the transaction reverted: {e}"),
            ChainError::Timeout => f.write_str("no receipt in time"),
        }
    }
}

fn rpc(e: impl std::fmt::Display) -> ChainError {
    ChainError::Rpc(e.to_string())
}

/// One `Appended` log, where it is and when its block was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendedLog {
    /// The contract's sequence number.
    pub seq: u64,
    /// The entry bytes as written.
    pub entry: Vec<u8>,
    /// Ethereum block number.
    pub block_number: u64,
    /// Ethereum block hash.
    pub block_hash: [u8; 32],
    /// Transaction hash.
    pub transaction_hash: [u8; 32],
    /// Index of the log in its block.
    pub log_index: u64,
}

/// An Ethereum block's hash and timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockInfo {
    /// Its hash.
    pub hash: [u8; 32],
    /// Its timestamp, Unix seconds.
    pub time: i64,
}

/// A connection to the chain, as one member account.
pub struct Chain {
    provider: RootProvider<Ethereum>,
    contract: Address,
    chain_id: u64,
    signer: PrivateKeySigner,
    receipt_timeout: Duration,
}

/// Gas for an `append` of `n` entries of `bytes` bytes in all (generous: gas is free here,
/// and a real chain refuses a transaction over its block gas limit at once).
fn append_gas(n: usize, bytes: usize) -> u64 {
    let n = u64::try_from(n).unwrap_or(u64::MAX);
    let bytes = u64::try_from(bytes).unwrap_or(u64::MAX);
    60_000u64
        .saturating_add(n.saturating_mul(12_000))
        .saturating_add(bytes.saturating_mul(80))
}

impl Chain {
    /// Connects to the JSON-RPC endpoint `url` as the account of `signer`, for the contract
    /// at `contract`; reads the chain id.
    pub async fn connect(
        url: &str,
        contract: [u8; 20],
        signer: PrivateKeySigner,
    ) -> Result<Chain, ChainError> {
        let url = url.parse().map_err(rpc)?;
        let provider = ProviderBuilder::new()
            .disable_recommended_fillers()
            .network::<Ethereum>()
            .connect_http(url)
            .root()
            .clone();
        let chain_id = provider.get_chain_id().await.map_err(rpc)?;
        Ok(Chain {
            provider,
            contract: Address::from(contract),
            chain_id,
            signer,
            receipt_timeout: Duration::from_secs(20),
        })
    }

    /// The chain id.
    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// This member's account.
    pub fn account(&self) -> [u8; 20] {
        self.signer.address().into_array()
    }

    /// Deploys the anchoring contract with `members` as its first members; returns its
    /// address once the deployment is mined.
    pub async fn deploy(
        url: &str,
        signer: PrivateKeySigner,
        members: &[[u8; 20]],
    ) -> Result<[u8; 20], ChainError> {
        let artifact: serde_json::Value = serde_json::from_str(ARTIFACT).map_err(rpc)?;
        let code = artifact["bytecode"]
            .as_str()
            .and_then(|h| semres::hex::decode(h.trim_start_matches("0x")))
            .ok_or_else(|| rpc("the contract artifact has no bytecode"))?;
        let members: Vec<Address> = members.iter().map(|m| Address::from(*m)).collect();
        let mut input = code;
        input.extend_from_slice(&members.abi_encode_params());
        let chain = Chain::connect(url, [0; 20], signer).await?;
        let nonce = chain.pending_nonce().await?;
        let tx = chain.legacy(nonce, TxKind::Create, input, 3_000_000);
        let hash = chain.send(&tx).await?;
        let receipt = chain.wait_receipt(hash, chain.receipt_timeout).await?;
        receipt
            .contract_address
            .map(Address::into_array)
            .ok_or_else(|| rpc("no contract address in the deployment's receipt"))
    }

    fn legacy(&self, nonce: u64, to: TxKind, input: Vec<u8>, gas_limit: u64) -> TxLegacy {
        TxLegacy {
            chain_id: Some(self.chain_id),
            nonce,
            // A consortium chain runs without fees (Besu: min-gas-price 0, zero base fee).
            gas_price: 0,
            gas_limit,
            to,
            value: U256::ZERO,
            input: Bytes::from(input),
        }
    }

    /// The account's next nonce, pending transactions included.
    pub async fn pending_nonce(&self) -> Result<u64, ChainError> {
        self.provider
            .get_transaction_count(self.signer.address())
            .pending()
            .await
            .map_err(rpc)
    }

    /// Signs `tx` and sends it; returns its hash. Sending the same transaction again sends
    /// the same bytes (same nonce, same signature): it can only be mined once.
    pub async fn send(&self, tx: &TxLegacy) -> Result<[u8; 32], ChainError> {
        let signature = self
            .signer
            .sign_hash_sync(&tx.signature_hash())
            .map_err(rpc)?;
        let envelope = TxEnvelope::Legacy(tx.clone().into_signed(signature));
        let raw = envelope.encoded_2718();
        let hash = *envelope.tx_hash();
        match self.provider.send_raw_transaction(&raw).await {
            Ok(_) => Ok(hash.0),
            // Resent: the node already has it (or mined it). The receipt tells.
            Err(e) if e.to_string().to_lowercase().contains("already") => Ok(hash.0),
            Err(e) => Err(rpc(e)),
        }
    }

    async fn wait_receipt(
        &self,
        hash: [u8; 32],
        timeout: Duration,
    ) -> Result<alloy::rpc::types::TransactionReceipt, ChainError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(r) = self
                .provider
                .get_transaction_receipt(B256::from(hash))
                .await
                .map_err(rpc)?
            {
                if !r.status() {
                    return Err(ChainError::Reverted(format!(
                        "transaction 0x{}",
                        semres::hex::encode(&hash)
                    )));
                }
                return Ok(r);
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(ChainError::Timeout);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The transaction of `append(entries)` with `nonce` (build once, send until mined).
    pub fn append_transaction(&self, nonce: u64, entries: &[Vec<u8>]) -> TxLegacy {
        let call = SemresLog::appendCall {
            entries: entries.iter().map(|e| Bytes::from(e.clone())).collect(),
        };
        let bytes: usize = entries.iter().map(Vec::len).sum();
        self.legacy(
            nonce,
            TxKind::Call(self.contract),
            call.abi_encode(),
            append_gas(entries.len(), bytes),
        )
    }

    /// The transaction of this member's vote to add or remove `account` (SPEC §6.4).
    pub fn vote_transaction(&self, nonce: u64, account: [u8; 20], add: bool) -> TxLegacy {
        let call = SemresLog::voteCall {
            account: Address::from(account),
            add,
        };
        self.legacy(
            nonce,
            TxKind::Call(self.contract),
            call.abi_encode(),
            200_000,
        )
    }

    /// Sends `tx` and waits for its receipt; on a late receipt, sends the identical
    /// transaction again, up to `attempts` times. Returns the Ethereum block it is in.
    pub async fn send_until_mined(&self, tx: &TxLegacy, attempts: u32) -> Result<u64, ChainError> {
        let mut last = ChainError::Timeout;
        for _ in 0..attempts.max(1) {
            let hash = match self.send(tx).await {
                Ok(h) => h,
                Err(e) => {
                    last = e;
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    continue;
                }
            };
            match self.wait_receipt(hash, self.receipt_timeout).await {
                Ok(r) => return r.block_number.ok_or_else(|| rpc("a receipt without block")),
                Err(ChainError::Reverted(e)) => return Err(ChainError::Reverted(e)),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// The latest block number.
    pub async fn head(&self) -> Result<u64, ChainError> {
        self.provider.get_block_number().await.map_err(rpc)
    }

    /// Block `number`'s hash and time, if the chain has it.
    pub async fn block(&self, number: u64) -> Result<Option<BlockInfo>, ChainError> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Number(number))
            .await
            .map_err(rpc)?;
        Ok(block.map(|b| BlockInfo {
            hash: b.header.hash.0,
            time: i64::try_from(b.header.timestamp).unwrap_or(i64::MAX),
        }))
    }

    /// The contract's `Appended` logs in blocks `from..=to`, in chain order.
    pub async fn appended(&self, from: u64, to: u64) -> Result<Vec<AppendedLog>, ChainError> {
        let filter = Filter::new()
            .address(self.contract)
            .event_signature(SemresLog::Appended::SIGNATURE_HASH)
            .from_block(from)
            .to_block(to);
        let logs = self.provider.get_logs(&filter).await.map_err(rpc)?;
        let mut out = Vec::with_capacity(logs.len());
        for log in logs {
            let decoded = SemresLog::Appended::decode_log_data(log.data())
                .map_err(|_| rpc("a log that is not Appended"))?;
            out.push(AppendedLog {
                seq: decoded.seq,
                entry: decoded.entry.to_vec(),
                block_number: log.block_number.ok_or_else(|| rpc("a log without block"))?,
                block_hash: log
                    .block_hash
                    .ok_or_else(|| rpc("a log without block hash"))?
                    .0,
                transaction_hash: log
                    .transaction_hash
                    .ok_or_else(|| rpc("a log without transaction"))?
                    .0,
                log_index: log.log_index.ok_or_else(|| rpc("a log without index"))?,
            });
        }
        out.sort_by_key(|l| (l.block_number, l.log_index));
        Ok(out)
    }
}
