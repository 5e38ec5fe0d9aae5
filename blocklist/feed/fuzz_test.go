package feed

import (
	"bytes"
	"crypto/ed25519"
	"reflect"
	"testing"
)

// fuzzKey is a fixed key, so that a fuzz input's behaviour never depends
// on randomness.
func fuzzKey() SecretKey {
	k := SecretKey{ID: KeyID{1, 2, 3, 4, 5, 6, 7, 8}}
	k.Key = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	return k
}

func FuzzDecodeManifest(f *testing.F) {
	f.Add([]byte(validManifest))
	f.Add([]byte(`{"schema":1,"name":"x","version":1,"issued":"2026-01-01T00:00:00Z","expires":"2026-01-02T00:00:00Z","lists":[]}`))
	f.Add([]byte(`{"schema":1,"lists":[{"file":"../x","size":-1}]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeManifest(data, Limits{})
		if err != nil {
			return
		}
		b, err := m.Encode()
		if err != nil {
			t.Fatalf("an accepted manifest does not encode: %v", err)
		}
		again, err := DecodeManifest(b, Limits{})
		if err != nil {
			t.Fatalf("an accepted manifest re-encodes to one refused: %v\n%s", err, b)
		}
		b2, _ := again.Encode()
		if !bytes.Equal(b, b2) {
			t.Fatalf("encoding is not stable:\n%s\n%s", b, b2)
		}
	})
}

func FuzzParseSignature(f *testing.F) {
	k := fuzzKey()
	f.Add(k.Sign([]byte("x"), "timestamp:1\tfile:manifest.json\thashed").Encode())
	f.Add([]byte("untrusted comment: \r\nRUQ=\r\ntrusted comment: \r\n\r\n"))
	f.Add([]byte("untrusted comment: x\n\n\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sig, err := ParseSignature(data)
		if err != nil {
			return
		}
		again, err := ParseSignature(sig.Encode())
		if err != nil || again != sig {
			t.Fatalf("an accepted signature re-encodes to %+v, %v; want %+v", again, err, sig)
		}
		_ = Verify(k.Public(), []byte("x"), sig) // must not panic, whatever was parsed
	})
}

func FuzzParsePublicKey(f *testing.F) {
	k := fuzzKey().Public()
	f.Add(k.String())
	f.Add(string(k.Encode()))
	f.Add("untrusted comment: x\r\n\r\nRWQ=\r\n")
	f.Fuzz(func(t *testing.T, s string) {
		pk, err := ParsePublicKey(s)
		if err != nil {
			return
		}
		for _, enc := range []string{pk.String(), string(pk.Encode())} {
			if again, err := ParsePublicKey(enc); err != nil || again != pk {
				t.Fatalf("an accepted key re-encodes to %v, %v; want %v", again, err, pk)
			}
		}
	})
}

func FuzzParseSecretKey(f *testing.F) {
	f.Add(fuzzKey().Encode())
	f.Add([]byte("untrusted comment: x\nRWQAAEIy\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sk, err := ParseSecretKey(data)
		if err != nil {
			return
		}
		if again, err := ParseSecretKey(sk.Encode()); err != nil || !reflect.DeepEqual(again, sk) {
			t.Fatalf("an accepted secret key re-encodes to one refused or different: %v", err)
		}
	})
}
