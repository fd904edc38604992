package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"sync/atomic"
	"unsafe"
)

// Key size bounds in bytes, corosync's TOTEM_PRIVATE_KEY_LEN_MIN/MAX (knet's
// KNET_MIN_KEY_LEN/KNET_MAX_KEY_LEN).
const (
	MinKeyLen = 128
	MaxKeyLen = 4096
)

// Lengths of the wire format (see the package documentation).
const (
	headerLen   = 1 + nonceLen
	nonceLen    = prefixLen + 8
	prefixLen   = 4
	gcmTagLen   = 16
	version     = 1
	kindGCM     = 1
	kindHMAC    = 2
	headerGCM   = version<<4 | kindGCM  // 0x11
	headerHMAC  = version<<4 | kindHMAC // 0x12
	labelPrefix = "gorosync totem v1 "
)

// seqLimit bounds the Seals of one Sealer; see ErrNonceExhausted.
const seqLimit = 1 << 63

var (
	// ErrAuth is returned by Open for any frame that is not authentic under
	// the Sealer's key and settings: a bad tag, a foreign header byte, or a
	// frame shorter than Overhead.
	ErrAuth = errors.New("crypto: frame failed authentication")
	// ErrShortBuffer is returned when cap(dst) cannot hold the result.
	ErrShortBuffer = errors.New("crypto: destination buffer too small")
	// ErrOverlap is returned when dst overlaps the input other than in the
	// one in-place layout that Seal and Open allow.
	ErrOverlap = errors.New("crypto: destination overlaps input")
	// ErrNonceExhausted is returned by Seal after 2^63 frames; the Sealer
	// must be replaced (New draws fresh nonce values). Unreachable in practice.
	ErrNonceExhausted = errors.New("crypto: nonce space of this Sealer exhausted")
)

// Config is corosync.conf's crypto settings plus the authkey.
type Config struct {
	// Cipher is crypto_cipher: "aes256", "aes192", "aes128" or "none";
	// "" means "none" (corosync's default).
	Cipher string
	// Hash is crypto_hash: "sha256", "sha384", "sha512", "sha1", "md5" or
	// "none"; "" means "none" (corosync's default).
	Hash string
	// Key is the authkey (see ReadKeyFile), MinKeyLen..MaxKeyLen bytes.
	// Ignored, and may be nil, when both Cipher and Hash are none. New does
	// not keep it.
	Key []byte
}

// Sealer protects outgoing frames (Seal) and checks incoming ones (Open) for
// one crypto setting and key. See the package documentation for the wire
// format and the concurrency rules.
type Sealer struct {
	mode     string // e.g. "aes256-gcm/sha256", "none/sha512", "none/none"
	header   byte   // 0 for pass-through
	hdrLen   int    // 0 or headerLen
	tagLen   int
	overhead int

	aead cipher.AEAD // GCM mode

	// HMAC mode: one state and one scratch tag per direction so that one
	// Seal and one Open may run concurrently.
	sealMAC, openMAC hash.Hash
	openTag          [sha512.Size]byte

	prefix [prefixLen]byte
	start  uint64
	seq    atomic.Uint64 // Seals done so far, from 0
}

func hashFunc(name string) (func() hash.Hash, bool) {
	switch name {
	case "md5":
		return md5.New, true
	case "sha1":
		return sha1.New, true
	case "sha256":
		return sha256.New, true
	case "sha384":
		return sha512.New384, true
	case "sha512":
		return sha512.New, true
	}
	return nil, false
}

// New validates cfg by corosync's rules and builds a Sealer. The values are
// case-sensitive, as in corosync.
func New(cfg Config) (*Sealer, error) {
	cipherName, hashName := cfg.Cipher, cfg.Hash
	if cipherName == "" {
		cipherName = "none"
	}
	if hashName == "" {
		hashName = "none"
	}
	var aesKeyLen int
	switch cipherName {
	case "none":
	case "aes128":
		aesKeyLen = 16
	case "aes192":
		aesKeyLen = 24
	case "aes256":
		aesKeyLen = 32
	default:
		return nil, fmt.Errorf("crypto: invalid crypto_cipher %q: should be none, aes256, aes192 or aes128", cfg.Cipher)
	}
	newHash, ok := hashFunc(hashName)
	if !ok && hashName != "none" {
		return nil, fmt.Errorf("crypto: invalid crypto_hash %q: should be none, md5, sha1, sha256, sha384 or sha512", cfg.Hash)
	}
	if cipherName != "none" && hashName == "none" {
		return nil, fmt.Errorf("crypto: crypto_cipher %s requires crypto_hash with value other than none", cipherName)
	}

	s := &Sealer{}
	if cipherName == "none" && hashName == "none" {
		s.mode = "none/none"
		return s, nil
	}
	if n := len(cfg.Key); n < MinKeyLen || n > MaxKeyLen {
		return nil, fmt.Errorf("crypto: key is %d bytes (%d bits); crypto_cipher %s / crypto_hash %s need %d..%d bytes",
			n, n*8, cipherName, hashName, MinKeyLen, MaxKeyLen)
	}

	var rnd [prefixLen + 8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, fmt.Errorf("crypto: random nonce prefix: %w", err)
	}
	copy(s.prefix[:], rnd[:prefixLen])
	s.start = binary.BigEndian.Uint64(rnd[prefixLen:])
	s.hdrLen = headerLen

	if cipherName != "none" {
		s.mode = cipherName + "-gcm/" + hashName
		k, err := hkdf.Key(sha256.New, cfg.Key, nil, labelPrefix+s.mode, aesKeyLen)
		if err != nil {
			return nil, fmt.Errorf("crypto: deriving the %s key: %w", cipherName, err)
		}
		block, err := aes.NewCipher(k)
		clear(k)
		if err != nil {
			return nil, fmt.Errorf("crypto: %s: %w", cipherName, err)
		}
		if s.aead, err = cipher.NewGCM(block); err != nil {
			return nil, fmt.Errorf("crypto: %s-gcm: %w", cipherName, err)
		}
		s.header = headerGCM
		s.tagLen = s.aead.Overhead()
	} else {
		s.mode = "none/" + hashName
		size := newHash().Size()
		k, err := hkdf.Key(sha256.New, cfg.Key, nil, labelPrefix+s.mode, size)
		if err != nil {
			return nil, fmt.Errorf("crypto: deriving the hmac-%s key: %w", hashName, err)
		}
		s.sealMAC = hmac.New(newHash, k)
		s.openMAC = hmac.New(newHash, k)
		clear(k)
		s.header = headerHMAC
		s.tagLen = size
	}
	s.overhead = s.hdrLen + s.tagLen
	return s, nil
}

