package doctor

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/amane-dns/amane/configs"
	"github.com/amane-dns/amane/resolver"
	"github.com/miekg/dns"
)

// checkUpstreams asks every upstream one question, all at once, then the
// LAN's router if one is configured. An upstream that fails while another
// works is a warning: amane sets it aside and asks the others.
func (d *Doctor) checkUpstreams(ctx context.Context, cfg *configs.File) []Result {
	servers := cfg.Upstream.Servers
	rs := make([]Result, len(servers))
	var wg sync.WaitGroup
	for i, s := range servers {
		wg.Go(func() { rs[i] = d.probeUpstream(ctx, "upstream", s, cfg) })
	}
	wg.Wait()
	working := 0
	for _, r := range rs {
		if r.Status == OK {
			working++
		}
	}
	for i := range rs {
		if rs[i].Status == Fail && working > 0 {
			rs[i].Status = Warn
			rs[i].Msg += " (amane asks the others meanwhile)"
		}
	}
	if cfg.Local.Router != "" {
		r := d.probeUpstream(ctx, "router", cfg.Local.Router, cfg)
		if r.Status == Fail {
			r.Status = Warn
			r.Msg += ": the LAN's own names (nas.lan, printer.lan) will not resolve"
			r.Fix = "set local.router to the router's address (the DNS server your devices got before amane)"
		}
		rs = append(rs, r)
	}
	return rs
}

// probeUpstream asks one upstream for the root's name servers, over its
// own transport: plain DNS over UDP or TCP, DNS-over-TLS, or a DoH POST.
func (d *Doctor) probeUpstream(ctx context.Context, check, raw string, cfg *configs.File) Result {
	res := Result{Check: check}
	if !strings.Contains(raw, "://") {
		raw = "udp://" + raw
	}
	u, err := url.Parse(raw)
	if err == nil && u.Hostname() == "" {
		err = errors.New("no host")
	}
	if err != nil {
		res.Status, res.Msg, res.Fix = Fail, raw+": "+err.Error(), "amane check-config lists the URL forms"
		return res
	}
	ctx, cancel := context.WithTimeout(ctx, d.Timeout)
	defer cancel()
	start := time.Now()
	err = d.exchange(ctx, u, cfg.Upstream)
	if err != nil {
		res.Status, res.Msg, res.Fix = Fail, raw+": "+err.Error(), upstreamFix(err, u)
		return res
	}
	res.Status, res.Msg = OK, fmt.Sprintf("%s answered in %s", raw, time.Since(start).Round(time.Millisecond))
	return res
}

func (d *Doctor) exchange(ctx context.Context, u *url.URL, uc resolver.UpstreamConfig) error {
	q := new(dns.Msg)
	q.SetQuestion(".", dns.TypeNS)
	port := map[string]string{"udp": "53", "tcp": "53", "tls": "853", "https": "443"}[u.Scheme]
	if port == "" {
		return fmt.Errorf("unknown scheme %q (udp, tcp, tls or https)", u.Scheme)
	}
	addr, err := dialAddr(ctx, u, port, uc.Bootstrap)
	if err != nil {
		return err
	}
	switch u.Scheme {
	case "udp", "tcp":
		_, _, err = (&dns.Client{Net: u.Scheme}).ExchangeContext(ctx, q, addr)
		return err
	}
	tc, err := tlsConfig(u.Hostname(), uc.CAFile)
	if err != nil {
		return err
	}
	if u.Scheme == "tls" {
		_, _, err = (&dns.Client{Net: "tcp-tls", TLSConfig: tc}).ExchangeContext(ctx, q, addr)
		return err
	}
	return askDoH(ctx, u, addr, tc, q)
}

// dialAddr is the address to dial for u: the IP before @, the host when
// it is an address, or else the host looked up through upstream.bootstrap,
// as amane does it (never the system's resolver, which may be amane).
func dialAddr(ctx context.Context, u *url.URL, port string, bootstrap []string) (string, error) {
	if u.Port() != "" {
		port = u.Port()
	}
	host := u.Hostname()
	if u.User != nil {
		host = strings.Trim(u.User.Username(), "[]")
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return net.JoinHostPort(ip.String(), port), nil
	}
	if len(bootstrap) == 0 {
		return "", fmt.Errorf("%s is a name: give its address as IP@%s or set upstream.bootstrap", host, host)
	}
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, bootstrap[0])
	}}
	ips, err := r.LookupHost(ctx, host)
	if err != nil {
		return "", fmt.Errorf("looking up %s through the bootstrap server %s: %w", host, bootstrap[0], err)
	}
	return net.JoinHostPort(ips[0], port), nil
}

// tlsConfig trusts the system's roots and upstream.ca_file, as amane does.
func tlsConfig(name, caFile string) (*tls.Config, error) {
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("reading upstream.ca_file: %w", err)
		}
		pool.AppendCertsFromPEM(pem)
	}
	return &tls.Config{ServerName: name, RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

// askDoH sends q as an RFC 8484 POST to the URL, dialing addr.
func askDoH(ctx context.Context, u *url.URL, addr string, tc *tls.Config, q *dns.Msg) error {
	wire, err := q.Pack()
	if err != nil {
		return err
	}
	tr := &http.Transport{TLSClientConfig: tc, ForceAttemptHTTP2: true,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		}}
	defer tr.CloseIdleConnections()
	clean := *u
	clean.User = nil
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, clean.String(), bytes.NewReader(wire))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/dns-message")
	req.Header.Set("Accept", "application/dns-message")
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP status %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, dns.MaxMsgSize))
	if err != nil {
		return err
	}
	return new(dns.Msg).Unpack(body)
}

// upstreamFix turns the usual failures into what to do about them.
func upstreamFix(err error, u *url.URL) string {
	var invalid x509.CertificateInvalidError
	var unknown x509.UnknownAuthorityError
	var wrongHost x509.HostnameError
	var netErr net.Error
	switch {
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return "the certificate looks expired or not yet valid: the clock is probably wrong (see the clock line)"
	case errors.As(err, &unknown):
		return "the certificate is not trusted here: install ca-certificates (OpenWrt: ca-bundle), or set upstream.ca_file"
	case errors.As(err, &wrongHost):
		return "the certificate is not for " + u.Hostname() + ": check the name in the URL"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "nothing listens there: check the address and the port in the URL"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "no answer: check this machine's internet link; a firewall may block " + u.Scheme + " to that port"
	}
	return "check the URL in upstream.servers and this machine's internet link"
}
