//! Uploaded media: what a file is, decided by its content (never by its
//! name or the type the browser claims), and how large each kind may be.

use crate::{Error, ErrorCode, Result};

/// What an uploaded file is used for.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Video,
    Audio,
    /// Attachments: PDF and Office documents.
    Document,
    Image,
}

impl MediaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Video => "video",
            Self::Audio => "audio",
            Self::Document => "document",
            Self::Image => "image",
        }
    }
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "video" => Ok(Self::Video),
            "audio" => Ok(Self::Audio),
            "document" => Ok(Self::Document),
            "image" => Ok(Self::Image),
            _ => Err(Error::invalid("kind", format!("未知的文件类型：{s}"))),
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Video => "视频",
            Self::Audio => "音频",
            Self::Document => "文档",
            Self::Image => "图片",
        }
    }
    /// The largest file of this kind, in bytes.
    pub fn max_bytes(self) -> u64 {
        match self {
            Self::Video => 1024 * 1024 * 1024,
            Self::Audio => 200 * 1024 * 1024,
            Self::Document => 30 * 1024 * 1024,
            Self::Image => 10 * 1024 * 1024,
        }
    }
}

/// How many leading bytes [`sniff`] needs.
pub const SNIFF_BYTES: usize = 16;

/// What a file is, from its first bytes (and, for Office documents, which
/// are zip archives inside, its name's extension): the kind and the MIME
/// type it is served with. Anything else is refused.
pub fn sniff(head: &[u8], filename: &str) -> Result<(MediaKind, &'static str)> {
    let at = |i: usize, sig: &[u8]| head.get(i..i + sig.len()) == Some(sig);
    let ext = filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let found = if at(4, b"ftyp") {
        if at(8, b"M4A ") || at(8, b"M4B ") {
            Some((MediaKind::Audio, "audio/mp4"))
        } else {
            Some((MediaKind::Video, "video/mp4"))
        }
    } else if at(0, &[0x1A, 0x45, 0xDF, 0xA3]) {
        Some((MediaKind::Video, "video/webm"))
    } else if at(0, b"ID3") || at(0, &[0xFF, 0xFB]) || at(0, &[0xFF, 0xF3]) || at(0, &[0xFF, 0xF2])
    {
        Some((MediaKind::Audio, "audio/mpeg"))
    } else if at(0, b"RIFF") && at(8, b"WAVE") {
        Some((MediaKind::Audio, "audio/wav"))
    } else if at(0, b"OggS") {
        Some((MediaKind::Audio, "audio/ogg"))
    } else if at(0, b"%PDF-") {
        Some((MediaKind::Document, "application/pdf"))
    } else if at(0, b"PK\x03\x04") {
        match ext.as_str() {
            "docx" => Some((
                MediaKind::Document,
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            )),
            "pptx" => Some((
                MediaKind::Document,
                "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            )),
            "xlsx" => Some((
                MediaKind::Document,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )),
            _ => None,
        }
    } else if at(0, &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some((MediaKind::Image, "image/png"))
    } else if at(0, &[0xFF, 0xD8, 0xFF]) {
        Some((MediaKind::Image, "image/jpeg"))
    } else {
        None
    };
    found.ok_or_else(|| {
        Error::invalid(
            "file",
            "不支持的文件：视频请用 MP4 或 WebM，音频请用 MP3、M4A、WAV 或 OGG，附件请用 PDF、Word、PowerPoint、Excel 或图片",
        )
    })
}

/// Refuses a file larger than its kind allows.
pub fn check_size(kind: MediaKind, bytes: u64) -> Result<()> {
    if bytes > kind.max_bytes() {
        return Err(Error::with_message(
            ErrorCode::PayloadTooLarge,
            format!(
                "{}文件不能超过 {} MB",
                kind.label(),
                kind.max_bytes() / 1024 / 1024
            ),
        ));
    }
    Ok(())
}

/// A file name as shown and offered for download: its last path part,
/// without control characters or quotes, at most 100 characters.
pub fn clean_filename(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '\'' | ';'))
        .take(100)
        .collect();
    let cleaned = cleaned.trim().to_owned();
    if cleaned.is_empty() {
        "file".into()
    } else {
        cleaned
    }
}

