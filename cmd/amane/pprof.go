package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"net/netip"
)

// servePprof serves Go's profiles for measuring the hot path. It refuses
// any address but loopback: profiles reveal what the resolver is doing.
func servePprof(addr string) error {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || !ap.Addr().IsLoopback() {
		return fmt.Errorf("-debug-pprof takes a loopback IP:port, not %q", addr)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace) // the scheduler's view: where a miss waits (issue 14)
	go http.Serve(l, mux)
	return nil
}
