package feed

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The reference minisign tool (Debian package minisign) and this package
// must accept each other's keys and signatures.

func needMinisign(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("minisign"); err != nil {
		t.Skip("minisign is not on PATH (apt-get install minisign): skipping the interoperability test")
	}
}

func minisign(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command("minisign", args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("minisign %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestMinisignVerifiesOurSignature(t *testing.T) {
	needMinisign(t)
	dir := t.TempDir()
	key := newKey(t)
	file, pub := filepath.Join(dir, ManifestFile), filepath.Join(dir, "feed.pub")
	msg := []byte(`{"schema": 1}` + "\n")
	writeAll(t, map[string][]byte{
		file:                  msg,
		file + ".minisig":     key.Sign(msg, "timestamp:1\tfile:manifest.json\thashed").Encode(),
		pub:                   key.Public().Encode(),
		file + ".bad.minisig": key.Sign([]byte("other"), "t").Encode(),
	})
	out := minisign(t, "", "-Vm", file, "-p", pub)
	if !strings.Contains(out, "Trusted comment: timestamp:1\tfile:manifest.json\thashed") {
		t.Errorf("minisign -V printed %q", out)
	}
	minisign(t, "", "-Vm", file, "-P", key.Public().String()) // the bare key, as in a config file
	minisign(t, "", "-V", "-H", "-m", file, "-p", pub)        // -H: prehashed required
	if out, err := exec.Command("minisign", "-Vm", file, "-p", pub, "-x", file+".bad.minisig").CombinedOutput(); err == nil {
		t.Errorf("minisign accepted a signature of another file: %s", out)
	}
}

func TestWeVerifyMinisignSignatures(t *testing.T) {
	needMinisign(t)
	dir := t.TempDir()
	pubFile, keyFile, file := filepath.Join(dir, "k.pub"), filepath.Join(dir, "k.key"), filepath.Join(dir, "f")
	minisign(t, "", "-G", "-W", "-p", pubFile, "-s", keyFile)
	msg := []byte("bad.example\n")
	writeAll(t, map[string][]byte{file: msg})
	pubText, _ := os.ReadFile(pubFile)
	pub, err := ParsePublicKey(string(pubText))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, flag string }{
		{"a prehashed signature (minisign's default) verifies", ""},
		{"a legacy signature (minisign -l) verifies", "-l"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"-S", "-s", keyFile, "-m", file, "-t", "feed:emc version:7"}
			if tt.flag != "" {
				args = append(args, tt.flag)
			}
			minisign(t, "", args...)
			sigText, _ := os.ReadFile(file + ".minisig")
			sig, err := ParseSignature(sigText)
			if err != nil {
				t.Fatal(err)
			}
			if sig.Prehashed != (tt.flag == "") || sig.TrustedComment != "feed:emc version:7" {
				t.Errorf("parsed prehashed=%v, trusted comment %q", sig.Prehashed, sig.TrustedComment)
			}
			if err := Verify(pub, msg, sig); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if err := Verify(pub, []byte("good.example\n"), sig); err == nil {
				t.Fatal("Verify accepted minisign's signature for another message")
			}
		})
	}
	// Its unencrypted secret key is ours too.
	keyText, _ := os.ReadFile(keyFile)
	sk, err := ParseSecretKey(keyText)
	if err != nil || sk.Public() != pub {
		t.Fatalf("ParseSecretKey(minisign -G -W) = %v, %v", sk, err)
	}
}

func TestMinisignSignsWithOurKey(t *testing.T) {
	needMinisign(t)
	dir := t.TempDir()
	key := newKey(t)
	keyFile, file := filepath.Join(dir, "feed.key"), filepath.Join(dir, "f")
	writeAll(t, map[string][]byte{keyFile: key.Encode(), file: []byte("x\n")})
	minisign(t, "", "-S", "-s", keyFile, "-m", file)
	sigText, _ := os.ReadFile(file + ".minisig")
	sig, err := ParseSignature(sigText)
	if err != nil || Verify(key.Public(), []byte("x\n"), sig) != nil {
		t.Fatalf("minisign's signature with our key file does not verify: %v", err)
	}
}

// TestMinisignVectors reads keys and signatures that minisign made (see
// testdata/minisign/README.md), so it runs without the tool.
func TestMinisignVectors(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join("testdata", "minisign", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for _, name := range []string{"unencrypted", "checksummed"} {
		t.Run("the "+name+" secret key matches its public key", func(t *testing.T) {
			pub, err := ParsePublicKey(read(name + ".pub"))
			if err != nil {
				t.Fatal(err)
			}
			sk, err := ParseSecretKey([]byte(read(name + ".key")))
			if err != nil || sk.Public() != pub {
				t.Fatalf("ParseSecretKey = %v, %v; want the key of %s", sk, err, pub)
			}
			raw, _ := b64.DecodeString(strings.Split(read(name+".key"), "\n")[1])
			if checked := !allZero(raw[len(raw)-32:]); checked != (name == "checksummed") {
				t.Fatalf("the vector's checksum field is set: %v; the test data is wrong", checked)
			}
			raw[len(raw)-1] ^= 1 // a checksum that is set and wrong
			_, err = ParseSecretKey([]byte("untrusted comment: x\n" + b64.EncodeToString(raw)))
			if err == nil || !strings.Contains(err.Error(), "wrong checksum") {
				t.Fatalf("ParseSecretKey with the checksum's last byte flipped: %v", err)
			}
		})
	}
	pub, _ := ParsePublicKey(read("unencrypted.pub"))
	for _, tt := range []struct{ name, sig, comment string }{
		{"minisign's prehashed signature verifies", "list.txt.minisig", "feed:emc version:7"},
		{"minisign's legacy signature verifies", "list.txt.legacy.minisig", "legacy"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sig, err := ParseSignature([]byte(read(tt.sig)))
			if err != nil || sig.TrustedComment != tt.comment {
				t.Fatalf("ParseSignature = %+v, %v", sig, err)
			}
			if err := Verify(pub, []byte(read("list.txt")), sig); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if err := Verify(pub, []byte("good.example\n"), sig); err == nil {
				t.Fatal("Verify accepted the signature for another message")
			}
		})
	}
}

func writeAll(t *testing.T, files map[string][]byte) {
	t.Helper()
	for name, b := range files {
		if err := os.WriteFile(name, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
