package feed

import (
	"crypto/ed25519"
	"crypto/subtle"
	"fmt"
	"io"
	"strings"

	"golang.org/x/crypto/blake2b"
)

// The secret key file, as `minisign -G -W` writes it: an untrusted comment
// line, then the base64 of
//
//	"Ed" | KDF "\0\0" (none) or "Sc" (scrypt) | checksum "B2" |
//	salt (32) | opslimit (8) | memlimit (8) |
//	key id (8) | Ed25519 seed and public key (64) | checksum (32)
//
// where the checksum is BLAKE2b-256 of "Ed" | key id | secret key. Only the
// unencrypted form is read: the helpline keeps its feed key offline, on the
// machine that publishes, and a scrypt KDF with minisign's parameters needs
// 1 GiB of memory. `minisign -C -W` removes a password.
const (
	kdfNone       = "\x00\x00"
	kdfScrypt     = "Sc"
	checksumAlg   = "B2"
	secretKeyLen  = 2 + 2 + 2 + 32 + 8 + 8 + 8 + ed25519.PrivateKeySize + 32
	secretKeyBody = 2 + 2 + 2 + 32 + 8 + 8 // offset of the key id
)

// SecretKey is a minisign Ed25519 secret key. Its String method hides the
// key, so that logging one by mistake leaks nothing.
type SecretKey struct {
	ID  KeyID
	Key ed25519.PrivateKey // seed followed by the public key, 64 bytes
}

// GenerateKey makes a key pair with randomness from r (crypto/rand.Reader
// outside tests).
func GenerateKey(r io.Reader) (SecretKey, error) {
	var k SecretKey
	if _, err := io.ReadFull(r, k.ID[:]); err != nil {
		return k, fmt.Errorf("generating key id: %w", err)
	}
	_, priv, err := ed25519.GenerateKey(r)
	if err != nil {
		return k, fmt.Errorf("generating key: %w", err)
	}
	k.Key = priv
	return k, nil
}

// Public returns the public half of k.
func (k SecretKey) Public() PublicKey {
	p := PublicKey{ID: k.ID}
	copy(p.Key[:], k.Key[ed25519.SeedSize:])
	return p
}

// String names the key by its id and never shows it.
func (k SecretKey) String() string { return "minisign secret key " + k.ID.String() }

// ParseSecretKey reads an unencrypted minisign secret key file.
func ParseSecretKey(data []byte) (SecretKey, error) {
	var k SecretKey
	lines := nonEmptyLines(string(data))
	if len(lines) != 2 || !strings.HasPrefix(lines[0], untrustedPrefix) {
		return k, fmt.Errorf("parsing secret key: want an %q line and one base64 line", untrustedPrefix)
	}
	raw, err := b64.DecodeString(strings.TrimSpace(lines[1]))
	if err != nil {
		return k, fmt.Errorf("parsing secret key: decoding base64: %w", err)
	}
	if len(raw) != secretKeyLen {
		return k, fmt.Errorf("parsing secret key: %d bytes, want %d", len(raw), secretKeyLen)
	}
	switch {
	case string(raw[0:2]) != algEd25519:
		return k, fmt.Errorf("parsing secret key: algorithm %q, want %q", raw[0:2], algEd25519)
	case string(raw[2:4]) == kdfScrypt:
		return k, fmt.Errorf("parsing secret key: it is encrypted with a password; remove it with `minisign -C -W -s FILE` (amane-helpline reads unencrypted keys only)")
	case string(raw[2:4]) != kdfNone:
		return k, fmt.Errorf("parsing secret key: unknown key derivation %q", raw[2:4])
	case string(raw[4:6]) != checksumAlg:
		return k, fmt.Errorf("parsing secret key: checksum algorithm %q, want %q", raw[4:6], checksumAlg)
	}
	copy(k.ID[:], raw[secretKeyBody:])
	key := raw[secretKeyBody+8 : secretKeyBody+8+ed25519.PrivateKeySize]
	k.Key = ed25519.NewKeyFromSeed(key[:ed25519.SeedSize])
	if subtle.ConstantTimeCompare(k.Key, key) != 1 {
		return SecretKey{}, fmt.Errorf("parsing secret key: its public half does not match its seed (damaged file)")
	}
	// minisign 0.11 leaves the checksum of an unencrypted key zero; check
	// it when it is there.
	sum := raw[secretKeyLen-32:]
	if want := k.checksum(); !allZero(sum) && subtle.ConstantTimeCompare(sum, want[:]) != 1 {
		return SecretKey{}, fmt.Errorf("parsing secret key: wrong checksum (damaged file)")
	}
	return k, nil
}

// Encode returns k as an unencrypted minisign secret key file, which
// `minisign -S -s FILE` reads without asking for a password. Write it with
// mode 0600.
func (k SecretKey) Encode() []byte {
	raw := make([]byte, 0, secretKeyLen)
	raw = append(raw, algEd25519+kdfNone+checksumAlg...)
	raw = append(raw, make([]byte, 32+8+8)...) // no salt, no KDF limits
	raw = append(append(raw, k.ID[:]...), k.Key...)
	sum := k.checksum()
	raw = append(raw, sum[:]...)
	return fmt.Appendf(nil, "%sminisign secret key %s (unencrypted: keep it offline)\n%s\n",
		untrustedPrefix, k.ID, b64.EncodeToString(raw))
}

func (k SecretKey) checksum() [32]byte {
	h, _ := blake2b.New256(nil) // cannot fail without a key
	h.Write([]byte(algEd25519))
	h.Write(k.ID[:])
	h.Write(k.Key)
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}

// Sign returns k's signature of msg in minisign's default, prehashed form,
// with the given trusted comment (one line: a newline is replaced by a
// space, since the file format cannot carry it).
func (k SecretKey) Sign(msg []byte, trustedComment string) Signature {
	s := Signature{
		Prehashed:        true,
		KeyID:            k.ID,
		UntrustedComment: "signature from minisign secret key " + k.ID.String(),
		TrustedComment:   strings.NewReplacer("\r", " ", "\n", " ").Replace(trustedComment),
	}
	copy(s.Sig[:], ed25519.Sign(k.Key, signedMessage(msg, true)))
	copy(s.GlobalSig[:], ed25519.Sign(k.Key, globalMessage(s)))
	return s
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
