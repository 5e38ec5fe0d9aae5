package feed

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/blake2b"
)

// The minisign formats (https://jedisct1.github.io/minisign/), written
// here with crypto/ed25519 and BLAKE2b so that an appliance needs no C
// library and the helpline can still sign with the standard tool.

const (
	untrustedPrefix = "untrusted comment: "
	trustedPrefix   = "trusted comment: "
	algEd25519      = "Ed" // key algorithm; also the legacy signature algorithm (message signed as is)
	algPrehashed    = "ED" // signature over BLAKE2b-512 of the message: minisign's default since 0.8
	publicKeyLen    = 2 + 8 + ed25519.PublicKeySize
	sigLen          = 2 + 8 + ed25519.SignatureSize
	maxCommentLen   = 8192 // minisign's own bound on the trusted comment
)

// ErrBadSignature is wrapped by every error that says a signature does not
// verify: the file or its trusted comment was changed, or another key signed it.
var ErrBadSignature = errors.New("bad signature")

var b64 = base64.StdEncoding.Strict()

// KeyID is the 8 random bytes that name a minisign key pair; a signature
// carries the id of the key that made it.
type KeyID [8]byte

// String returns the id as minisign prints it: the bytes read as a
// little-endian integer, in upper-case hex.
func (id KeyID) String() string {
	return fmt.Sprintf("%016X", binary.LittleEndian.Uint64(id[:]))
}

// PublicKey is a minisign Ed25519 public key. The zero value is no key.
type PublicKey struct {
	ID  KeyID
	Key [ed25519.PublicKeySize]byte
}

// ParsePublicKey reads a public key either as the bare base64 line that
// minisign prints ("RW...") or as the whole two-line file minisign writes
// (an "untrusted comment:" line, then the base64 line).
func ParsePublicKey(s string) (PublicKey, error) {
	var k PublicKey
	lines := nonEmptyLines(s)
	switch {
	case len(lines) == 2 && strings.HasPrefix(lines[0], untrustedPrefix):
		lines = lines[1:]
	case len(lines) != 1:
		return k, fmt.Errorf("parsing public key: want one base64 line, optionally after an %q line; got %d lines", untrustedPrefix, len(lines))
	}
	raw, err := b64.DecodeString(strings.TrimSpace(lines[0]))
	if err != nil {
		return k, fmt.Errorf("parsing public key: decoding base64: %w", err)
	}
	if len(raw) != publicKeyLen {
		return k, fmt.Errorf("parsing public key: %d bytes, want %d", len(raw), publicKeyLen)
	}
	if string(raw[:2]) != algEd25519 {
		return k, fmt.Errorf("parsing public key: algorithm %q, want %q", raw[:2], algEd25519)
	}
	copy(k.ID[:], raw[2:10])
	copy(k.Key[:], raw[10:])
	return k, nil
}

// String returns the key as the base64 line minisign prints ("RW..."),
// the form a configuration file carries.
func (k PublicKey) String() string {
	raw := make([]byte, 0, publicKeyLen)
	raw = append(append(append(raw, algEd25519...), k.ID[:]...), k.Key[:]...)
	return b64.EncodeToString(raw)
}

// Encode returns the key as the file `minisign -G` writes (minisign.pub).
func (k PublicKey) Encode() []byte {
	return fmt.Appendf(nil, "%sminisign public key %s\n%s\n", untrustedPrefix, k.ID, k)
}

// Signature is a detached minisign signature (a .minisig file).
type Signature struct {
	// Prehashed is true for the "ED" algorithm, which signs the BLAKE2b-512
	// of the file (minisign's default), false for the legacy "Ed".
	Prehashed        bool
	KeyID            KeyID
	Sig              [ed25519.SignatureSize]byte // over the file (or its hash)
	UntrustedComment string                      // free text, not signed: never trust it
	TrustedComment   string                      // covered by GlobalSig
	GlobalSig        [ed25519.SignatureSize]byte // over Sig || TrustedComment
}

