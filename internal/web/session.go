package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// SessionConfig says where and how long sessions are kept.
type SessionConfig struct {
	Bucket   string           // bbolt bucket: "admin.sessions" for the parents' console; required
	Cookie   string           // cookie name; "amane_session" when empty
	TTL      time.Duration    // a session's life from login; 7 days when 0
	LoginURL string           // where a page visit without a session is sent; "/login" when empty
	Now      func() time.Time // the clock; time.Now when nil
}

// Session is one signed-in visitor.
type Session struct {
	ID      string    `json:"-"`       // the cookie's value; known only when Create returns, never stored
	Account string    `json:"account"` // who signed in: "parent", an operator's name
	Role    string    `json:"role"`    // the account's role at login; a role change ends the account's sessions
	CSRF    string    `json:"csrf"`    // the token every state change must carry
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
}

// Sessions keeps sessions in bbolt, so a restart logs nobody out. The
// cookie holds 32 random bytes; the file holds only their SHA-256, so a
// copy of the state file opens no session. A visit writes nothing: the
// appliance's SD card is written at login and logout only.
type Sessions struct {
	db     *bolt.DB
	bucket []byte
	cfg    SessionConfig
}

// NewSessions returns the sessions kept in db under cfg.Bucket, creating
// the bucket, and drops the expired ones.
func NewSessions(db *bolt.DB, cfg SessionConfig) (*Sessions, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("sessions: no bucket named")
	}
	if cfg.Cookie == "" {
		cfg.Cookie = "amane_session"
	}
	if cfg.TTL == 0 {
		cfg.TTL = 7 * 24 * time.Hour
	}
	if cfg.LoginURL == "" {
		cfg.LoginURL = "/login"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Sessions{db: db, bucket: []byte(cfg.Bucket), cfg: cfg}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(s.bucket)
		return err
	}); err != nil {
		return nil, fmt.Errorf("creating the sessions bucket: %w", err)
	}
	if _, err := s.Prune(); err != nil {
		return nil, err
	}
	return s, nil
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashID(id string) []byte {
	h := sha256.Sum256([]byte(id))
	return h[:]
}

// Create starts a session for account with role and stores it.
func (s *Sessions) Create(account, role string) (*Session, error) {
	now := s.cfg.Now()
	sess := &Session{ID: randomToken(), Account: account, Role: role, CSRF: randomToken(), Created: now, Expires: now.Add(s.cfg.TTL)}
	v, err := json.Marshal(sess)
	if err != nil {
		return nil, err
	}
	err = s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(s.bucket).Put(hashID(sess.ID), v) })
	if err != nil {
		return nil, fmt.Errorf("storing a session: %w", err)
	}
	return sess, nil
}

// Lookup returns the live session whose cookie value is id, or nil when
// there is none or it expired.
func (s *Sessions) Lookup(id string) (*Session, error) {
	if id == "" {
		return nil, nil
	}
	var sess *Session
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(s.bucket).Get(hashID(id))
		if v == nil {
			return nil
		}
		sess = &Session{}
		return json.Unmarshal(v, sess)
	})
	if err != nil {
		return nil, fmt.Errorf("reading a session: %w", err)
	}
	if sess == nil || !s.cfg.Now().Before(sess.Expires) {
		return nil, nil
	}
	sess.ID = id
	return sess, nil
}

// Delete ends the session whose cookie value is id (logout).
func (s *Sessions) Delete(id string) error {
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(s.bucket).Delete(hashID(id)) })
}

// DeleteAccount ends every session of account: after a password or role
// change, or when an operator's account is removed.
func (s *Sessions) DeleteAccount(account string) error {
	return s.deleteWhere(func(sess *Session) bool { return sess.Account == account })
}

// Prune drops the expired sessions and says how many.
func (s *Sessions) Prune() (int, error) {
	now := s.cfg.Now()
	n := 0
	err := s.deleteWhere(func(sess *Session) bool {
		gone := !now.Before(sess.Expires)
		if gone {
			n++
		}
		return gone
	})
	return n, err
}

func (s *Sessions) deleteWhere(match func(*Session) bool) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(s.bucket)
		var doomed [][]byte
		err := b.ForEach(func(k, v []byte) error {
			var sess Session
			if json.Unmarshal(v, &sess) != nil || match(&sess) {
				doomed = append(doomed, append([]byte(nil), k...))
			}
			return nil
		})
		for _, k := range doomed {
			if err == nil {
				err = b.Delete(k)
			}
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("deleting sessions: %w", err)
	}
	return nil
}

// SetCookie gives the browser sess's cookie: HttpOnly (no script reads
// it), SameSite=Strict (no other site's page sends it), Secure when the
// request came over TLS (a plain-HTTP LAN console could not set it else).
func (s *Sessions) SetCookie(w http.ResponseWriter, r *http.Request, sess *Session) {
	http.SetCookie(w, &http.Cookie{
		Name: s.cfg.Cookie, Value: sess.ID, Path: "/", Expires: sess.Expires,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
}

// ClearCookie removes the session cookie (logout).
func (s *Sessions) ClearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name: s.cfg.Cookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
}

// FromRequest returns the request's live session, or nil.
func (s *Sessions) FromRequest(r *http.Request) (*Session, error) {
	c, err := r.Cookie(s.cfg.Cookie)
	if err != nil {
		return nil, nil
	}
	return s.Lookup(c.Value)
}

type sessionKey struct{}

// SessionFrom returns the session Require or Load put in ctx, or nil.
func SessionFrom(ctx context.Context) *Session {
	sess, _ := ctx.Value(sessionKey{}).(*Session)
	return sess
}

// WithSession returns ctx carrying sess, for handlers' tests.
func WithSession(ctx context.Context, sess *Session) context.Context {
	return context.WithValue(ctx, sessionKey{}, sess)
}

// Require is the wrapper of a route group that needs a signed-in visitor:
// without a live session, an API call (a path under /api/, or one that
// accepts only JSON) gets 401 with a JSON error, and a page visit is sent
// to the login page with 303, remembering where it was going.
func (s *Sessions) Require(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, err := s.FromRequest(r)
		if err != nil {
			WriteJSONError(w, http.StatusInternalServerError, err)
			return
		}
		if sess == nil {
			if IsAPI(r) {
				WriteJSONError(w, http.StatusUnauthorized, errors.New("sign in first: POST /api/v1/login"))
				return
			}
			http.Redirect(w, r, s.cfg.LoginURL+"?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithSession(r.Context(), sess)))
	})
}

// Load puts the request's session, if any, in its context and serves it
// either way: for public pages that look different to a signed-in visitor.
func (s *Sessions) Load(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sess, _ := s.FromRequest(r); sess != nil {
			r = r.WithContext(WithSession(r.Context(), sess))
		}
		next.ServeHTTP(w, r)
	})
}

// Allow is the wrapper of a route group open to some sessions only (the
// helpline's publishers, its admins): others get 403. Put it inside
// Require.
func Allow(ok func(*Session) bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if sess := SessionFrom(r.Context()); sess == nil || !ok(sess) {
				refuse(w, r, http.StatusForbidden, "this account may not do this")
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// IsAPI reports whether r is a JSON API call rather than a page visit.
func IsAPI(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/") || r.Header.Get("Accept") == "application/json"
}
