package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestVictimLatenciesSplitCachedFromNewNames(t *testing.T) {
	path := filepath.Join(t.TempDir(), "victim.dnsperf")
	out := "> NOERROR google.com A 0.000400\n" +
		"> NOERROR v1-abc.google.com A 0.021000\n" +
		"> NOERROR v12-abc.youtube.com A 0.030000\n" +
		"> NOERROR vimeo.com A 0.000900\n" +
		"Statistics:\n"
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	cached, missed, err := victimLatencies(path)
	if err != nil {
		t.Fatal(err)
	}
	if cached.n != 2 || cached.max != 900*time.Microsecond {
		t.Errorf("cached %+v, want 2 answers, max 0.9 ms (vimeo.com is a cached name)", cached)
	}
	if missed.n != 2 || missed.max != 30*time.Millisecond {
		t.Errorf("new names %+v, want 2 answers, max 30 ms", missed)
	}
}

func TestFairnessConfigTrustsTheForwarder(t *testing.T) {
	for _, limit := range []int{0, 100} {
		cfg := fairnessConfig("/state", "127.0.0.1:5300", "127.0.0.1:5301", limit)
		want := []string{"trusted_forwarders = [\"127.0.0.1\"]", "rate_limit = " + map[int]string{0: "0\n", 100: "100\n"}[limit]}
		for _, w := range want {
			if !strings.Contains(cfg, w) {
				t.Errorf("limit %d: config lacks %q:\n%s", limit, w, cfg)
			}
		}
		if strings.Count(cfg, "rate_limit") != 1 {
			t.Errorf("limit %d: rate_limit set more than once:\n%s", limit, cfg)
		}
		if strings.Contains(cfg, "max_concurrent") {
			t.Errorf("limit %d: the scenario must keep amane's default share of the upstream per device:\n%s", limit, cfg)
		}
	}
}

func TestDnsperfArgsCarryTheMACAndThePriority(t *testing.T) {
	got := dnsperfArgs(load{data: "d", outstanding: 5, ednsOpt: "65001:020000000001", nice: 19,
		prefix: []string{"nice", "-n", "-10"}}, 53)
	if got[0] != "nice" || got[2] != "19" || got[3] != "nice" || got[5] != "-10" || got[6] != "dnsperf" {
		t.Errorf("command %q: want the flooder's nice, then the prefix, then dnsperf", got)
	}
	if i := slices.Index(got, "-E"); i < 0 || got[i+1] != "65001:020000000001" {
		t.Errorf("command %q lacks -E 65001:020000000001", got)
	}
}
