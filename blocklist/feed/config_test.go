package feed

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	key := newKey(t).Public().String()
	tests := []struct {
		name  string
		c     Config
		field string // "" for a valid config
		msg   string
	}{
		{"an https URL and a key are enough", Config{URL: "https://helpline.example/feeds/emc/", PublicKey: key}, "", ""},
		{"http to loopback is allowed", Config{URL: "http://127.0.0.1:8080/emc", PublicKey: key, Poll: time.Minute}, "", ""},
		{"a URL is required", Config{PublicKey: key}, "url", "required"},
		{"http to another host is refused", Config{URL: "http://helpline.example/emc/", PublicKey: key}, "url", "use https"},
		{"another scheme is refused", Config{URL: "ftp://helpline.example/emc/", PublicKey: key}, "url", "must be https"},
		{"a password in the URL is refused", Config{URL: "https://u:p@helpline.example/", PublicKey: key}, "url", "password"},
		{"a query is refused", Config{URL: "https://helpline.example/?feed=emc", PublicKey: key}, "url", "query"},
		{"a key is required", Config{URL: "https://helpline.example/"}, "public_key", "required"},
		{"a shortened key is refused", Config{URL: "https://helpline.example/", PublicKey: key[:20]}, "public_key", "15 bytes, want 42"},
		{"a key that is not base64 is refused", Config{URL: "https://helpline.example/", PublicKey: "RW!!"}, "public_key", "base64"},
		{"a poll under a minute is refused", Config{URL: "https://helpline.example/", PublicKey: key, Poll: time.Second}, "poll", "at least 1m"},
		{"an invalid name is refused", Config{Name: "EMC feed", URL: "https://helpline.example/", PublicKey: key}, "name", "a-z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.c.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				return
			}
			var fe interface{ Field() string }
			if !errors.As(err, &fe) || fe.Field() != tt.field || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("Validate = %v; want an error on %q saying %q", err, tt.field, tt.msg)
			}
		})
	}
}

func TestBaseURLNamesTheFeedDirectory(t *testing.T) {
	for in, want := range map[string]string{
		"https://h.example/feeds/emc":               "https://h.example/feeds/emc/",
		"https://h.example/feeds/emc/":              "https://h.example/feeds/emc/",
		"https://h.example/feeds/emc/manifest.json": "https://h.example/feeds/emc/",
		"https://h.example":                         "https://h.example/",
	} {
		u, err := Config{URL: in}.baseURL()
		if err != nil || u.String() != want {
			t.Errorf("baseURL(%q) = %v, %v; want %s", in, u, err, want)
		}
	}
}

func TestPollDeliversNewVersionsAndLogsRefusals(t *testing.T) {
	f := newFixture(t)
	f.publishVersion(10, goodFiles())
	logs := make(chan slog.Record, 16)
	o := f.options()
	o.Logger = slog.New(recordHandler(logs))
	s, err := New(f.config(), o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	snaps := make(chan Snapshot, 4)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Poll(ctx, time.Millisecond, func(snap Snapshot) { snaps <- snap })
	}()
	if snap := receive(t, snaps); snap.Manifest.Version != 10 {
		t.Fatalf("first snapshot is version %d, want 10", snap.Manifest.Version)
	}
	f.publishVersion(9, goodFiles()) // a rollback: refused and logged
	for r := receive(t, logs); !strings.Contains(recordText(r), "refusing a rollback"); r = receive(t, logs) {
	}
	f.publishVersion(11, goodFiles())
	for snap := receive(t, snaps); snap.Manifest.Version != 11; snap = receive(t, snaps) {
	}
	cancel()
	receive(t, done)
}

// receive waits for a value, up to a deadline.
func receive[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatal("nothing received in 10s")
		panic("unreachable")
	}
}

// recordHandler is a slog.Handler that sends each record to a channel,
// dropping it if the channel is full.
type recordHandler chan<- slog.Record

func (h recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h recordHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h recordHandler) WithGroup(string) slog.Handler            { return h }
func (h recordHandler) Handle(_ context.Context, r slog.Record) error {
	select {
	case h <- r.Clone():
	default:
	}
	return nil
}

func recordText(r slog.Record) string {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		b.WriteString(" " + a.String())
		return true
	})
	return b.String()
}