/// A photo without what the camera wrote beside the picture: in a JPEG the
/// application segments (EXIF with its GPS position, XMP, maker notes) and
/// comments go, the JFIF and Adobe colour segments stay; in a PNG the text,
/// time and EXIF chunks go. Every length is checked against what is left
/// before it is used; a malformed file is refused, never half-copied.
pub fn strip_metadata(bytes: &[u8], mime: &str) -> Result<Vec<u8>> {
    let bad = || Error::invalid("photo", "照片文件已损坏，请重新拍摄或选择");
    match mime {
        "image/jpeg" => {
            if !bytes.starts_with(&[0xFF, 0xD8]) {
                return Err(bad());
            }
            let mut out = Vec::with_capacity(bytes.len());
            out.extend_from_slice(&[0xFF, 0xD8]);
            let mut i = 2;
            loop {
                if i + 4 > bytes.len() || bytes[i] != 0xFF {
                    return Err(bad());
                }
                let marker = bytes[i + 1];
                // Start of scan: the picture itself follows; copy the rest.
                if marker == 0xDA {
                    out.extend_from_slice(&bytes[i..]);
                    return Ok(out);
                }
                let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
                if len < 2 || i + 2 + len > bytes.len() {
                    return Err(bad());
                }
                let keep = match marker {
                    0xE0 | 0xEE => true,         // JFIF, Adobe (colour transform)
                    0xE1..=0xEF | 0xFE => false, // EXIF, XMP, ICC and others; comments
                    _ => true,                   // tables, frame headers
                };
                if keep {
                    out.extend_from_slice(&bytes[i..i + 2 + len]);
                }
                i += 2 + len;
            }
        }
        "image/png" => {
            const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
            if !bytes.starts_with(SIGNATURE) {
                return Err(bad());
            }
            let mut out = Vec::with_capacity(bytes.len());
            out.extend_from_slice(SIGNATURE);
            let mut i = SIGNATURE.len();
            while i < bytes.len() {
                if i + 8 > bytes.len() {
                    return Err(bad());
                }
                let len = u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]])
                    as usize;
                let kind = &bytes[i + 4..i + 8];
                let end = i
                    .checked_add(12)
                    .and_then(|e| e.checked_add(len))
                    .filter(|e| *e <= bytes.len())
                    .ok_or_else(bad)?;
                let drop = matches!(kind, b"eXIf" | b"tEXt" | b"zTXt" | b"iTXt" | b"tIME");
                if !drop {
                    out.extend_from_slice(&bytes[i..end]);
                }
                i = end;
                if kind == b"IEND" {
                    return Ok(out);
                }
            }
            Err(bad())
        }
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_known_by_their_content() {
        let mp4 = b"\0\0\0\x20ftypisom\0\0\0\0";
        assert_eq!(sniff(mp4, "a.mp4").expect("mp4").1, "video/mp4");
        assert_eq!(sniff(mp4, "renamed.txt").expect("mp4").0, MediaKind::Video);
        let m4a = b"\0\0\0\x20ftypM4A \0\0\0\0";
        assert_eq!(sniff(m4a, "a.m4a").expect("m4a").0, MediaKind::Audio);
        assert_eq!(sniff(b"ID3\x04\0\0", "a.mp3").expect("mp3").1, "audio/mpeg");
        assert_eq!(
            sniff(b"RIFF\0\0\0\0WAVEfmt ", "a.wav").expect("wav").1,
            "audio/wav"
        );
        assert_eq!(
            sniff(b"%PDF-1.7\n", "a.pdf").expect("pdf").0,
            MediaKind::Document
        );
        assert!(sniff(b"PK\x03\x04....", "plan.docx").is_ok());
        assert!(sniff(b"PK\x03\x04....", "virus.zip").is_err());
        assert!(sniff(b"<html><script>", "a.mp4").is_err());
        assert!(sniff(b"MZ\x90\0", "setup.pdf").is_err());
        assert!(sniff(b"", "empty.mp4").is_err());
    }

    #[test]
    fn photos_lose_their_gps_and_keep_their_picture() {
        // A JPEG: SOI, APP0 (JFIF), APP1 (EXIF with a "GPS" tag), a COM,
        // DQT, then the scan.
        let mut jpeg = vec![0xFF, 0xD8];
        jpeg.extend([0xFF, 0xE0, 0x00, 0x07, b'J', b'F', b'I', b'F', 0]);
        jpeg.extend([
            0xFF, 0xE1, 0x00, 0x0A, b'E', b'x', b'i', b'f', 0, 0, b'G', b'P',
        ]);
        jpeg.extend([0xFF, 0xFE, 0x00, 0x05, b'h', b'i', b'!']);
        jpeg.extend([0xFF, 0xDB, 0x00, 0x04, 1, 2]);
        jpeg.extend([0xFF, 0xDA, 0x00, 0x02, 9, 9, 9, 0xFF, 0xD9]);
        let out = strip_metadata(&jpeg, "image/jpeg").expect("jpeg");
        assert!(!out.windows(4).any(|w| w == b"Exif"), "{out:?}");
        assert!(!out.windows(3).any(|w| w == b"hi!"));
        assert!(out.windows(4).any(|w| w == b"JFIF"));
        assert!(out.ends_with(&[0xFF, 0xDA, 0x00, 0x02, 9, 9, 9, 0xFF, 0xD9]));
        // A length that runs past the end is refused.
        let mut cut = jpeg[..12].to_vec();
        cut[5] = 0xFF;
        assert!(strip_metadata(&cut, "image/jpeg").is_err());
        // A PNG: IHDR, eXIf, tEXt, IDAT, IEND.
        let chunk = |kind: &[u8], data: &[u8]| {
            let mut c = (data.len() as u32).to_be_bytes().to_vec();
            c.extend_from_slice(kind);
            c.extend_from_slice(data);
            c.extend([0, 0, 0, 0]);
            c
        };
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend(chunk(b"IHDR", &[0; 13]));
        png.extend(chunk(b"eXIf", b"GPS here"));
        png.extend(chunk(b"tEXt", b"Author\0me"));
        png.extend(chunk(b"IDAT", b"pixels"));
        png.extend(chunk(b"IEND", b""));
        let out = strip_metadata(&png, "image/png").expect("png");
        assert!(!out.windows(8).any(|w| w == b"GPS here"));
        assert!(!out.windows(4).any(|w| w == b"tEXt"));
        assert!(out.windows(6).any(|w| w == b"pixels"));
        let mut huge = png[..8].to_vec();
        huge.extend([0xFF, 0xFF, 0xFF, 0xFF]);
        huge.extend(b"IDAT");
        assert!(strip_metadata(&huge, "image/png").is_err());
    }

    proptest::proptest! {
        /// Any bytes: an answer, never a panic or a read past the end.
        #[test]
        fn any_bytes_strip_or_are_refused(tail in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let mut jpeg = vec![0xFF, 0xD8];
            jpeg.extend(tail.iter().copied());
            let _ = strip_metadata(&jpeg, "image/jpeg");
            let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
            png.extend(tail);
            let _ = strip_metadata(&png, "image/png");
        }
    }

    #[test]
    fn sizes_and_names() {
        assert!(check_size(MediaKind::Document, 30 * 1024 * 1024).is_ok());
        let e = check_size(MediaKind::Document, 30 * 1024 * 1024 + 1).expect_err("too big");
        assert_eq!(e.code, ErrorCode::PayloadTooLarge);
        assert_eq!(clean_filename("C:\\Users\\李\\课件.pptx"), "课件.pptx");
        assert_eq!(clean_filename("../../etc/passwd"), "passwd");
        assert_eq!(clean_filename("a\"b;\n.pdf"), "ab.pdf");
        assert_eq!(clean_filename(""), "file");
    }
}
