package resolver

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/miekg/dns"
)

const dohMediaType = "application/dns-message"

// dohTransport sends queries as RFC 8484 POST requests over HTTP/2, with the
// connection kept open and shared by concurrent queries.
type dohTransport struct {
	url    string
	client *http.Client
}

func newDoHTransport(url string, addrs func(ctx context.Context) ([]string, error), cfg *tls.Config) *dohTransport {
	tr := &http.Transport{
		TLSClientConfig:     cfg,
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: 2,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 5 * time.Second,
		// Dial the bootstrap addresses, never the system resolver: on an
		// appliance that is amane itself.
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			list, err := addrs(ctx)
			if err != nil {
				return nil, err
			}
			return dialFirst(ctx, &net.Dialer{}, network, list)
		},
		Proxy: nil, // a proxy setting in the environment must not divert DNS
	}
	return &dohTransport{url: url, client: &http.Client{Transport: tr}}
}

func (t *dohTransport) String() string { return t.url }

func (t *dohTransport) exchange(ctx context.Context, q *dns.Msg) (*dns.Msg, error) {
	q.Id = 0 // RFC 8484 4.1: cache-friendly, and HTTP already matches replies to requests
	pkt, err := q.Pack()
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(pkt))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", dohMediaType)
	req.Header.Set("Accept", dohMediaType)
	resp, err := t.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP status %s", resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); ct != dohMediaType {
		return nil, fmt.Errorf("content type %q", ct)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, dns.MaxMsgSize+1))
	if err != nil {
		return nil, err
	}
	if len(body) > dns.MaxMsgSize {
		return nil, fmt.Errorf("reply larger than %d bytes", dns.MaxMsgSize)
	}
	r := new(dns.Msg)
	if err := r.Unpack(body); err != nil {
		return nil, err
	}
	if err := checkReply(q, r); err != nil {
		return nil, err
	}
	return r, nil
}

func (t *dohTransport) close() { t.client.CloseIdleConnections() }
