//! Frames (帧): the messages of the `gridloop/sync/1` protocol and their byte encoding.
//!
//! On the wire a frame is a 4-byte big-endian length, one flag byte (0 plain, 1 deflated)
//! and a postcard body. Change batches are deflated when that makes them smaller: the JSON
//! inside Automerge changes compresses well, which keeps bytes on the wire below the raw
//! change bytes.

use serde::{Deserialize, Serialize};
use std::io::{Read, Write};

/// The ALPN of the protocol.
pub const ALPN: &[u8] = b"gridloop/sync/1";
/// The protocol version carried in [`Frame::Hello`].
pub const VERSION: u32 = 2;
/// The largest frame accepted (length prefix included): 16 MiB.
pub const MAX_FRAME: usize = 16 << 20;
/// Bodies at least this long are tried deflated.
const DEFLATE_MIN: usize = 512;

/// A change as carried in a batch (线上变更): the envelope with the case id in binary and
/// the author as an index into the batch's author table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireChange {
    /// The case id, 16 bytes.
    pub case: Vec<u8>,
    /// Index of the author in [`Frame::Changes::authors`].
    pub author: u16,
    /// Raw Automerge change bytes.
    pub change: Vec<u8>,
    /// The author's Ed25519 signature (64 bytes).
    pub signature: Vec<u8>,
}

/// One protocol message (协议帧).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Frame {
    /// First frame each way: who I am, my log epoch, and the roster version I hold.
    Hello {
        /// [`VERSION`].
        version: u32,
        /// My node id.
        node: String,
        /// My unit (the scope I may receive).
        unit: String,
        /// My log epoch.
        epoch: String,
        /// The version of the roster I hold.
        roster: u64,
        /// The newest district configuration version I hold (配置版本).
        config: u64,
    },
    /// Where to start your feed for me: the last position of it I have applied for your
    /// current epoch (0 for everything).
    Resume {
        /// Feed position.
        from: u64,
    },
    /// A batch of my feed for you, covering positions `from+1 ..= upto`.
    Changes {
        /// The position this batch continues from.
        from: u64,
        /// The last position it covers.
        upto: u64,
        /// Author node ids used by the batch.
        authors: Vec<String>,
        /// The changes, in feed order.
        changes: Vec<WireChange>,
    },
    /// I have durably applied your feed up to `upto`.
    Ack {
        /// Feed position.
        upto: u64,
    },
    /// You have everything of my feed up to `head`; new changes follow live.
    CaughtUp {
        /// Feed position.
        head: u64,
    },
    /// Please send what I lack of this case: I hold these heads (repair, 修复).
    Want {
        /// Case id, 16 bytes.
        case: Vec<u8>,
        /// My heads for it (32-byte hashes).
        have: Vec<Vec<u8>>,
    },
    /// The changes of a case the asker lacks, in causal order (answer to [`Frame::Want`]).
    Repair {
        /// Author node ids used by the changes.
        authors: Vec<String>,
        /// The changes.
        changes: Vec<WireChange>,
    },
    /// Anti-entropy (反熵): my digest of the feed I send you — per day bucket of report
    /// time, the XOR of (case id, heads) hashes and the count of cases.
    Digest {
        /// (bucket, xor, count), ascending by bucket.
        buckets: Vec<(u32, u64, u32)>,
    },
    /// Anti-entropy: the cases I hold in a bucket whose digest differs from yours, with
    /// their heads hashes; bucket `u32::MAX` lists my priority-lane cases (应急通道) you may
    /// receive, sent before my `Resume`.
    Bucket {
        /// The bucket.
        bucket: u32,
        /// (case id 16 bytes, heads hash).
        cases: Vec<(Vec<u8>, u64)>,
    },
    /// A newer roster, signed by the district root (名册).
    Roster {
        /// The signed roster bytes.
        signed: Vec<u8>,
    },
    /// The district configuration versions I hold (配置), each signed by the root; sent when
    /// the peer's hello names an older version.
    Config {
        /// The configuration history bytes.
        history: Vec<u8>,
    },
    /// The sender refuses the session, with a reason; it closes next.
    Refuse {
        /// Why.
        reason: String,
    },
    /// The drill purge order in force at the sender (演练清除令), signed by its issuer.
    Purge {
        /// The signed order bytes.
        signed: Vec<u8>,
    },
    /// Anti-entropy, first step: my whole digest of the feed I send you folded into one
    /// entry (the XOR over every bucket and the total count). Equal to yours: nothing to
    /// compare; otherwise ask for the buckets with [`Frame::DigestWanted`].
    DigestRoot {
        /// XOR of every bucket's hash.
        xor: u64,
        /// Cases in all buckets.
        count: u64,
    },
    /// Your digest root differs from mine: send the whole [`Frame::Digest`].
    DigestWanted,
}

impl Frame {
    /// A short name for logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Frame::Hello { .. } => "hello",
            Frame::Resume { .. } => "resume",
            Frame::Changes { .. } => "changes",
            Frame::Ack { .. } => "ack",
            Frame::CaughtUp { .. } => "caught-up",
            Frame::Want { .. } => "want",
            Frame::Repair { .. } => "repair",
            Frame::Digest { .. } => "digest",
            Frame::Bucket { .. } => "bucket",
            Frame::Roster { .. } => "roster",
            Frame::Config { .. } => "config",
            Frame::Refuse { .. } => "refuse",
            Frame::Purge { .. } => "purge",
            Frame::DigestRoot { .. } => "digest-root",
            Frame::DigestWanted => "digest-wanted",
        }
    }
}

