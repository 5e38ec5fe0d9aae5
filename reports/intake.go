package reports

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/amane-dns/amane/internal/fielderr"
)

// IntakeConfig is the [intake] table of the helpline's configuration.
type IntakeConfig struct {
	Listen       string `toml:"listen"`        // host:port of the HTTPS intake
	TLSCert      string `toml:"tls_cert"`      // PEM certificate chain; required unless InsecureHTTP
	TLSKey       string `toml:"tls_key"`       // PEM private key; required unless InsecureHTTP
	InsecureHTTP bool   `toml:"insecure_http"` // plain HTTP: tests and local trials only
	// Rate limits, in batches an hour with a burst. An appliance sends a
	// few batches a day; it retries with backoff when refused.
	KeyRate   int `toml:"key_rate"`   // per appliance key; ≥ 1
	KeyBurst  int `toml:"key_burst"`  // ≥ 1
	AddrRate  int `toml:"addr_rate"`  // per source address (IPv6: per /64); ≥ 1
	AddrBurst int `toml:"addr_burst"` // ≥ 1
	// Tracked bounds how many keys, and how many addresses, the limits
	// remember (least recently seen forgotten first); ≥ 1.
	Tracked int `toml:"tracked"`
}

// DefaultIntakeConfig returns the [intake] defaults.
func DefaultIntakeConfig() IntakeConfig {
	return IntakeConfig{
		Listen:  "0.0.0.0:8443",
		KeyRate: 30, KeyBurst: 10,
		// Generous: a school or a carrier-grade NAT puts many homes
		// behind one address.
		AddrRate: 600, AddrBurst: 60,
		Tracked: 100_000,
	}
}

// Validate returns every problem with c, each naming its key relative to
// the [intake] table.
func (c IntakeConfig) Validate() error {
	var errs []error
	if c.Listen == "" {
		errs = append(errs, fielderr.New("listen", "empty: want host:port"))
	}
	if !c.InsecureHTTP && (c.TLSCert == "" || c.TLSKey == "") {
		errs = append(errs, fielderr.New("tls_cert", "tls_cert and tls_key are required (or insecure_http = true, for tests only)"))
	}
	for key, v := range map[string]int{"key_rate": c.KeyRate, "key_burst": c.KeyBurst, "addr_rate": c.AddrRate, "addr_burst": c.AddrBurst, "tracked": c.Tracked} {
		if v < 1 {
			errs = append(errs, fielderr.New(key, "%d, want at least 1", v))
		}
	}
	return errors.Join(errs...)
}

// Intake is the http.Handler of POST /reports: it checks each batch's
// size, schema and signature, rate-limits per key and per source address,
// and stores it once. A refusal stores nothing. The source address is used
// for rate limiting, in memory, and never stored or logged.
type Intake struct {
	store Store
	keys  KeyLimiter   // shared by every server on the store
	addrs *rateLimiter // per server, in memory: an address is never stored
	log   *slog.Logger
	now   func() time.Time
}

var _ http.Handler = (*Intake)(nil)

// NewIntake returns the intake over store; c must be valid.
func NewIntake(store Store, c IntakeConfig, log *slog.Logger, now func() time.Time) *Intake {
	return &Intake{
		store: store, log: log, now: now,
		keys:  store.KeyLimiter(c.KeyRate, c.KeyBurst, c.Tracked),
		addrs: newRateLimiter(c.AddrRate, c.AddrBurst, c.Tracked),
	}
}

// ServeHTTP answers one batch: 200 with an Ack, or a Refusal.
func (in *Intake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		intakeRefuse(w, http.StatusMethodNotAllowed, "POST a batch")
		return
	}
	now := in.now()
	// The address bucket is taken before reading the body, so a flood costs
	// little; the key's only after the signature holds, so nobody can spend
	// another appliance's allowance by naming its key.
	if ok, wait := in.addrs.take(addressName(r.RemoteAddr), now); !ok {
		intakeTooMany(w, wait, "too many batches from this address")
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		intakeRefuse(w, http.StatusUnsupportedMediaType, "Content-Type: want application/json")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBatchBytes))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		intakeRefuse(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body over %d bytes", MaxBatchBytes))
		return
	case err != nil:
		intakeRefuse(w, http.StatusBadRequest, "reading the body: "+err.Error())
		return
	}
	b, err := VerifyBatch(body, r.Header.Get(SignatureHeader))
	switch {
	case errors.Is(err, ErrBadSignature):
		intakeRefuse(w, http.StatusUnauthorized, err.Error())
		return
	case err != nil:
		intakeRefuse(w, http.StatusBadRequest, firstProblems(err, 5))
		return
	}
	switch ok, wait, err := in.keys.Take(b.Key, now); {
	case err != nil:
		in.log.Error("rate-limiting a batch", "id", b.ID, "err", err)
		intakeRefuse(w, http.StatusServiceUnavailable, "the helpline cannot store reports now; retry later")
		return
	case !ok:
		intakeTooMany(w, wait, "too many batches from this key")
		return
	}
	ack, err := in.store.Receive(b, body, r.Header.Get(SignatureHeader), now)
	switch {
	case errors.Is(err, ErrIDConflict):
		intakeRefuse(w, http.StatusConflict, "id: "+ErrIDConflict.Error())
		return
	case err != nil:
		in.log.Error("storing a batch", "id", b.ID, "err", err)
		intakeRefuse(w, http.StatusServiceUnavailable, "the helpline cannot store reports now; retry later")
		return
	}
	in.log.Debug("batch received", "id", b.ID, "reports", ack.Accepted, "duplicate", ack.Duplicate)
	intakeJSON(w, http.StatusOK, ack)
}

// firstProblems joins the first n lines of a validation error.
func firstProblems(err error, n int) string {
	lines := strings.Split(err.Error(), "\n")
	if len(lines) > n {
		lines = append(lines[:n], fmt.Sprintf("and %d more", len(lines)-n))
	}
	return strings.Join(lines, "; ")
}

func intakeTooMany(w http.ResponseWriter, wait time.Duration, msg string) {
	w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
	intakeRefuse(w, http.StatusTooManyRequests, msg)
}

func intakeRefuse(w http.ResponseWriter, status int, msg string) {
	intakeJSON(w, status, Refusal{Error: msg})
}

func intakeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v) //nolint:errcheck // the client went away
}
