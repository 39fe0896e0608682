//! Keys kept outside the database, and what is made with them: keyed
//! hashes for look-ups (a phone number found without being stored in the
//! clear) and for one-time codes.

use hmac::{KeyInit, Mac};
use sha2::Sha256;

/// The server's secret, from configuration (never from the database). Its
/// debug form prints nothing of it.
#[derive(Clone)]
pub struct Secret([u8; 32]);

impl Secret {
    pub fn new(bytes: [u8; 32]) -> Secret {
        Secret(bytes)
    }

    /// Reads 64 hexadecimal characters.
    pub fn from_hex(hex_text: &str) -> Option<Secret> {
        let bytes = hex::decode(hex_text.trim()).ok()?;
        Some(Secret(bytes.try_into().ok()?))
    }

    /// A fresh random secret, as 64 hexadecimal characters.
    pub fn generate_hex() -> String {
        use rand::RngCore;
        let mut b = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut b);
        hex::encode(b)
    }

    /// HMAC-SHA-256 of `value` under this key, for the use named by `tag`
    /// (the same value hashed for two uses gives two unrelated results).
    pub fn keyed_hash(&self, tag: &str, value: &str) -> String {
        let Ok(mut mac) = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(&self.0) else {
            unreachable!("HMAC takes a key of any length")
        };
        mac.update(tag.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// The key of the audit chain's HMAC (derived; never the secret itself).
    pub fn chain_key(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        let bytes = hex::decode(self.keyed_hash("audit-chain", "hmac-sha-256")).unwrap_or_default();
        out.copy_from_slice(&bytes[..32.min(bytes.len())]);
        out
    }

    /// The look-up key of a phone number.
    pub fn phone_key(&self, phone: &str) -> String {
        self.keyed_hash("phone", phone)
    }

    /// The AES-256-GCM key derived from this secret (never the secret itself).
    fn cipher(&self) -> aes_gcm::Aes256Gcm {
        use aes_gcm::KeyInit as _;
        let key = self.keyed_hash("encryption", "aes-256-gcm");
        let bytes = hex::decode(key).unwrap_or_default();
        match aes_gcm::Aes256Gcm::new_from_slice(&bytes) {
            Ok(c) => c,
            Err(_) => unreachable!("a keyed hash is 32 bytes"),
        }
    }

    /// Encrypts a value at rest: base64 of a fresh 96-bit nonce and the
    /// ciphertext with its tag. `context` binds it to one use (a value
    /// moved to another column or row does not decrypt).
    pub fn encrypt(&self, context: &str, plain: &str) -> String {
        use aes_gcm::aead::{Aead, Payload};
        use base64::Engine;
        use rand::RngCore;
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .cipher()
            .encrypt(
                (&nonce).into(),
                Payload {
                    msg: plain.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend(sealed);
        base64::engine::general_purpose::STANDARD.encode(out)
    }

    /// Decrypts what [`Secret::encrypt`] made with the same context; None
    /// for anything else (another key, another context, altered bytes).
    pub fn decrypt(&self, context: &str, sealed: &str) -> Option<String> {
        use aes_gcm::aead::{Aead, Payload};
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(sealed)
            .ok()?;
        if bytes.len() < 12 + 16 {
            return None;
        }
        let (nonce, body) = bytes.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().ok()?;
        let plain = self
            .cipher()
            .decrypt(
                (&nonce).into(),
                Payload {
                    msg: body,
                    aad: context.as_bytes(),
                },
            )
            .ok()?;
        String::from_utf8(plain).ok()
    }
}

/// The keys that seal personal fields at rest (phones, appeal contacts,
/// second-factor secrets) with AES-256-GCM and make their look-up hashes.
/// Kept in a file of their own, apart from the database and from
/// [`Secret`] (which keys the audit chain and is never rotated): `tongyu
/// rotate-data-key` replaces them. A sealed value names the key that sealed
/// it: `v1.<key id>.<base64 of nonce, ciphertext and tag>`.
#[derive(Clone)]
pub struct DataKeys {
    /// The key that seals and hashes; the last in the file.
    current: DataKey,
    /// Keys still named by sealed values while a rotation is under way.
    older: Vec<DataKey>,
}

#[derive(Clone)]
struct DataKey {
    id: u32,
    cipher: aes_gcm::Aes256Gcm,
    lookup: Secret,
}

impl DataKey {
    fn new(id: u32, bytes: [u8; 32]) -> DataKey {
        use aes_gcm::KeyInit as _;
        let root = Secret::new(bytes);
        let derived = |tag: &str| {
            let mut out = [0u8; 32];
            let h = hex::decode(root.keyed_hash("data-key", tag)).unwrap_or_default();
            out.copy_from_slice(&h[..32.min(h.len())]);
            out
        };
        let cipher = match aes_gcm::Aes256Gcm::new_from_slice(&derived("aes-256-gcm")) {
            Ok(c) => c,
            Err(_) => unreachable!("a keyed hash is 32 bytes"),
        };
        DataKey {
            id,
            cipher,
            lookup: Secret::new(derived("lookup")),
        }
    }
}

pub use tongyu_domain::account::SealedPhone;

/// Where a sealed value belongs; a value moved to another field does not open.
pub mod field {
    pub const ACCOUNT_PHONE: &str = "accounts.phone";
    pub const APPEAL_CONTACT_NAME: &str = "appeals.contact_name";
    pub const APPEAL_CONTACT_PHONE: &str = "appeals.contact_phone";
    pub const SMS_PHONE: &str = "sms_outbox.phone";
    pub const SECOND_FACTOR: &str = "second_factor.secret";
    pub const IMPORT_CREDENTIALS: &str = "import_credentials.sealed";
}

impl DataKeys {
    /// One key, for tests and examples only.
    pub fn fixed() -> DataKeys {
        DataKeys {
            current: DataKey::new(1, [0x3c; 32]),
            older: Vec::new(),
        }
    }

    /// Reads the key file: one line per key, `<id> <64 hexadecimal
    /// characters>`, the current key last.
    pub fn parse(text: &str) -> Option<DataKeys> {
        let mut keys = Vec::new();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let (id, hex_text) = line.split_once(' ')?;
            let id: u32 = id.parse().ok()?;
            let bytes: [u8; 32] = hex::decode(hex_text.trim()).ok()?.try_into().ok()?;
            keys.push(DataKey::new(id, bytes));
        }
        let current = keys.pop()?;
        Some(DataKeys {
            current,
            older: keys,
        })
    }

    /// A first key file's text.
    pub fn generate_file() -> String {
        format!("1 {}\n", Secret::generate_hex())
    }

    /// The key file's text with a fresh key added after the others; the id
    /// one above the highest.
    pub fn add_key_file(text: &str) -> Option<String> {
        let keys = DataKeys::parse(text)?;
        let next = keys.ids().into_iter().max().unwrap_or(0) + 1;
        let mut out: String = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| format!("{}\n", l.trim()))
            .collect();
        out.push_str(&format!("{next} {}\n", Secret::generate_hex()));
        Some(out)
    }

    /// The key file's text keeping the current key only.
    pub fn current_only_file(text: &str) -> Option<String> {
        DataKeys::parse(text)?;
        text.lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .map(|l| format!("{}\n", l.trim()))
    }

    /// The id of the key that seals now.
    pub fn current_id(&self) -> u32 {
        self.current.id
    }

    /// Every key's id, oldest first.
    pub fn ids(&self) -> Vec<u32> {
        let mut ids: Vec<u32> = self.older.iter().map(|k| k.id).collect();
        ids.push(self.current.id);
        ids
    }

    /// True while older keys are still listed (a rotation not finished).
    pub fn rotating(&self) -> bool {
        !self.older.is_empty()
    }

    /// Seals `plain` for `field`. The empty text stays empty.
    pub fn seal(&self, field: &str, plain: &str) -> String {
        use aes_gcm::aead::{Aead, Payload};
        use base64::Engine;
        use rand::RngCore;
        if plain.is_empty() {
            return String::new();
        }
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .current
            .cipher
            .encrypt(
                (&nonce).into(),
                Payload {
                    msg: plain.as_bytes(),
                    aad: field.as_bytes(),
                },
            )
            .unwrap_or_default();
        let mut bytes = nonce.to_vec();
        bytes.extend(sealed);
        format!(
            "v1.{}.{}",
            self.current.id,
            base64::engine::general_purpose::STANDARD.encode(bytes)
        )
    }

    /// Opens what [`DataKeys::seal`] made for the same field with a key
    /// still held; None for anything else. The empty text opens to itself.
    pub fn open(&self, field: &str, sealed: &str) -> Option<String> {
        use aes_gcm::aead::{Aead, Payload};
        use base64::Engine;
        if sealed.is_empty() {
            return Some(String::new());
        }
        let rest = sealed.strip_prefix("v1.")?;
        let (id, body) = rest.split_once('.')?;
        let id: u32 = id.parse().ok()?;
        let key = std::iter::once(&self.current)
            .chain(&self.older)
            .find(|k| k.id == id)?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(body)
            .ok()?;
        if bytes.len() < 12 + 16 {
            return None;
        }
        let (nonce, body) = bytes.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().ok()?;
        let plain = key
            .cipher
            .decrypt(
                (&nonce).into(),
                Payload {
                    msg: body,
                    aad: field.as_bytes(),
                },
            )
            .ok()?;
        String::from_utf8(plain).ok()
    }

    /// The id of the key a sealed value names (None: not sealed).
    pub fn sealed_with(sealed: &str) -> Option<u32> {
        sealed.strip_prefix("v1.")?.split_once('.')?.0.parse().ok()
    }

    /// The look-up hash of a phone number under the current key.
    pub fn phone_lookup(&self, phone: &str) -> String {
        self.current.lookup.keyed_hash("phone", phone)
    }

    /// A phone number as it is kept (the number already checked).
    pub fn seal_phone(&self, phone: &str) -> SealedPhone {
        SealedPhone {
            key: self.phone_lookup(phone),
            sealed: self.seal(field::ACCOUNT_PHONE, phone),
            mask: tongyu_domain::account::mask_phone(phone),
        }
    }
}

impl std::fmt::Debug for DataKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DataKeys(ids {:?}, ***)", self.ids())
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl Default for Secret {
    /// A fixed key for tests and examples only; `tongyu serve` and `tongyu
    /// demo` always load or make a real one.
    fn default() -> Secret {
        Secret([0x5a; 32])
    }
}

/// Compares two strings in time that does not depend on where they differ.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_hashes_depend_on_key_and_use() {
        let a = Secret::new([1; 32]);
        let b = Secret::new([2; 32]);
        assert_eq!(a.phone_key("13900000001"), a.phone_key("13900000001"));
        assert_ne!(a.phone_key("13900000001"), b.phone_key("13900000001"));
        assert_ne!(a.phone_key("x"), a.keyed_hash("code", "x"));
        assert_eq!(format!("{a:?}"), "Secret(***)");
        let hex_text = Secret::generate_hex();
        assert!(Secret::from_hex(&hex_text).is_some());
        assert!(Secret::from_hex("abcd").is_none());
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }

    #[test]
    fn sealed_fields_open_only_with_their_field_and_a_held_key() {
        let keys = DataKeys::fixed();
        let sealed = keys.seal(field::ACCOUNT_PHONE, "13900000001");
        assert!(sealed.starts_with("v1.1."), "{sealed}");
        assert!(!sealed.contains("13900000001"));
        assert_ne!(keys.seal(field::ACCOUNT_PHONE, "13900000001"), sealed);
        assert_eq!(
            keys.open(field::ACCOUNT_PHONE, &sealed).as_deref(),
            Some("13900000001")
        );
        assert_eq!(keys.open(field::SMS_PHONE, &sealed), None, "another field");
        assert_eq!(keys.open(field::ACCOUNT_PHONE, "13900000001"), None);
        assert_eq!(keys.open(field::ACCOUNT_PHONE, "").as_deref(), Some(""));
        assert_eq!(keys.seal(field::ACCOUNT_PHONE, ""), "");

        // A rotation: the new key seals, the old one still opens, and once
        // the file keeps the new key only, the old values do not open.
        let first = DataKeys::generate_file();
        let one = DataKeys::parse(&first).expect("parse");
        let old_value = one.seal(field::ACCOUNT_PHONE, "13900000001");
        let both_text = DataKeys::add_key_file(&first).expect("add");
        let both = DataKeys::parse(&both_text).expect("parse");
        assert!(both.rotating() && both.current_id() == 2);
        assert_eq!(
            both.open(field::ACCOUNT_PHONE, &old_value).as_deref(),
            Some("13900000001")
        );
        let new_value = both.seal(field::ACCOUNT_PHONE, "13900000001");
        assert_eq!(DataKeys::sealed_with(&new_value), Some(2));
        assert_ne!(one.phone_lookup("1"), both.phone_lookup("1"));
        let last = DataKeys::parse(&DataKeys::current_only_file(&both_text).expect("only"))
            .expect("parse");
        assert!(!last.rotating());
        assert_eq!(last.open(field::ACCOUNT_PHONE, &old_value), None);
        assert_eq!(
            last.open(field::ACCOUNT_PHONE, &new_value).as_deref(),
            Some("13900000001")
        );
        assert!(DataKeys::parse("1 abcd").is_none());
        assert!(!format!("{last:?}").contains(first.split(' ').nth(1).unwrap_or("x").trim()));
    }

    #[test]
    fn encryption_round_trips_and_refuses_anything_else() {
        let a = Secret::new([1; 32]);
        let sealed = a.encrypt("totp", "JBSWY3DPEHPK3PXP");
        assert_ne!(
            a.encrypt("totp", "JBSWY3DPEHPK3PXP"),
            sealed,
            "a fresh nonce each time"
        );
        assert_eq!(
            a.decrypt("totp", &sealed).as_deref(),
            Some("JBSWY3DPEHPK3PXP")
        );
        assert_eq!(a.decrypt("phone", &sealed), None, "another context");
        assert_eq!(
            Secret::new([2; 32]).decrypt("totp", &sealed),
            None,
            "another key"
        );
        let mut altered = sealed.into_bytes();
        altered[20] ^= 1;
        assert_eq!(a.decrypt("totp", &String::from_utf8_lossy(&altered)), None);
        assert_eq!(a.decrypt("totp", "short"), None);
    }
}