/// Why bytes are not a frame (帧错误).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FrameError {
    /// The length prefix announces more than [`MAX_FRAME`].
    #[error("frame of {0} bytes exceeds the {MAX_FRAME}-byte limit")]
    TooLarge(usize),
    /// A frame shorter than its header.
    #[error("frame of {0} bytes is shorter than its 1-byte header")]
    TooShort(usize),
    /// An unknown flag byte.
    #[error("unknown frame flag {0}")]
    Flag(u8),
    /// The body does not inflate.
    #[error("frame body does not inflate: {0}")]
    Inflate(String),
    /// The body does not decode as a frame.
    #[error("frame body does not decode: {0}")]
    Body(String),
}

/// Encodes a frame with its length prefix.
pub fn encode(frame: &Frame) -> Vec<u8> {
    let body = postcard::to_allocvec(frame).expect("postcard encoding of a frame cannot fail");
    let mut flag = 0u8;
    let mut payload = body;
    if payload.len() >= DEFLATE_MIN {
        let mut z = flate2::write::DeflateEncoder::new(
            Vec::with_capacity(payload.len() / 2),
            flate2::Compression::fast(),
        );
        let ok = z.write_all(&payload).is_ok();
        if let (true, Ok(small)) = (ok, z.finish())
            && small.len() < payload.len()
        {
            payload = small;
            flag = 1;
        }
    }
    let len = payload.len() + 1;
    let mut out = Vec::with_capacity(len + 4);
    out.extend_from_slice(&(len as u32).to_be_bytes());
    out.push(flag);
    out.extend_from_slice(&payload);
    out
}

/// Reads the length prefix of a frame: how many bytes follow it.
pub fn frame_len(prefix: [u8; 4]) -> Result<usize, FrameError> {
    let len = u32::from_be_bytes(prefix) as usize;
    if len + 4 > MAX_FRAME {
        return Err(FrameError::TooLarge(len));
    }
    if len < 1 {
        return Err(FrameError::TooShort(len));
    }
    Ok(len)
}

/// Decodes a frame body (the bytes after the length prefix).
pub fn decode(bytes: &[u8]) -> Result<Frame, FrameError> {
    let (&flag, body) = bytes
        .split_first()
        .ok_or(FrameError::TooShort(bytes.len()))?;
    match flag {
        0 => postcard::from_bytes(body).map_err(|e| FrameError::Body(e.to_string())),
        1 => {
            let mut out = Vec::new();
            flate2::read::DeflateDecoder::new(body)
                .take(MAX_FRAME as u64 + 1)
                .read_to_end(&mut out)
                .map_err(|e| FrameError::Inflate(e.to_string()))?;
            if out.len() > MAX_FRAME {
                return Err(FrameError::TooLarge(out.len()));
            }
            postcard::from_bytes(&out).map_err(|e| FrameError::Body(e.to_string()))
        }
        f => Err(FrameError::Flag(f)),
    }
}

/// Splits a buffer into the frames it holds (for tests and the fuzz target): complete frames
/// are decoded; an incomplete tail is left.
pub fn decode_stream(mut buf: &[u8]) -> Result<Vec<Frame>, FrameError> {
    let mut out = Vec::new();
    while buf.len() >= 4 {
        let len = frame_len([buf[0], buf[1], buf[2], buf[3]])?;
        if buf.len() < 4 + len {
            break;
        }
        out.push(decode(&buf[4..4 + len])?);
        buf = &buf[4 + len..];
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> Vec<Frame> {
        vec![
            Frame::Hello {
                version: VERSION,
                node: "n110101".into(),
                unit: "110101".into(),
                epoch: "ab".repeat(16),
                roster: 3,
                config: 2,
            },
            Frame::Resume { from: 42 },
            Frame::Changes {
                from: 1,
                upto: 9,
                authors: vec!["a".into(), "b".into()],
                changes: vec![WireChange {
                    case: vec![7; 16],
                    author: 1,
                    change: b"{\"json\":\"text text text text\"}".repeat(40),
                    signature: vec![1; 64],
                }],
            },
            Frame::Ack { upto: 9 },
            Frame::CaughtUp { head: 9 },
            Frame::Want {
                case: vec![1; 16],
                have: vec![vec![2; 32]],
            },
            Frame::Refuse {
                reason: "unknown node".into(),
            },
        ]
    }

    #[test]
    fn frames_round_trip_and_large_ones_deflate() {
        for f in sample() {
            let bytes = encode(&f);
            let len = frame_len(bytes[..4].try_into().unwrap()).unwrap();
            assert_eq!(len + 4, bytes.len());
            assert_eq!(decode(&bytes[4..]).unwrap(), f);
        }
        let big = encode(&sample()[2]);
        assert_eq!(big[4], 1, "a repetitive batch is sent deflated");
        assert!(big.len() < 400);
    }

    #[test]
    fn bad_bytes_are_named() {
        assert_eq!(
            frame_len((MAX_FRAME as u32).to_be_bytes()),
            Err(FrameError::TooLarge(MAX_FRAME))
        );
        assert_eq!(decode(&[]), Err(FrameError::TooShort(0)));
        assert_eq!(decode(&[9, 0]), Err(FrameError::Flag(9)));
        assert!(matches!(decode(&[0, 200]), Err(FrameError::Body(_))));
        assert!(matches!(decode(&[1, 1, 2, 3]), Err(FrameError::Inflate(_))));
    }

    proptest! {
        #[test]
        fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = decode(&bytes);
            let _ = decode_stream(&bytes);
        }

        #[test]
        fn a_stream_of_frames_splits_back(ix in proptest::collection::vec(0usize..7, 0..12)) {
            let all = sample();
            let frames: Vec<Frame> = ix.iter().map(|i| all[*i].clone()).collect();
            let mut buf = Vec::new();
            for f in &frames {
                buf.extend(encode(f));
            }
            prop_assert_eq!(decode_stream(&buf).unwrap(), frames);
        }
    }
}