// ParseSignature reads a .minisig file: an untrusted comment line, the
// base64 signature, a trusted comment line and the base64 global signature.
func ParseSignature(data []byte) (Signature, error) {
	var s Signature
	lines := strings.Split(strings.TrimRight(string(data), "\r\n"), "\n")
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], "\r") // CRLF files; minisign trims the same
	}
	if len(lines) != 4 {
		return s, fmt.Errorf("parsing signature: %d lines, want 4 (untrusted comment, signature, trusted comment, global signature)", len(lines))
	}
	var ok bool
	if s.UntrustedComment, ok = strings.CutPrefix(lines[0], untrustedPrefix); !ok {
		return s, fmt.Errorf("parsing signature: line 1 does not start with %q", untrustedPrefix)
	}
	if s.TrustedComment, ok = strings.CutPrefix(lines[2], trustedPrefix); !ok {
		return s, fmt.Errorf("parsing signature: line 3 does not start with %q", trustedPrefix)
	}
	if len(s.TrustedComment) > maxCommentLen {
		return s, fmt.Errorf("parsing signature: trusted comment of %d bytes, over %d", len(s.TrustedComment), maxCommentLen)
	}
	raw, err := b64.DecodeString(strings.TrimSpace(lines[1]))
	if err != nil || len(raw) != sigLen {
		return s, fmt.Errorf("parsing signature: line 2 is not the base64 of %d bytes", sigLen)
	}
	switch string(raw[:2]) {
	case algPrehashed:
		s.Prehashed = true
	case algEd25519:
	default:
		return s, fmt.Errorf("parsing signature: algorithm %q, want %q or %q", raw[:2], algPrehashed, algEd25519)
	}
	copy(s.KeyID[:], raw[2:10])
	copy(s.Sig[:], raw[10:])
	global, err := b64.DecodeString(strings.TrimSpace(lines[3]))
	if err != nil || len(global) != ed25519.SignatureSize {
		return s, fmt.Errorf("parsing signature: line 4 is not the base64 of %d bytes", ed25519.SignatureSize)
	}
	copy(s.GlobalSig[:], global)
	return s, nil
}

// Encode returns the signature as a .minisig file.
func (s Signature) Encode() []byte {
	raw := make([]byte, 0, sigLen)
	alg := algEd25519
	if s.Prehashed {
		alg = algPrehashed
	}
	raw = append(append(append(raw, alg...), s.KeyID[:]...), s.Sig[:]...)
	return fmt.Appendf(nil, "%s%s\n%s\n%s%s\n%s\n", untrustedPrefix, s.UntrustedComment,
		b64.EncodeToString(raw), trustedPrefix, s.TrustedComment, b64.EncodeToString(s.GlobalSig[:]))
}

// Verify checks that sig is k's signature of msg and that its trusted
// comment is k's too. Both must hold: minisign checks both, and a trusted
// comment that verifies alone proves nothing about msg.
func Verify(k PublicKey, msg []byte, sig Signature) error {
	if sig.KeyID != k.ID {
		return fmt.Errorf("signed by key %s, not by the configured key %s: %w", sig.KeyID, k.ID, ErrBadSignature)
	}
	if !ed25519.Verify(k.Key[:], signedMessage(msg, sig.Prehashed), sig.Sig[:]) {
		return fmt.Errorf("the signature does not match the file (modified, or signed by another key with the same id): %w", ErrBadSignature)
	}
	if !ed25519.Verify(k.Key[:], globalMessage(sig), sig.GlobalSig[:]) {
		return fmt.Errorf("the trusted comment %q was modified: %w", sig.TrustedComment, ErrBadSignature)
	}
	return nil
}

func signedMessage(msg []byte, prehashed bool) []byte {
	if !prehashed {
		return msg
	}
	h := blake2b.Sum512(msg)
	return h[:]
}

func globalMessage(sig Signature) []byte {
	return append(bytes.Clone(sig.Sig[:]), sig.TrustedComment...)
}

// nonEmptyLines splits s into lines without their line endings, leaving
// out blank lines.
func nonEmptyLines(s string) []string {
	var out []string
	for line := range strings.Lines(s) {
		if line = strings.TrimRight(line, "\r\n"); strings.TrimSpace(line) != "" {
			out = append(out, line)
		}
	}
	return out
}
