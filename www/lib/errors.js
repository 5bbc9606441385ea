// Every error in words a user understands, with its stable code for support: one entry per
// code of the register (src/codes.rs; tests/js/codes.test.mjs checks they match).

export const WORDS = {
  WrongPassphrase: 'That passphrase does not unlock this identity. Check it and try again. If it is lost, the identity cannot be recovered: nobody (not SEMRES, not the hospital) holds a copy of your keys. Create a new identity, or import an exported identity file whose passphrase you know.',
  PassphraseRequired: 'This identity file is protected: enter its passphrase.',
  Locked: 'Unlock your identity first (Identity tab).',
  StorageUnavailable: 'This browser refuses to store data for this site (private browsing?). Use a normal window, or export your identity to a file.',
  WorkerFailed: 'The cryptography worker stopped. Reload the page.',
  DecryptionFailed: 'The record could not be decrypted: it was altered, or it was not sealed for your key.',
  NoMatchingRecipient: 'This record was not sealed for your key.',
  MalformedSmer: 'This is not a valid SMeR.',
  TooLarge: 'The record is larger than SEMRES accepts.',
  UnsupportedAlgorithm: 'The record uses an algorithm SEMRES does not accept.',
  UnsupportedVersion: 'The data or request uses a format version the other side does not know. Update SEMRES (reload the page).',
  KeyFormat: 'That file is not a key or identity SEMRES can read.',
  UnsupportedKeySize: 'That RSA key is too small or too large: SEMRES takes 2048 to 4096 bits.',
  InvalidInput: 'The request was not valid.',
  BadSeal: 'A block\'s authority seal does not verify: the ledger data was altered.',
  UnknownAuthority: 'A block or checkpoint is signed by an authority this browser does not trust. If this ledger\'s authorities really changed (for example a new data directory), pin them again on the Identity page.',
  BadSignature: 'A signature does not verify: the data was altered or signed by someone else.',
  BadProof: 'The Merkle proof does not match the signed checkpoint: the log is not what the authorities signed.',
  BadAnchor: "A block of the consortium ledger is not anchored where it should be on the hospitals' chain.",
  BadConsortium: 'The consortium file is not valid, or not signed by enough of its member hospitals.',
  BadCheckpoint: 'The checkpoint is not validly signed by a trusted authority.',
  BadPreviousHash: 'A block does not link to the one before it: the chain was altered.',
  BadBlockNumber: 'Blocks are missing or out of order.',
  BadTime: 'A block\'s time goes backwards or is too far ahead.',
  BadGenesis: 'The chain does not start with a valid genesis block.',
  MalformedLedgerData: 'The ledger data is damaged or not a SEMRES chain.',
  MissingSignature: 'An entry lacks a required signature.',
  GrantInactive: 'The grant is no longer active (revoked, expired or erased).',
  NotAuthorized: 'You are not authorized for this.',
  NotRegistered: 'This identity is not registered on this ledger yet.',
  Duplicate: 'This was already done.',
  UnknownReference: 'The entry refers to something the ledger does not have.',
  RecipientMismatch: 'That person is not among the SMeR\'s recipients: seal it for them first.',
  HashMismatch: 'The upload was damaged in transit (its hash does not match).',
  CorruptSmer: 'The repository\'s copy of this SMeR no longer matches its hash.',
  Erased: 'The owner erased this record.',
  NotFound: 'Not found on the endpoint.',
  StaleRequest: 'This computer\'s clock differs from the endpoint\'s by more than 5 minutes. Fix the clock and retry.',
  ReplayedRequest: 'The request was sent twice; retry.',
  Unauthenticated: 'The endpoint did not accept the request\'s signature.',
  Internal: 'The endpoint had an internal error.',
  StorageFull: 'The hospital\'s repository is out of disk space: nothing was stored. Try again later, or tell the hospital.',
  QuotaExceeded: 'Your storage in this hospital\'s repository is used up. Erase records you no longer share, then try again.',
  RateLimited: 'Too many requests in a short time: wait a minute and try again.',
  HolderUnavailable: 'The record is kept at another hospital that did not answer just now. Nothing was shown; try again in a moment.',
  NetworkError: 'The endpoint cannot be reached. Check that the server is running.',
  BadRegistration: 'The endpoint gave a key that is not the one registered on the ledger: nothing was sealed to it.',
  HashCheckFailed: 'The SMeR\'s hash does not match the hash the owner signed on the ledger.',
  BadAnswer: 'The endpoint\'s answer is not what it should be (a block that does not carry what was sent, or not a SEMRES answer). Nothing was accepted from it.',
  RandomnessUnavailable: 'This browser could not provide random numbers. Reload the page.',
  Io: 'A file could not be read or written.',
  Refused: 'The request was refused.',
};

export function explain(error) {
  const code = error?.code ?? (error instanceof TypeError ? 'NetworkError' : 'Internal');
  const words = WORDS[code] ?? (error?.message ? `${error.message}` : 'Something went wrong.');
  const where = Number.isFinite(error?.blockIndex) ? ` (block ${error.blockIndex})` : '';
  return `${words}${where} [code ${code}]`;
}
