//! Files a node or a command writes: atomically (a temporary file beside the target, synced,
//! then renamed), so that a crash never leaves a partial key, identity or output file.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` atomically: a temporary file beside it (mode 0600 when
/// `private`), flushed to disk, then renamed. Nothing is left behind on failure.
pub fn write_atomically(path: &Path, bytes: &[u8], private: bool) -> std::io::Result<()> {
    let mut file = AtomicFile::create(path, private)?;
    file.write_all(bytes)?;
    file.commit()
}

/// A file written piece by piece that appears at its path only when [`AtomicFile::commit`]
/// succeeds: until then it is a temporary file beside the target, removed if the writer is
/// dropped (an error, a refused SMeR) — so a reader never sees a partial output.
pub struct AtomicFile {
    temp: PathBuf,
    path: PathBuf,
    file: Option<File>,
}

impl AtomicFile {
    /// Creates the temporary file for `path` (mode 0600 when `private`).
    pub fn create(path: &Path, private: bool) -> std::io::Result<Self> {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temp = dir.join(format!(".{name}.semres-{}.tmp", std::process::id()));
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(if private { 0o600 } else { 0o644 });
        }
        let file = options.open(&temp)?;
        Ok(AtomicFile {
            temp,
            path: path.to_owned(),
            file: Some(file),
        })
    }

    /// Flushes the file to disk and renames it to its path.
    pub fn commit(mut self) -> std::io::Result<()> {
        let file = self
            .file
            .take()
            .ok_or_else(|| std::io::Error::other("already committed"))?;
        let result = file.sync_all().and_then(|()| {
            drop(file);
            fs::rename(&self.temp, &self.path)
        });
        if result.is_err() {
            let _ = fs::remove_file(&self.temp);
        }
        result
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &mut self.file {
            Some(file) => file.write(buf),
            None => Err(std::io::Error::other("already committed")),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.file {
            Some(file) => file.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = fs::remove_file(&self.temp);
        }
    }
}
