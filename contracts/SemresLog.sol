// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

/// @title SEMRES anchor log (SPEC.md §6.4)
/// @notice An append-only log of SEMRES ledger entries, run on the consortium's
/// Proof-of-Authority chain (QBFT). Only member accounts may append; membership changes by a
/// strict majority of the members. The contract checks nothing in an entry but its size:
/// every hospital's node replays the log with the same rules (SPEC §6.5), so an entry that
/// breaks a rule is skipped by all of them alike.
contract SemresLog {
    /// Largest entry, bytes (a SEMRES block is at most 64 KiB).
    uint256 public constant MAX_ENTRY_BYTES = 65536;
    /// Most entries in one call.
    uint256 public constant MAX_BATCH = 256;

    /// One entry, numbered from 0 without gaps in the order the chain holds them.
    event Appended(uint64 indexed seq, bytes entry);
    /// An account became a member.
    event MemberAdded(address indexed account);
    /// An account stopped being a member.
    event MemberRemoved(address indexed account);

    mapping(address => bool) public isMember;
    uint256 public memberCount;
    /// The seq of the next entry.
    uint64 public nextSeq;
    /// Bumped by every membership change: votes cast under an older membership lapse.
    uint64 public epoch;
    mapping(bytes32 => uint256) public votes;
    mapping(bytes32 => mapping(address => bool)) public hasVoted;

    constructor(address[] memory members) {
        require(members.length > 0, "no members");
        for (uint256 i = 0; i < members.length; i++) {
            require(members[i] != address(0) && !isMember[members[i]], "bad member");
            isMember[members[i]] = true;
            emit MemberAdded(members[i]);
        }
        memberCount = members.length;
    }

    modifier onlyMember() {
        require(isMember[msg.sender], "not a member");
        _;
    }

    /// Appends entries, in order.
    function append(bytes[] calldata entries) external onlyMember {
        require(entries.length > 0 && entries.length <= MAX_BATCH, "batch size");
        uint64 seq = nextSeq;
        for (uint256 i = 0; i < entries.length; i++) {
            require(entries[i].length > 0 && entries[i].length <= MAX_ENTRY_BYTES, "entry size");
            emit Appended(seq, entries[i]);
            seq += 1;
        }
        nextSeq = seq;
    }

    /// A member's vote to add or remove `account`; applied once a strict majority of the
    /// current members voted the same.
    function vote(address account, bool add) external onlyMember {
        require(account != address(0), "zero account");
        require(isMember[account] != add, "no change");
        bytes32 proposal = keccak256(abi.encode(account, add, epoch));
        require(!hasVoted[proposal][msg.sender], "already voted");
        hasVoted[proposal][msg.sender] = true;
        votes[proposal] += 1;
        if (2 * votes[proposal] > memberCount) {
            epoch += 1;
            if (add) {
                isMember[account] = true;
                memberCount += 1;
                emit MemberAdded(account);
            } else {
                require(memberCount > 1, "last member");
                isMember[account] = false;
                memberCount -= 1;
                emit MemberRemoved(account);
            }
        }
    }
}