// Overhead is how many bytes Seal adds to a frame: HeaderLen plus the tag.
func (s *Sealer) Overhead() int { return s.overhead }

// HeaderLen is the offset of the payload in a sealed frame (13, or 0 for
// pass-through); it is what Seal and Open in place need (see Seal).
func (s *Sealer) HeaderLen() int { return s.hdrLen }

// Mode names the setting, e.g. "aes256-gcm/sha256", "none/sha1", "none/none".
func (s *Sealer) Mode() string { return s.mode }

// Seal writes the protected form of frame, len(frame)+Overhead() bytes, at
// the start of dst's backing array (dst's length is ignored) and returns it.
// cap(dst) must be at least len(frame)+Overhead() (else ErrShortBuffer).
// dst must not overlap frame, except for sealing in place: frame may be
// exactly dst[HeaderLen():HeaderLen()+len(frame)], i.e. the caller built the
// frame after HeaderLen bytes of headroom. Seal allocates nothing. It must
// not be called concurrently with itself.
func (s *Sealer) Seal(dst, frame []byte) ([]byte, error) {
	n := len(frame) + s.overhead
	if cap(dst) < n {
		return nil, ErrShortBuffer
	}
	out := dst[:n]
	if overlap(out, frame) && !sameStart(out[s.hdrLen:], frame) {
		return nil, ErrOverlap
	}
	if s.header == 0 {
		copy(out, frame)
		return out, nil
	}
	seq := s.seq.Add(1)
	if seq >= seqLimit {
		s.seq.Store(seqLimit)
		return nil, ErrNonceExhausted
	}
	out[0] = s.header
	copy(out[1:1+prefixLen], s.prefix[:])
	binary.BigEndian.PutUint64(out[1+prefixLen:headerLen], s.start+seq-1)

	if s.aead != nil {
		s.aead.Seal(out[headerLen:headerLen], out[1:headerLen], frame, out[:headerLen])
		return out, nil
	}
	copy(out[headerLen:], frame) // no-op when sealing in place
	m := s.sealMAC
	m.Reset()
	m.Write(out[:headerLen+len(frame)])
	m.Sum(out[:headerLen+len(frame)]) // appends the tag within out's capacity
	return out, nil
}

// Open checks sealed and writes the frame it carries, len(sealed)-Overhead()
// bytes, at the start of dst's backing array (dst's length is ignored) and
// returns it. Any inauthentic input, including one shorter than Overhead,
// yields ErrAuth; Open never panics on its input. cap(dst) must be at least
// len(sealed)-Overhead() (else ErrShortBuffer). dst must not overlap sealed,
// except for opening in place: dst may start exactly at
// sealed[HeaderLen():]. On error nothing useful is left in dst (with GCM the
// tentative plaintext is wiped). Open allocates nothing. It must not be
// called concurrently with itself.
func (s *Sealer) Open(dst, sealed []byte) ([]byte, error) {
	n := len(sealed) - s.overhead
	if n < 0 {
		return nil, ErrAuth
	}
	if cap(dst) < n {
		return nil, ErrShortBuffer
	}
	out := dst[:n]
	if overlap(out, sealed) && !sameStart(out, sealed[s.hdrLen:]) {
		return nil, ErrOverlap
	}
	if s.header == 0 {
		copy(out, sealed)
		return out, nil
	}
	if sealed[0] != s.header {
		return nil, ErrAuth
	}
	if s.aead != nil {
		if _, err := s.aead.Open(out[:0], sealed[1:headerLen], sealed[headerLen:], sealed[:headerLen]); err != nil {
			return nil, ErrAuth
		}
		return out, nil
	}
	m := s.openMAC
	m.Reset()
	m.Write(sealed[:headerLen+n])
	tag := m.Sum(s.openTag[:0])
	if !hmac.Equal(tag, sealed[headerLen+n:]) {
		return nil, ErrAuth
	}
	copy(out, sealed[headerLen:headerLen+n]) // memmove: fine in place
	return out, nil
}

// overlap reports whether a and b share memory.
func overlap(a, b []byte) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	x := uintptr(unsafe.Pointer(unsafe.SliceData(a)))
	y := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return x < y+uintptr(len(b)) && y < x+uintptr(len(a))
}

// sameStart reports whether a and b start at the same address (the in-place
// layout, which cipher.AEAD also allows).
func sameStart(a, b []byte) bool {
	return unsafe.SliceData(a) == unsafe.SliceData(b)
}
