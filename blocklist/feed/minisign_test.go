package feed

import (
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
)

func TestSignVerify(t *testing.T) {
	key := newKey(t)
	msg := []byte("manifest\n")
	sig := key.Sign(msg, "timestamp:1\nfile:x") // a newline cannot stay in a one-line comment
	if sig.TrustedComment != "timestamp:1 file:x" {
		t.Errorf("trusted comment %q", sig.TrustedComment)
	}
	parsed, err := ParseSignature(sig.Encode())
	if err != nil || parsed != sig {
		t.Fatalf("ParseSignature(Encode()) = %+v, %v; want %+v", parsed, err, sig)
	}
	legacy := Signature{KeyID: key.ID, TrustedComment: "legacy"}
	copy(legacy.Sig[:], ed25519.Sign(key.Key, msg))
	copy(legacy.GlobalSig[:], ed25519.Sign(key.Key, globalMessage(legacy)))
	other := newKey(t)
	sameID := newKey(t)
	sameID.ID = key.ID
	tests := []struct {
		name string
		key  PublicKey
		msg  string
		sig  func() Signature
		want string // "" if it verifies
	}{
		{"a prehashed signature verifies", key.Public(), "manifest\n", func() Signature { return sig }, ""},
		{"a legacy unhashed signature verifies", key.Public(), "manifest\n", func() Signature { return legacy }, ""},
		{"a changed message is refused", key.Public(), "manifest!\n", func() Signature { return sig }, "does not match"},
		{"a legacy signature of a changed message is refused", key.Public(), "manifest!\n", func() Signature { return legacy }, "does not match"},
		{"another key is refused by its id", other.Public(), "manifest\n", func() Signature { return sig }, "not by the configured key"},
		{"another key with the same id is refused", sameID.Public(), "manifest\n", func() Signature { return sig }, "does not match"},
		{"a changed trusted comment is refused", key.Public(), "manifest\n", func() Signature {
			s := sig
			s.TrustedComment += " version:99"
			return s
		}, "trusted comment"},
		{"a prehashed signature presented as legacy is refused", key.Public(), "manifest\n", func() Signature {
			s := sig
			s.Prehashed = false
			return s
		}, "does not match"},
		{"a changed untrusted comment does not matter", key.Public(), "manifest\n", func() Signature {
			s := sig
			s.UntrustedComment = "anything"
			return s
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verify(tt.key, []byte(tt.msg), tt.sig())
			if tt.want == "" && err != nil || tt.want != "" && (!errors.Is(err, ErrBadSignature) || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("Verify = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestParseErrorsSayWhatIsWrong(t *testing.T) {
	key := newKey(t)
	pub := key.Public().String()
	sig := string(key.Sign([]byte("x"), "t").Encode())
	sigLines := strings.Split(sig, "\n")
	tests := []struct {
		name  string
		parse func() error
		want  string
	}{
		{"a public key of three lines", func() error { _, err := ParsePublicKey("a\nb\nc"); return err }, "got 3 lines"},
		{"a public key in bad base64", func() error { _, err := ParsePublicKey("RW*"); return err }, "decoding base64"},
		{"a public key of another algorithm", func() error {
			_, err := ParsePublicKey(b64.EncodeToString(append([]byte("Xy"), make([]byte, 40)...)))
			return err
		}, `algorithm "Xy"`},
		{"a signature of three lines", func() error { _, err := ParseSignature([]byte("a\nb\nc\n")); return err }, "3 lines, want 4"},
		{"a signature without its untrusted comment prefix", func() error {
			_, err := ParseSignature([]byte("comment\n" + strings.Join(sigLines[1:], "\n")))
			return err
		}, "line 1 does not start"},
		{"a signature without its trusted comment prefix", func() error {
			_, err := ParseSignature([]byte(strings.Join([]string{sigLines[0], sigLines[1], "comment: t", sigLines[3]}, "\n")))
			return err
		}, "line 3 does not start"},
		{"a signature of another algorithm", func() error {
			raw, _ := b64.DecodeString(sigLines[1])
			raw[0], raw[1] = 'X', 'X'
			_, err := ParseSignature([]byte(strings.Join([]string{sigLines[0], b64.EncodeToString(raw), sigLines[2], sigLines[3]}, "\n")))
			return err
		}, `algorithm "XX"`},
		{"a global signature cut short", func() error {
			_, err := ParseSignature([]byte(strings.Join([]string{sigLines[0], sigLines[1], sigLines[2], sigLines[3][:40]}, "\n")))
			return err
		}, "line 4 is not the base64 of 64 bytes"},
		{"a secret key encrypted with a password", func() error {
			_, err := ParseSecretKey(secretKeyWithKDF(t, key, kdfScrypt))
			return err
		}, "minisign -C -W"},
		{"a secret key whose halves disagree", func() error {
			k := key
			k.Key = append(append([]byte{}, key.Key[:32]...), newKey(t).Key[32:]...)
			_, err := ParseSecretKey(k.Encode())
			return err
		}, "does not match its seed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.parse(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
	if k, err := ParsePublicKey("\r\n" + pub + "\r\n"); err != nil || k != key.Public() {
		t.Errorf("ParsePublicKey of the bare line with CRLF = %v, %v", k, err)
	}
	if k, err := ParsePublicKey(strings.ReplaceAll(string(key.Public().Encode()), "\n", "\r\n")); err != nil || k != key.Public() {
		t.Errorf("ParsePublicKey of the file with CRLF = %v, %v", k, err)
	}
	if _, err := ParseSignature([]byte(strings.ReplaceAll(sig, "\n", "\r\n"))); err != nil {
		t.Errorf("ParseSignature with CRLF: %v", err)
	}
	if got := key.String(); strings.Contains(got, b64.EncodeToString(key.Key)) || !strings.Contains(got, key.ID.String()) {
		t.Errorf("SecretKey.String() = %q: it must name the key without showing it", got)
	}
}

// secretKeyWithKDF returns k's key file with another key derivation id.
func secretKeyWithKDF(t *testing.T, k SecretKey, kdf string) []byte {
	t.Helper()
	lines := strings.Split(string(k.Encode()), "\n")
	raw, err := b64.DecodeString(lines[1])
	if err != nil {
		t.Fatal(err)
	}
	copy(raw[2:4], kdf)
	return []byte(lines[0] + "\n" + b64.EncodeToString(raw) + "\n")
}
