package resolver

import (
	"errors"
	"fmt"
	"github.com/amane-dns/amane/internal/fielderr"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is the resolver's part of the configuration file: the [server],
// [upstream], [cache] and [local] sections. The zero value is not useful;
// start from DefaultConfig.
type Config struct {
	Server   ServerConfig   `toml:"server"`
	Upstream UpstreamConfig `toml:"upstream"`
	Cache    CacheConfig    `toml:"cache"`
	Local    LocalConfig    `toml:"local"`
}

// ServerConfig says where amane listens and whom it answers.
type ServerConfig struct {
	// Listen holds IP:port pairs; amane serves UDP and TCP on each. Changing
	// it takes a restart.
	Listen []string `toml:"listen"`
	// Allow holds the client networks that get answers. Empty means
	// loopback plus the private networks of this machine's interfaces.
	Allow []netip.Prefix `toml:"allow"`
	// RateLimit is each device's sustained queries per second; 0 disables
	// the limit. RateBurst is the bucket size. A device is the MAC a
	// trusted forwarder (identify.trusted_forwarders) carries in EDNS
	// option 65001, else the source address; a trusted forwarder's own
	// queries, without a MAC, are not limited.
	RateLimit int `toml:"rate_limit"`
	RateBurst int `toml:"rate_burst"`
	// MaxConcurrent bounds the queries waiting for an upstream at once;
	// beyond it new misses are REFUSED rather than queued without end.
	// Past half of it, a device gets no more than its share, so that one
	// device's flood of unique names never keeps another's misses out.
	MaxConcurrent int `toml:"max_concurrent"`
	// MaxTCPConnections bounds open client TCP connections.
	MaxTCPConnections int `toml:"max_tcp_connections"`
	// TCPIdleTimeout closes a client TCP connection that stays silent this
	// long (RFC 7766 6.2.3).
	TCPIdleTimeout time.Duration `toml:"tcp_idle_timeout"`
	// EDNSSize is the largest UDP answer amane sends (RFC 6891 6.2.5; 1232
	// avoids IP fragmentation, DNS Flag Day 2020).
	EDNSSize int `toml:"edns_size"`
}

// UpstreamConfig says where cache misses are sent.
type UpstreamConfig struct {
	// Servers are upstream URLs: udp://IP[:53], tcp://IP[:53],
	// tls://[IP@]NAME[:853], https://[IP@]NAME[:443]/PATH.
	Servers []string `toml:"servers"`
	// Timeout is the whole time budget of one query, all tries included.
	Timeout time.Duration `toml:"timeout"`
	// Tries bounds the upstream exchanges one query may start.
	Tries int `toml:"tries"`
	// Bootstrap holds plain-DNS servers (IP[:port]) used only to find the
	// addresses of upstreams given by host name without IP@.
	Bootstrap []string `toml:"bootstrap"`
	// CAFile is a PEM bundle trusted for TLS and HTTPS upstreams, in
	// addition to the system's roots (a school's own DoT server).
	CAFile string `toml:"ca_file"`
}

// CacheConfig bounds the answer cache.
type CacheConfig struct {
	Entries int      `toml:"entries"` // most answers kept
	Memory  ByteSize `toml:"memory"`  // most bytes kept, e.g. "32MiB"
	// MinTTL and MaxTTL clamp the TTLs of cached answers.
	MinTTL time.Duration `toml:"min_ttl"`
	MaxTTL time.Duration `toml:"max_ttl"`
	// ServeStale is how long past expiry an answer may still be given when
	// every upstream fails (RFC 8767); 0 disables.
	ServeStale time.Duration `toml:"serve_stale"`
	// Prefetch refreshes an answer still being asked for shortly before it
	// expires, so popular names never miss.
	Prefetch bool `toml:"prefetch"`
	// Save writes the cache to the state directory at shutdown and reads it
	// back at start, so a reboot does not start cold.
	Save bool `toml:"save"`
}

// LocalConfig keeps the home or school network's own names working.
type LocalConfig struct {
	// Domain is the LAN's domain (e.g. "lan", "home.arpa"); its names, and
	// names without a dot, go to Router and never to a public upstream.
	Domain string `toml:"domain"`
	// Router is the LAN's DNS server (usually the DHCP server), as an
	// upstream URL or IP; empty answers LAN names from Hosts only.
	Router string `toml:"router"`
	// Reverse holds the LAN's networks whose reverse lookups go to Router.
	// Reverse lookups of other private addresses are answered NXDOMAIN
	// locally (RFC 6303) and never leak to a public upstream.
	Reverse []netip.Prefix `toml:"reverse"`
	// Hosts are static records in hosts-file form: "192.168.1.10 nas nas.lan".
	Hosts []string `toml:"hosts"`
	// RebindProtection strips private, loopback and link-local addresses
	// from the answers for public names (DNS rebinding).
	RebindProtection bool `toml:"rebind_protection"`
	// RebindAllow holds public domains allowed to answer private addresses
	// (for example "plex.direct").
	RebindAllow []string `toml:"rebind_allow"`
}

// DefaultConfig returns the defaults that a configuration file overrides.
func DefaultConfig() Config {
	return Config{
		Server: ServerConfig{
			Listen:            []string{"127.0.0.1:5353", "[::1]:5353"},
			RateLimit:         100,
			RateBurst:         500,
			MaxConcurrent:     1024,
			MaxTCPConnections: 256,
			TCPIdleTimeout:    10 * time.Second,
			EDNSSize:          1232,
		},
		Upstream: UpstreamConfig{
			Servers: []string{"tls://1.1.1.3@family.cloudflare-dns.com", "https://9.9.9.9@dns.quad9.net/dns-query"},
			Timeout: 2 * time.Second,
			Tries:   3,
		},
		Cache: CacheConfig{
			Entries: 100_000, Memory: 32 << 20,
			MaxTTL: 24 * time.Hour, ServeStale: 24 * time.Hour,
			Prefetch: true, Save: true,
		},
		Local: LocalConfig{RebindProtection: true},
	}
}

// Validate returns every problem with c, each a *fielderr.Error.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) { errs = append(errs, fielderr.New(key, format, args...)) }
	if len(c.Server.Listen) == 0 {
		bad("server.listen", "at least one address is needed")
	}
	for i, l := range c.Server.Listen {
		if _, err := netip.ParseAddrPort(l); err != nil {
			bad(fmt.Sprintf("server.listen[%d]", i), "%q is not IP:port (IPv6 in brackets: \"[::1]:53\")", l)
		}
	}
	positive := map[string]int{
		"server.max_concurrent": c.Server.MaxConcurrent, "server.max_tcp_connections": c.Server.MaxTCPConnections,
		"upstream.tries": c.Upstream.Tries, "cache.entries": c.Cache.Entries,
	}
	for key, v := range positive {
		if v <= 0 {
			bad(key, "must be at least 1, not %d", v)
		}
	}
	if c.Server.RateLimit < 0 || c.Server.RateBurst < 0 {
		bad("server.rate_limit", "must not be negative")
	}
	if c.Server.RateLimit > 0 && c.Server.RateBurst < c.Server.RateLimit {
		bad("server.rate_burst", "must be at least rate_limit (%d)", c.Server.RateLimit)
	}
	if c.Server.EDNSSize < 512 || c.Server.EDNSSize > 4096 {
		bad("server.edns_size", "must be between 512 and 4096, not %d", c.Server.EDNSSize)
	}
	if c.Server.TCPIdleTimeout < time.Second {
		bad("server.tcp_idle_timeout", "must be at least 1s")
	}
	errs = append(errs, c.validateUpstream()...)
	if c.Cache.Memory < 1<<20 {
		bad("cache.memory", "must be at least 1MiB")
	}
	if c.Cache.MinTTL < 0 || c.Cache.MaxTTL < time.Second || c.Cache.MinTTL > c.Cache.MaxTTL {
		bad("cache.max_ttl", "need 0 <= min_ttl <= max_ttl and max_ttl >= 1s")
	}
	if c.Cache.ServeStale < 0 {
		bad("cache.serve_stale", "must not be negative (0 disables)")
	}
	errs = append(errs, c.Local.validate()...)
	return errors.Join(errs...)
}

