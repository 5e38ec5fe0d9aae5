package doctor

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// answer is a fake upstream: any question gets an empty NOERROR answer.
var answer = dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(q)
	w.WriteMsg(m)
})

// serveDNS starts a fake DNS server on loopback over net ("udp", "tcp" or
// "tcp-tls" with tc) and returns its address.
func serveDNS(t *testing.T, network string, tc *tls.Config) string {
	t.Helper()
	srv := &dns.Server{Handler: answer, TLSConfig: tc}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	switch network {
	case "udp":
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv.PacketConn = pc
	default:
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		if tc != nil {
			l = tls.NewListener(l, tc)
		}
		srv.Listener = l
	}
	go srv.ActivateAndServe()
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("fake DNS server did not start")
	}
	t.Cleanup(func() { srv.Shutdown() })
	if srv.PacketConn != nil {
		return srv.PacketConn.LocalAddr().String()
	}
	return srv.Listener.Addr().String()
}

// serveDoH starts a fake DNS-over-HTTPS server on loopback at /dns-query.
func serveDoH(t *testing.T, tc *tls.Config) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		q := new(dns.Msg)
		if r.URL.Path != "/dns-query" || q.Unpack(body) != nil {
			http.Error(w, "not a DNS query", http.StatusBadRequest)
			return
		}
		m := new(dns.Msg)
		m.SetReply(q)
		wire, _ := m.Pack()
		w.Header().Set("Content-Type", "application/dns-message")
		w.Write(wire)
	}))
	srv.TLS = tc
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

// selfSigned makes a certificate for dns.test and writes it as a PEM file
// for upstream.ca_file.
func selfSigned(t *testing.T) (*tls.Config, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "dns.test"},
		DNSNames: []string{"dns.test"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	tc := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, NextProtos: []string{"h2", "http/1.1"}}
	return tc, caFile
}

// writeConfig writes a configuration file for the doctor to read.
func writeConfig(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "amane.toml")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// testDoctor is a doctor on a quiet machine: a synchronized clock, an
// empty disk, no leases file, short probes.
func testDoctor(path string) *Doctor {
	root := false
	return &Doctor{
		ConfigPath: path, Timeout: 2 * time.Second, Root: &root,
		Now:        func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) },
		LeaseFiles: []string{},
		System: System{
			ClockSynced: func() (bool, error) { return true, nil },
			DiskSpace:   func(string) (uint64, uint64, error) { return 10 << 30, 32 << 30, nil },
		},
	}
}

// find returns the results of one check.
func find(rs []Result, check string) []Result {
	var out []Result
	for _, r := range rs {
		if r.Check == check {
			out = append(out, r)
		}
	}
	return out
}

// want fails the test unless r has the status and its message holds text.
func want(t *testing.T, r Result, st Status, text string) {
	t.Helper()
	if r.Status != st || !strings.Contains(r.Msg, text) {
		t.Errorf("got %v %q (fix %q), want %v with %q", r.Status, r.Msg, r.Fix, st, text)
	}
}
