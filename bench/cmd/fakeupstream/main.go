// Command fakeupstream serves the synthetic upstream of package
// bench/fakeupstream on UDP and TCP until it is interrupted.
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/amane-dns/amane/bench/fakeupstream"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:5300", "UDP and TCP `address` to listen on")
	ttl := flag.Uint("ttl", 3600, "TTL of positive answers, in seconds")
	delay := flag.Duration("delay", 0, "wait this long before every answer (e.g. 20ms)")
	nx := flag.String("nx", "nx", "answer NXDOMAIN for this `zone` and every name below it")
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	srv, err := fakeupstream.Start(*listen, fakeupstream.Options{TTL: uint32(*ttl), Delay: *delay, NXLabel: *nx})
	if err != nil {
		log.Error("starting", "err", err)
		os.Exit(1)
	}
	// The harness reads this line to learn the port when -listen asks for :0.
	fmt.Printf("listening %s\n", srv.Addr())
	log.Info("serving", "addr", srv.Addr(), "ttl", *ttl, "delay", *delay, "nx", *nx)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	srv.Close()
}
