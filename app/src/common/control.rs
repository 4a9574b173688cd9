//! The node's control socket (控制接口): while `gridloop node` holds a data directory's store,
//! the command line hands each store command to the node over a Unix socket in that directory
//! (`control.sock`, owner-only) and prints what the node sends back; the node runs it on its
//! own open store, as if the operator had typed it there. Only the owner of the socket file
//! may connect: the peer's user id is checked on every connection.

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The control socket in a data directory.
pub const CONTROL_FILE: &str = "control.sock";

/// The largest request a node reads (a command line).
const MAX_REQUEST: u64 = 1 << 20;

/// One command for the node: its arguments (without the program name) and the caller's
/// working directory, against which relative paths are read.
#[derive(Debug, Serialize, Deserialize)]
pub struct Request {
    /// The arguments.
    pub args: Vec<String>,
    /// The caller's working directory.
    pub cwd: PathBuf,
}

/// What the command printed and its exit code.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Reply {
    /// Its standard output.
    pub stdout: String,
    /// Its diagnostics.
    pub stderr: String,
    /// Its exit code.
    pub code: u8,
}

/// What the node does with a request.
pub type Handler = Arc<dyn Fn(Request) -> Reply + Send + Sync>;

/// Hands `req` to the node running on `dir`: `None` when no node listens there (no socket, or
/// a stale one left by a node that was killed).
#[cfg(unix)]
pub fn forward(dir: &Path, req: &Request) -> Result<Option<Reply>> {
    use std::os::unix::net::UnixStream;
    let path = dir.join(CONTROL_FILE);
    let mut stream = match UnixStream::connect(&path) {
        Ok(s) => s,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
            ) =>
        {
            return Ok(None);
        }
        Err(e) => {
            return Err(e).with_context(|| {
                format!(
                    "cannot reach the running node's control socket {}",
                    path.display()
                )
            });
        }
    };
    let mut line = serde_json::to_vec(req)?;
    line.push(b'\n');
    stream.write_all(&line)?;
    stream.shutdown(std::net::Shutdown::Write)?;
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .with_context(|| format!("the running node on {} did not answer", dir.display()))?;
    let reply: Reply = serde_json::from_slice(&answer).with_context(|| {
        format!(
            "the running node on {} sent an answer this program cannot read (is it another \
             version of gridloop?)",
            dir.display()
        )
    })?;
    Ok(Some(reply))
}

/// No control socket off Unix: every command runs on its own.
#[cfg(not(unix))]
pub fn forward(_dir: &Path, _req: &Request) -> Result<Option<Reply>> {
    Ok(None)
}

/// The control socket while a node serves it; removed when dropped (the node stops).
pub struct Control {
    path: PathBuf,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Control {
    fn drop(&mut self) {
        self.task.abort();
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Serves `dir`'s control socket on the current runtime: each connection's request runs on a
/// blocking thread through `handler`, then `after` (the node pushes what the command changed).
/// Refused when another node already serves it.
#[cfg(unix)]
pub fn serve(dir: &Path, handler: Handler, after: Arc<dyn Fn() + Send + Sync>) -> Result<Control> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let path = dir.join(CONTROL_FILE);
    if path.exists() {
        if std::os::unix::net::UnixStream::connect(&path).is_ok() {
            bail!(
                "a node already runs on {} (its control socket answers)",
                dir.display()
            );
        }
        std::fs::remove_file(&path)
            .with_context(|| format!("cannot remove the stale {}", path.display()))?;
    }
    let listener = tokio::net::UnixListener::bind(&path)
        .with_context(|| format!("cannot open the control socket {}", path.display()))?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    let owner = std::fs::metadata(&path)?.uid();
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            if stream.peer_cred().map(|c| c.uid()).ok() != Some(owner) {
                tracing::warn!("control socket: a connection from another user, refused");
                continue;
            }
            let (handler, after) = (Arc::clone(&handler), Arc::clone(&after));
            tokio::spawn(async move {
                if let Err(e) = answer(stream, handler, after).await {
                    tracing::warn!("control socket: {e:#}");
                }
            });
        }
    });
    Ok(Control { path, task })
}

#[cfg(unix)]
async fn answer(
    stream: tokio::net::UnixStream,
    handler: Handler,
    after: Arc<dyn Fn() + Send + Sync>,
) -> Result<()> {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    let (read, mut write) = stream.into_split();
    let mut line = String::new();
    BufReader::new(read.take(MAX_REQUEST))
        .read_line(&mut line)
        .await?;
    let reply = match serde_json::from_str::<Request>(&line) {
        Ok(req) => {
            let reply = tokio::task::spawn_blocking(move || handler(req)).await?;
            after();
            reply
        }
        Err(e) => Reply {
            stderr: format!("error: not a gridloop command request: {e}\n"),
            code: 2,
            ..Reply::default()
        },
    };
    write.write_all(&serde_json::to_vec(&reply)?).await?;
    write.shutdown().await?;
    Ok(())
}

/// No control socket off Unix.
#[cfg(not(unix))]
pub fn serve(
    dir: &Path,
    _handler: Handler,
    _after: Arc<dyn Fn() + Send + Sync>,
) -> Result<Control> {
    Ok(Control {
        path: dir.join(CONTROL_FILE),
        task: tokio::spawn(async {}),
    })
}
