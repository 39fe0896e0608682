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
