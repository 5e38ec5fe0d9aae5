package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// selfSigned writes a certificate for 127.0.0.1 and its key into dir.
func selfSigned(t *testing.T, dir string) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "helpline test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	writeFiles(t, dir, map[string]string{
		"cert.pem": string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		"key.pem":  string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})),
	})
	cert, _ := x509.ParseCertificate(der)
	return cert
}

func TestServeSpeaksTLSUnlessToldNotTo(t *testing.T) {
	cfg := helplineDir(t)
	dir := filepath.Dir(cfg)
	cert := selfSigned(t, dir)
	src, _ := os.ReadFile(cfg)
	writeFiles(t, dir, map[string]string{"helpline.toml": strings.Replace(string(src),
		"insecure_http = true", "tls_cert = \"cert.pem\"\ntls_key = \"key.pem\"", 1)})
	url := startServe(t, cfg)
	addr := strings.TrimPrefix(url, "http://")

	if resp, err := http.Get("http://" + addr + "/reports"); err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest { // Go's TLS server answers plain HTTP with a 400
			t.Fatalf("plain HTTP to the TLS intake = %d", resp.StatusCode)
		}
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get("https://" + addr + "/reports")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET over HTTPS = %d; want the intake's 405", resp.StatusCode)
	}
}

func TestServeRefusesAConfigWithoutTLS(t *testing.T) {
	cfg := helplineDir(t)
	src, _ := os.ReadFile(cfg)
	writeFiles(t, filepath.Dir(cfg), map[string]string{"helpline.toml": strings.Replace(string(src), "insecure_http = true\n", "", 1)})
	_, err := helpline(t, "serve", "-config", cfg)
	if err == nil || !strings.Contains(err.Error(), ":2: intake.tls_cert: tls_cert and tls_key are required") {
		t.Fatalf("serve without TLS files = %v; want a refusal naming intake.tls_cert", err)
	}
}

func TestOperatorCommandLineMistakes(t *testing.T) {
	cfg := helplineDir(t)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"serve"}, "serve: want -config FILE"},
		{[]string{"reports"}, "want list, show, confirm"},
		{[]string{"reports", "show", "-config", cfg}, "want 1 argument(s)"},
		{[]string{"reports", "confirm", "a.example", "-config", cfg}, "want --category C"},
		{[]string{"reports", "export", "--format", "pdf", "-config", cfg}, `--format "pdf": want csv or xarf`},
		{[]string{"reports", "list", "--status", "maybe", "-config", cfg}, `status "maybe" is not new`},
		{[]string{"stats", "-config", filepath.Join(t.TempDir(), "none.toml")}, "no such file"},
		{[]string{"feed", "keygen", "-config", cfg}, "feed.key exists"},
	} {
		if _, err := helpline(t, tt.args...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("amane-helpline %q = %v; want an error saying %q", tt.args, err, tt.want)
		}
	}
}
