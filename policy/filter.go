package policy

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/internal/fielderr"
)

// FilterConfig is the [filter] section: the categories blocked for every
// device, and how a blocked name is answered. Profiles, when configured,
// start from it; devices without a profile get exactly it.
type FilterConfig struct {
	// Block holds category ids (DESIGN.md's taxonomy: "malware", "adult"...).
	// abuse is always blocked, listed or not.
	Block []string `toml:"block"`
	// BlockMode is "nxdomain" (the name does not exist), "null" (0.0.0.0 and
	// ::) or "address" (BlockAddress: a block page).
	BlockMode string `toml:"block_mode"`
	// BlockAddress holds the block page's IPv4 and/or IPv6 address, for
	// block_mode = "address".
	BlockAddress []netip.Addr `toml:"block_address"`
	// BlockTTL is the TTL of blocked answers: short, so that unblocking a
	// name takes effect soon on every device.
	BlockTTL time.Duration `toml:"block_ttl"`
	// BypassDefences answers NXDOMAIN to the names by which browsers and
	// phones switch to their own encrypted resolvers behind amane's back:
	// Firefox's canary, iCloud Private Relay, DDR (RFC 9462).
	BypassDefences bool `toml:"bypass_defences"`
}

// DefaultFilterConfig blocks what no household or school wants (abuse,
// malware and phishing, answered NXDOMAIN), with the bypass defences on.
func DefaultFilterConfig() FilterConfig {
	return FilterConfig{Block: []string{"abuse", "malware", "phishing"}, BlockMode: "nxdomain", BlockTTL: time.Minute, BypassDefences: true}
}

// Validate returns every problem, each naming its key.
func (c *FilterConfig) Validate() error {
	var errs []error
	for i, b := range c.Block {
		if _, err := blocklist.ParseCategory(b); err != nil {
			errs = append(errs, fielderr.New(fmt.Sprintf("filter.block[%d]", i), "%v", err))
		}
	}
	switch c.BlockMode {
	case "nxdomain", "null":
	case "address":
		if len(c.BlockAddress) == 0 {
			errs = append(errs, fielderr.New("filter.block_address", `block_mode = "address" needs the block page's address`))
		}
	default:
		errs = append(errs, fielderr.New("filter.block_mode", "%q is not nxdomain, null or address", c.BlockMode))
	}
	v4, v6 := 0, 0
	for _, a := range c.BlockAddress {
		if a.Is4() || a.Is4In6() {
			v4++
		} else {
			v6++
		}
	}
	if v4 > 1 || v6 > 1 {
		errs = append(errs, fielderr.New("filter.block_address", "at most one IPv4 and one IPv6 address"))
	}
	if c.BlockTTL < time.Second || c.BlockTTL > time.Hour {
		errs = append(errs, fielderr.New("filter.block_ttl", "must be between 1s and 1h"))
	}
	return errors.Join(errs...)
}

// BlockMode is how a blocked name is answered.
type BlockMode uint8

// The block modes.
const (
	BlockNXDomain BlockMode = iota // NXDOMAIN
	BlockNull                      // 0.0.0.0 / ::, NODATA for other types
	BlockAddress                   // the block page's address
)

// BlockAnswer is a compiled block mode.
type BlockAnswer struct {
	Mode   BlockMode
	V4, V6 netip.Addr // for BlockNull and BlockAddress; invalid: NODATA
	TTL    uint32
}

func (c *FilterConfig) answer() BlockAnswer {
	a := BlockAnswer{TTL: uint32(c.BlockTTL / time.Second)}
	switch c.BlockMode {
	case "null":
		a.Mode, a.V4, a.V6 = BlockNull, netip.IPv4Unspecified(), netip.IPv6Unspecified()
	case "address":
		a.Mode = BlockAddress
		for _, ad := range c.BlockAddress {
			if ad.Is4() || ad.Is4In6() {
				a.V4 = ad.Unmap()
			} else {
				a.V6 = ad
			}
		}
	}
	return a
}