func (c *Config) validateUpstream() []error {
	var errs []error
	u := c.Upstream
	if len(u.Servers) == 0 {
		errs = append(errs, fielderr.New("upstream.servers", "at least one upstream is needed"))
	}
	boot := newBootstrap(u.Bootstrap)
	for i, s := range u.Servers {
		t, err := parseUpstream(s, boot, &tlsRoots{})
		if err != nil {
			errs = append(errs, fielderr.New(fmt.Sprintf("upstream.servers[%d]", i), "%q: %w", s, err))
			continue
		}
		t.close()
	}
	for i, b := range u.Bootstrap {
		if _, err := netip.ParseAddrPort(b); err != nil {
			errs = append(errs, fielderr.New(fmt.Sprintf("upstream.bootstrap[%d]", i), "%q is not IP:port", b))
		}
	}
	if u.Timeout < 10*time.Millisecond {
		errs = append(errs, fielderr.New("upstream.timeout", "must be at least 10ms"))
	}
	if u.CAFile != "" {
		if _, err := os.Stat(u.CAFile); err != nil {
			errs = append(errs, fielderr.New("upstream.ca_file", "%v", err))
		}
	}
	return errs
}

// ByteSize is a size in bytes, written in a configuration file as a number
// or as a string such as "32MiB", "512KB" or "1GiB".
type ByteSize int64

// UnmarshalText reads "32MiB", "32MB" (also taken as MiB: a router owner
// means memory), "512KiB", "1GiB" or a plain number of bytes.
func (b *ByteSize) UnmarshalText(text []byte) error {
	s := strings.TrimSpace(string(text))
	units := []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"GB", 1 << 30}, {"MiB", 1 << 20}, {"MB", 1 << 20}, {"KiB", 1 << 10}, {"KB", 1 << 10}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return fmt.Errorf("%q is not a size such as \"32MiB\"", text)
	}
	*b = ByteSize(n * mult)
	return nil
}

// MarshalText writes the size in the largest whole unit.
func (b ByteSize) MarshalText() ([]byte, error) {
	switch {
	case b != 0 && b%(1<<30) == 0:
		return fmt.Appendf(nil, "%dGiB", b>>30), nil
	case b != 0 && b%(1<<20) == 0:
		return fmt.Appendf(nil, "%dMiB", b>>20), nil
	}
	return fmt.Appendf(nil, "%d", int64(b)), nil
}
