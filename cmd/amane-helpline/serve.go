package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	stdlog "log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/amane-dns/amane/internal/cliflag"
	"github.com/amane-dns/amane/reports"
	"github.com/amane-dns/amane/reports/console"
	"github.com/amane-dns/amane/reports/pgstore"
)

// feedReload is how often a server on PostgreSQL looks for a newly
// published feed version.
const feedReload = 10 * time.Second

// serveCommand runs the intake until SIGTERM or SIGINT.
func serveCommand(args []string, stdout io.Writer, now func() time.Time) error {
	c, _, err := configFlags("serve", args, 0)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	return serve(ctx, c, log, now, nil)
}

// serve runs the HTTPS intake and the control socket until ctx ends, then
// stops them gracefully. ready, if set, gets the intake's address once it
// listens.
func serve(ctx context.Context, c *config, log *slog.Logger, now func() time.Time, ready func(addr string)) error {
	store, err := openStore(ctx, c, 2*time.Second)
	if errors.Is(err, reports.ErrLocked) {
		return fmt.Errorf("%w: is another amane-helpline serve running?", err)
	}
	if err != nil {
		return err
	}
	defer store.Close()

	mux := http.NewServeMux()
	mux.Handle("/"+reports.ReportsPath, reports.NewIntake(store, c.Intake, log, now))
	feedFrom := c.Feed.Dir
	if pg, ok := store.(*pgstore.Store); ok {
		// Every server serves the newest version in the database.
		fs, err := pg.NewFeedServer(ctx, log)
		if err != nil {
			return err
		}
		go fs.Run(ctx, feedReload)
		mux.Handle("GET /"+reports.FeedPath, http.StripPrefix("/"+reports.FeedPath, noListing(fs)))
		feedFrom = "the database"
	} else if c.Feed.Dir != "" {
		mux.Handle("GET /"+reports.FeedPath, http.StripPrefix("/"+reports.FeedPath, noListing(http.FileServer(http.Dir(c.Feed.Dir)))))
	}
	public := &http.Server{
		Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
		WriteTimeout: time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 16 << 10,
		// Its messages (TLS handshake failures) name the client's address,
		// which the helpline never keeps: drop them.
		ErrorLog: stdlog.New(io.Discard, "", 0),
	}
	ln, err := listen(c, log)
	if err != nil {
		return err
	}
	// The control socket serves the operators' commands on the bbolt
	// store this process holds; with PostgreSQL they open the database.
	control := net.Listener(nil)
	if !c.Store.Enabled() {
		if control, err = listenControl(c.StateDir); err != nil {
			ln.Close()
			return err
		}
	}
	admin := &http.Server{Handler: adminHandler(store, now), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 3)
	var consoleSrv *http.Server
	consoleAddr := "off ([console] listen)"
	if c.Console.Enabled() {
		con, closeConsole, err := newConsole(c, store, log, now)
		if err != nil {
			ln.Close()
			if control != nil {
				control.Close()
			}
			return err
		}
		defer closeConsole() //nolint:errcheck // the sessions are committed at each change
		cl, err := listenConsole(c.Console)
		if err != nil {
			ln.Close()
			if control != nil {
				control.Close()
			}
			return err
		}
		consoleSrv = &http.Server{Handler: con.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
			WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
		consoleAddr = cl.Addr().String()
		go func() { errc <- consoleSrv.Serve(cl) }()
	}

	go func() { errc <- public.Serve(ln) }()
	controlAddr := "none ([store] postgres)"
	if control != nil {
		go func() { errc <- admin.Serve(control) }()
		controlAddr = control.Addr().String()
	}
	log.Info("amane-helpline serving", "intake", ln.Addr().String(), "feed", feedFrom, "control", controlAddr, "console", consoleAddr)
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	public.Shutdown(shut) //nolint:errcheck // stopping anyway
	admin.Shutdown(shut)  //nolint:errcheck
	if consoleSrv != nil {
		consoleSrv.Shutdown(shut) //nolint:errcheck
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	log.Info("amane-helpline stopped")
	return err
}

// listen opens the intake's listener: TLS, or plain HTTP when the
// configuration says so, with a warning.
func listen(c *config, log *slog.Logger) (net.Listener, error) {
	ln, err := net.Listen("tcp", c.Intake.Listen)
	if err != nil {
		return nil, fmt.Errorf("intake: %w", err)
	}
	if c.Intake.InsecureHTTP {
		log.Warn("intake: insecure_http = true: reports travel in clear text; for tests and local trials only", "listen", ln.Addr().String())
		return ln, nil
	}
	cert, err := tls.LoadX509KeyPair(c.Intake.TLSCert, c.Intake.TLSKey)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("intake: loading %s and %s: %w", c.Intake.TLSCert, c.Intake.TLSKey, err)
	}
	return tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}), nil
}

// listenConsole opens the console's listener: TLS when the configuration
// gives a certificate.
func listenConsole(c console.Config) (net.Listener, error) {
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	if c.TLSCert == "" {
		return ln, nil
	}
	cert, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("console: loading %s and %s: %w", c.TLSCert, c.TLSKey, err)
	}
	return tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}), nil
}

// listenControl opens state_dir/control.sock, mode 0660.
func listenControl(dir string) (net.Listener, error) {
	path := filepath.Join(dir, controlSocket)
	os.Remove(path) // left by a server that was killed; we hold the database, so no other runs
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	if err := os.Chmod(path, 0o660); err != nil {
		l.Close()
		return nil, fmt.Errorf("control socket: %w", err)
	}
	return l, nil
}

// noListing answers 404 for a directory: the feed's files are named in
// its manifest, and nothing else needs to be found.
func noListing(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// configFlags parses "-config FILE" and the command's flags (defined by
// more, if set) anywhere among args, and returns the loaded configuration
// and the positional arguments, of which there must be want.
func configFlags(cmd string, args []string, want int, more ...func(*flag.FlagSet)) (*config, []string, error) {
	fl := flag.NewFlagSet(cmd, flag.ContinueOnError)
	path := fl.String("config", "", "the helpline's configuration file (see configs/helpline.toml)")
	for _, m := range more {
		m(fl)
	}
	pos, err := cliflag.ParseInterleaved(fl, args)
	if err != nil {
		return nil, nil, err
	}
	if *path == "" {
		return nil, nil, fmt.Errorf("%s: want -config FILE", cmd)
	}
	if len(pos) != want {
		return nil, nil, fmt.Errorf("%s: want %d argument(s), got %q", cmd, want, pos)
	}
	c, err := loadConfig(*path)
	if err != nil {
		return nil, nil, err
	}
	return c, pos, nil
}
