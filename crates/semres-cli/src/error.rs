//! The CLI's one error type: a core error (with its stable code), a file problem, a refusal,
//! or a failure of the ledger node. Printed as one line `semres <command>: <Code>: <message>`.

use std::path::{Path, PathBuf};

use semres::Code;

/// A CLI failure.
#[derive(Debug)]
pub(crate) enum CliError {
    /// An error of the core, reported with its code.
    Core(semres::Error),
    /// A file could not be read or written.
    Io {
        /// The path concerned.
        path: PathBuf,
        /// What happened.
        error: std::io::Error,
    },
    /// A request the command refuses (e.g. it would overwrite a key).
    Refused(String),
    /// The ledger node could not start, or refused (its own code and words).
    Node(semres_node::node::NodeError),
    /// A check or a node's answer failed, with its code (a node's `{code}`, a ledger check).
    Coded(Code, String),
}

impl CliError {
    /// The stable code printed before the message.
    pub(crate) fn code(&self) -> Code {
        match self {
            CliError::Core(e) => e.code(),
            CliError::Io { .. } => Code::Io,
            CliError::Refused(_) => Code::Refused,
            CliError::Node(e) => e.code(),
            CliError::Coded(code, _) => *code,
        }
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CliError::Core(e) => write!(f, "{e}"),
            CliError::Io { path, error } => write!(f, "{}: {error}", path.display()),
            CliError::Refused(why) => f.write_str(why),
            CliError::Node(e) => write!(f, "{e}"),
            CliError::Coded(_, message) => f.write_str(message),
        }
    }
}

impl From<semres::Error> for CliError {
    fn from(e: semres::Error) -> Self {
        CliError::Core(e)
    }
}

impl From<semres_node::node::NodeError> for CliError {
    fn from(e: semres_node::node::NodeError) -> Self {
        CliError::Node(e)
    }
}

/// Result alias of the commands.
pub(crate) type CliResult<T> = Result<T, CliError>;

/// Wraps an I/O error with the path it concerns.
pub(crate) fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> CliError + '_ {
    move |error| CliError::Io {
        path: path.to_owned(),
        error,
    }
}
