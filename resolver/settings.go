package resolver

import (
	"crypto/x509"
	"fmt"
	"net"
	"net/netip"
	"os"
	"time"
)

// tlsRoots is the certificate pool for TLS and HTTPS upstreams; a nil pool
// means the system's roots.
type tlsRoots struct{ pool *x509.CertPool }

func loadRoots(caFile string) (*tlsRoots, error) {
	if caFile == "" {
		return &tlsRoots{}, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", caFile)
	}
	return &tlsRoots{pool: pool}, nil
}

// settings is a Config compiled for the hot path. It is immutable; a reload
// compiles a new one and swaps the pointer, so a query sees one whole
// configuration from start to end.
type settings struct {
	cfg       Config
	allow     []netip.Prefix
	public    *upstreamSet
	router    *upstreamSet // nil without [local] router
	local     *localZones
	bounds    ttlBounds
	ednsSize  uint16
	staleFor  time.Duration
	rateLimit float64
	rateBurst float64
}

func compile(cfg Config) (*settings, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	roots, err := loadRoots(cfg.Upstream.CAFile)
	if err != nil {
		return nil, fmt.Errorf("upstream.ca_file: %w", err)
	}
	boot := newBootstrap(cfg.Upstream.Bootstrap)
	s := &settings{
		cfg: cfg, allow: cfg.Server.Allow,
		bounds:    ttlBounds{min: uint32(cfg.Cache.MinTTL / time.Second), max: uint32(cfg.Cache.MaxTTL / time.Second)},
		ednsSize:  uint16(cfg.Server.EDNSSize),
		staleFor:  cfg.Cache.ServeStale,
		rateLimit: float64(cfg.Server.RateLimit), rateBurst: float64(cfg.Server.RateBurst),
	}
	if len(s.allow) == 0 {
		s.allow = defaultAllow()
	}
	if s.public, err = newUpstreamSet(cfg.Upstream.Servers, cfg.Upstream.Tries, boot, roots); err != nil {
		return nil, err
	}
	if cfg.Local.Router != "" {
		if s.router, err = newUpstreamSet([]string{cfg.Local.Router}, 2, boot, roots); err != nil {
			s.public.close()
			return nil, fmt.Errorf("local.router: %w", err)
		}
	}
	if s.local, err = compileLocal(cfg.Local); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

func newUpstreamSet(urls []string, tries int, boot *bootstrap, roots *tlsRoots) (*upstreamSet, error) {
	set := &upstreamSet{tries: tries}
	for _, raw := range urls {
		t, err := parseUpstream(raw, boot, roots)
		if err != nil {
			set.close()
			return nil, fmt.Errorf("upstream %q: %w", raw, err)
		}
		set.ups = append(set.ups, &upstream{t: t})
	}
	return set, nil
}

func (s *settings) close() {
	s.public.close()
	if s.router != nil {
		s.router.close()
	}
}

func (s *settings) allowed(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range s.allow {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// defaultAllow is loopback plus every private network configured on this
// machine's interfaces: the home or school LAN, and nobody beyond it.
func defaultAllow() []netip.Prefix {
	out := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return out
	}
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		p, err := netip.ParsePrefix(ipn.String())
		if err != nil || !isPrivate(p.Addr().Unmap()) || p.Addr().IsLoopback() {
			continue
		}
		out = append(out, p.Masked())
	}
	return out
}

// Settings are a configuration compiled for a Handler and not yet in
// force: a reload compiles them first, with everything else it must
// build, and applies them only once the whole new state is ready
// (issue 9: nothing is swapped before everything compiled).
type Settings struct{ s *settings }

// Compile checks and compiles cfg without touching any handler.
func Compile(cfg Config) (Settings, error) {
	s, err := compile(cfg)
	if err != nil {
		return Settings{}, err
	}
	return Settings{s}, nil
}

// Discard releases settings that will not be applied.
func (s Settings) Discard() {
	if s.s != nil {
		s.s.close()
	}
}

// Apply swaps s in whole. Listen addresses are the server's, not the
// handler's: a change to them takes a restart.
func (h *Handler) Apply(s Settings) {
	old := h.settings.Swap(s.s)
	h.cache.Resize(s.s.cfg.Cache.Entries, int(s.s.cfg.Cache.Memory))
	// Queries in flight may still use the old upstreams: close them once
	// the longest of those queries must have finished.
	time.AfterFunc(2*old.cfg.Upstream.Timeout, old.close)
}

// Config is the configuration in force.
func (h *Handler) Config() Config { return h.settings.Load().cfg }

// Admits reports whether addr is a client the configuration answers
// (server.allow, or loopback and this machine's private networks): the
// parents' console serves the same clients, and nobody beyond the LAN.
func (h *Handler) Admits(addr netip.Addr) bool { return h.settings.Load().allowed(addr) }
