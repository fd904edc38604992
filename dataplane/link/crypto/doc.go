// Package crypto protects totem frames on the wire with the settings of
// corosync.conf's totem section:
//
//	totem {
//	    crypto_cipher: aes256 | aes192 | aes128 | none
//	    crypto_hash:   sha256 | sha384 | sha512 | sha1 | md5 | none
//	    keyfile:       /etc/corosync/authkey
//	}
//
// The authkey file and the accepted values are corosync 3.1.7's (see
// ReadKeyFile and New); the bytes on the wire are gorosync's own. corosync
// only encrypts over knet, so a mixed gorosync/corosync cluster (udpu) never
// runs with crypto and there is nothing to interoperate with.
//
// # Modes
//
// New picks one of three modes from (Cipher, Hash):
//
//   - aes128/aes192/aes256 with a hash: authenticated encryption with
//     AES-GCM. The AES key (16, 24 or 32 bytes) is derived from the authkey
//     with HKDF-SHA256, info "gorosync totem v1 <cipher>-gcm/<hash>". The
//     hash is not otherwise used (GCM's tag authenticates), but being in the
//     label it makes e.g. aes256/sha256 and aes256/sha512 derive different
//     keys, so nodes with different settings reject each other's frames
//     (ErrAuth) instead of half-working.
//   - none with a hash: authentication only, HMAC with the named hash over
//     the whole protected frame, keyed with hash-size bytes derived by
//     HKDF-SHA256, info "gorosync totem v1 none/<hash>". HMAC rather than
//     GMAC (GCM over an empty plaintext) because it is what corosync's
//     crypto_hash documents ("which HMAC authentication should be used"):
//     the configured hash keeps its meaning, and the tag length follows it.
//     HMAC-MD5 and HMAC-SHA1 are accepted because corosync accepts them; no
//     practical forgery against either HMAC is known, but prefer sha256+.
//   - none/none (or empty strings, corosync's default): pass-through. Seal
//     and Open copy the frame unchanged; Overhead is 0; the key is ignored
//     (corosync does not even read the keyfile then).
//
// A cipher without a hash is rejected, as corosync does ("crypto_cipher
// requires crypto_hash with value other than none"). When crypto is on the
// key must be 128..4096 bytes (knet's KNET_MIN_KEY_LEN/KNET_MAX_KEY_LEN,
// corosync's TOTEM_PRIVATE_KEY_LEN_MIN/MAX).
//
// # Wire format
//
// With a cipher or a hash set, every frame on the wire is
//
//	offset  size  field
//	0       1     header: version<<4 | kind; 0x11 = v1 AES-GCM, 0x12 = v1 HMAC
//	1       4     nonce prefix: random, chosen once by New (crypto/rand)
//	5       8     nonce counter: big-endian, +1 per Seal
//	13      n     payload: the GCM ciphertext (0x11) or the frame itself (0x12)
//	13+n    t     tag: 16-byte GCM tag (0x11), or the HMAC of bytes 0..13+n (0x12)
//
// so HeaderLen is 13 and Overhead is 13+t: 29 for AES-GCM, 29/33/45/61/77 for
// HMAC-MD5/SHA1/SHA256/SHA384/SHA512. For GCM, bytes 1..13 are the nonce and
// bytes 0..13 are the additional data, so the header is authenticated too.
// Open rejects a frame whose header byte is not the one its own settings
// produce, any frame shorter than Overhead, and any frame whose tag does not
// verify, all with the single error ErrAuth (no allocation, no detail an
// attacker could steer, and the same answer however the frame is wrong).
// There is no replay protection at this layer, as in knet: totem discards
// duplicate and stale messages by their sequence numbers and ring ids.
//
// # Nonces
//
// All nodes of a cluster share one authkey, hence one GCM key per setting,
// so a nonce must never repeat across every Sealer that ever uses the key:
// every node, every restart. Each Sealer draws, at New, a random 4-byte
// prefix and a random 64-bit starting value for the counter; the 96-bit
// nonce of its i-th Seal is prefix ‖ (start+i mod 2^64). Within one Sealer
// the nonces are distinct because the counter never wraps: Seal returns
// ErrNonceExhausted after 2^63 frames (about 29,000 years at 10 million
// frames a second), so a node's lifetime is covered. Across Sealers, two of
// them collide only if their runs of nonces overlap, i.e. both random 96-bit
// starting points fall within n of each other: for k Sealers (nodes ×
// restarts over the key's life) sending at most n frames each, the chance is
// below k²·n/2^96: 10,000 restarts of 10^10 frames each give about 10^-11.
// Nothing is persisted, so a restart is just one more Sealer with fresh
// random values; nothing a crash loses can cause reuse. A fixed prefix per
// node plus a counter persisted across restarts would be the alternative, and
// its failure modes (cloned disks, lost state, reused node ids) are worse.
// Rotating the authkey resets all of this.
//
// # Concurrency and memory
//
// A Sealer is meant for one sending goroutine and one receiving goroutine:
// Seal must not be called concurrently with Seal, nor Open with Open (the
// HMAC state and scratch space are per direction), but one Seal and one Open
// may run at the same time. The nonce counter is atomic anyway, so even a
// misuse never repeats a nonce. Seal and Open write into the caller's dst and
// allocate nothing.
package crypto
