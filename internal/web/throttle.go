package web

import (
	"sync"
	"time"
)

// ThrottleConfig sets how login attempts are slowed down.
type ThrottleConfig struct {
	Free    int              // failures allowed before any wait; 5 when 0
	Base    time.Duration    // the first wait; 1s when 0. Each further failure doubles it
	Max     time.Duration    // the longest wait; 15 min when 0
	Forget  time.Duration    // a key with no failure for this long starts afresh; 24 h when 0
	MaxKeys int              // keys remembered at most (memory bound); 10,000 when 0
	Now     func() time.Time // the clock; time.Now when nil
}

// Throttle slows down password guessing. Each failed login counts against
// every key it names, usually its client address ("addr:192.168.1.23")
// and its account ("account:parent"): one address cannot try many
// accounts, nor many addresses one account, faster than the waits allow.
// After Free failures a key must wait Base, then twice as long after each
// further failure, up to Max; a success clears the keys.
type Throttle struct {
	cfg  ThrottleConfig
	mu   sync.Mutex
	keys map[string]*throttleKey // guarded by mu
}

type throttleKey struct {
	fails int
	last  time.Time // last failure
	until time.Time // no attempt before
}

// NewThrottle returns a Throttle with cfg's defaults filled in.
func NewThrottle(cfg ThrottleConfig) *Throttle {
	if cfg.Free == 0 {
		cfg.Free = 5
	}
	if cfg.Base == 0 {
		cfg.Base = time.Second
	}
	if cfg.Max == 0 {
		cfg.Max = 15 * time.Minute
	}
	if cfg.Forget == 0 {
		cfg.Forget = 24 * time.Hour
	}
	if cfg.MaxKeys == 0 {
		cfg.MaxKeys = 10000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Throttle{cfg: cfg, keys: map[string]*throttleKey{}}
}

// Wait returns how long an attempt naming keys must still wait; 0 lets it
// try now. A handler answers a positive wait with 429 and Retry-After,
// without checking the password.
func (t *Throttle) Wait(keys ...string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.cfg.Now()
	var wait time.Duration
	for _, k := range keys {
		if e := t.keys[k]; e != nil && e.until.After(now) {
			wait = max(wait, e.until.Sub(now))
		}
	}
	return wait
}

// Fail counts a failed attempt against each of keys.
func (t *Throttle) Fail(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.cfg.Now()
	for _, k := range keys {
		e := t.keys[k]
		if e == nil || now.Sub(e.last) > t.cfg.Forget {
			if len(t.keys) >= t.cfg.MaxKeys {
				t.pruneLocked(now)
			}
			e = &throttleKey{}
			t.keys[k] = e
		}
		e.fails++
		e.last = now
		if over := e.fails - t.cfg.Free; over > 0 {
			wait := t.cfg.Max
			if over <= 30 && t.cfg.Base<<(over-1) < t.cfg.Max {
				wait = t.cfg.Base << (over - 1)
			}
			e.until = now.Add(wait)
		}
	}
}

// Succeed clears keys after a successful login.
func (t *Throttle) Succeed(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		delete(t.keys, k)
	}
}

// pruneLocked forgets the stale keys; if none is stale, the oldest half,
// so memory stays bounded under a flood from many addresses.
func (t *Throttle) pruneLocked(now time.Time) {
	for k, e := range t.keys {
		if now.Sub(e.last) > t.cfg.Forget && e.until.Before(now) {
			delete(t.keys, k)
		}
	}
	if len(t.keys) < t.cfg.MaxKeys {
		return
	}
	cut := now.Add(-t.cfg.Forget / 2)
	for k, e := range t.keys {
		if e.last.Before(cut) || len(t.keys) >= t.cfg.MaxKeys {
			delete(t.keys, k)
		}
	}
}
