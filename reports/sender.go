package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Sender delivers the outbox's batches to the helpline, one at a time, in
// order. A batch the helpline acknowledges (or knew already) is forgotten;
// one it refuses for good (400, 401, 409, 413, 415) is set aside with the
// reason; anything else — no network, a timeout, 429, 5xx — is retried
// with the same bytes after an exponential backoff with jitter, honouring
// Retry-After, for as long as it takes.
type Sender struct {
	Outbox *Outbox
	// URL is the helpline's base URL; batches go to URL + ReportsPath.
	URL    string
	Client *http.Client     // default: one with a 30 s timeout
	Log    *slog.Logger     // default: discard
	Now    func() time.Time // default time.Now
	// Location is where a day ends, for the counts (default time.Local).
	Location *time.Location
	// MinBackoff and MaxBackoff bound the wait between tries (defaults
	// 5 s and 15 min): with the helpline down for a day, an appliance asks
	// about 100 times, and delivers within 15 minutes of its return.
	MinBackoff, MaxBackoff time.Duration
	// Idle is how long to wait with nothing to send before looking again
	// (a day's counts become sendable at midnight); default 10 min.
	Idle time.Duration
	// CountsAfter is how long after the end of a day its counts wait.
	// The daemon draws it at random under two hours, so that appliances
	// do not all post at midnight, and a count's time says even less.
	CountsAfter time.Duration
	// Acknowledged, when set, is told of the reports made by hand in each
	// batch the helpline acknowledged (the parents' alert "the helpline
	// received your report"). It runs on the sender's goroutine.
	Acknowledged func(manual []Report)
}

func (s *Sender) defaults() {
	if s.Client == nil {
		s.Client = &http.Client{Timeout: 30 * time.Second}
	}
	if s.Log == nil {
		s.Log = slog.New(slog.DiscardHandler)
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Location == nil {
		s.Location = time.Local
	}
	if s.MinBackoff <= 0 {
		s.MinBackoff = 5 * time.Second
	}
	if s.MaxBackoff < s.MinBackoff {
		s.MaxBackoff = max(15*time.Minute, s.MinBackoff)
	}
	if s.Idle <= 0 {
		s.Idle = 10 * time.Minute
	}
}

// finalError is a refusal that no retry can change.
type finalError struct{ error }

// Run sends until ctx is done.
func (s *Sender) Run(ctx context.Context) {
	s.defaults()
	fails := 0
	for ctx.Err() == nil {
		now := s.Now()
		b, ok, err := s.Outbox.next(now, now.Add(-s.CountsAfter).In(s.Location).Format(time.DateOnly))
		if err != nil {
			s.Log.Error("report outbox unreadable", "err", err)
			if !sleep(ctx, s.MaxBackoff, nil) {
				return
			}
			continue
		}
		if !ok {
			if !sleep(ctx, s.Idle, s.Outbox.Added()) {
				return
			}
			continue
		}
		ack, wait, err := s.send(ctx, b)
		now = s.Now()
		var final finalError
		switch {
		case err == nil:
			fails = 0
			if err := s.Outbox.acked(b, now); err != nil {
				s.Log.Error("report outbox unwritable", "err", err)
				continue
			}
			s.Log.Info("reports delivered to the helpline", "batch", b.ID, "reports", b.Reports,
				"duplicate", ack.Duplicate, "tries", b.Attempts+1)
			if s.Acknowledged != nil && b.Manual > 0 {
				s.Acknowledged(manualReports(b.Body))
			}
			continue
		case ctx.Err() != nil:
			return
		case errors.As(err, &final):
			fails = 0
			s.Log.Error("the helpline refused a batch of reports; it is set aside (see amane report --status)",
				"batch", b.ID, "reports", b.Reports, "err", err)
			if err := s.Outbox.refused(b, now, err); err != nil {
				s.Log.Error("report outbox unwritable", "err", err)
			}
			continue
		}
		fails++
		if err := s.Outbox.failed(b, now, err); err != nil {
			s.Log.Error("report outbox unwritable", "err", err)
		}
		wait = max(wait, s.Backoff(fails))
		s.Log.Warn("the helpline did not take the reports; trying again", "batch", b.ID, "err", err, "in", wait.Round(time.Second))
		if !sleep(ctx, wait, nil) {
			return
		}
	}
}

// Backoff returns the wait after the n-th failure in a row (n ≥ 1):
// doubling from MinBackoff up to MaxBackoff, then a random point in its
// upper half, so that appliances that lost the helpline together do not
// return together. Run sets the defaults; a caller of Post sets both.
func (s *Sender) Backoff(n int) time.Duration {
	d := s.MaxBackoff
	if n < 20 {
		d = min(s.MinBackoff<<(n-1), s.MaxBackoff)
	}
	return d/2 + rand.N(d/2+1)
}

// sleep waits d, or until wake receives; false when ctx ended first.
func sleep(ctx context.Context, d time.Duration, wake <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
	case <-wake:
	}
	return true
}

// send posts b once.
func (s *Sender) send(ctx context.Context, b sealed) (ack Ack, wait time.Duration, err error) {
	return s.Post(ctx, b.ID, b.Body, b.Sig)
}

// IsFinal says whether an error of Post is a refusal that no retry can
// change (400, 401, 409, 413, 415): the batch is set aside, not resent.
func IsFinal(err error) bool {
	var final finalError
	return errors.As(err, &final)
}

// Post posts one signed batch once, as Run does on each try: its exact
// body and signature header, to URL + ReportsPath, with Client (which
// must be set). The error is nil for an acknowledgement of batch id;
// otherwise wait is the Retry-After the helpline asked for (zero if
// none), and IsFinal(err) says whether to give up. Tools that simulate
// appliances (bench/cmd/helpline-load) call it to follow the same rules.
func (s *Sender) Post(ctx context.Context, id string, body []byte, sig string) (ack Ack, wait time.Duration, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(s.URL, "/")+"/"+ReportsPath, bytes.NewReader(body))
	if err != nil {
		return ack, 0, finalError{err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, sig)
	resp, err := s.Client.Do(req)
	if err != nil {
		return ack, 0, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return ack, 0, err
	}
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(answer, &ack); err != nil || ack.ID != id {
			return ack, 0, fmt.Errorf("the helpline answered 200 but not with this batch's acknowledgement: %.200q", answer)
		}
		return ack, 0, nil
	}
	why := fmt.Errorf("the helpline answered %s", resp.Status)
	var ref Refusal
	if json.Unmarshal(answer, &ref) == nil && ref.Error != "" {
		why = fmt.Errorf("the helpline answered %s: %s", resp.Status, ref.Error)
	}
	switch resp.StatusCode {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusConflict,
		http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
		return ack, 0, finalError{why}
	}
	if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
		wait = min(time.Duration(secs)*time.Second, 24*time.Hour)
	}
	return ack, wait, why
}

// manualReports are the reports made by hand in a sealed batch's body.
func manualReports(body []byte) []Report {
	var b Batch
	if json.Unmarshal(body, &b) != nil {
		return nil
	}
	var out []Report
	for _, r := range b.Reports {
		if r.Kind == Manual {
			out = append(out, r)
		}
	}
	return out
}
