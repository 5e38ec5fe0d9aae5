package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"time"

	"github.com/amane-dns/amane/reports"
)

// The operators' commands reach the store through one small JSON API:
// over the control socket while `serve` holds the database, or in-process
// when nothing serves. The socket lives in the state directory, mode 0660:
// its access control is the directory's and the group's.
const controlSocket = "control.sock"

// accountRequest is the body of POST /accounts (add) and
// POST /accounts/remove: the hash is made by the command, so the password
// never crosses the socket.
type accountRequest struct {
	Account reports.Account `json:"account"`
	By      string          `json:"by"` // the OS user who ran the command
}

// adminHandler serves the operators' API over store.
func adminHandler(store reports.Store, now func() time.Time) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /domains", func(w http.ResponseWriter, r *http.Request) {
		var f reports.Filter
		if !decode(w, r, &f) {
			return
		}
		aggs, err := store.Domains(f)
		reply(w, aggs, err)
	})
	mux.HandleFunc("GET /domain", func(w http.ResponseWriter, r *http.Request) {
		a, err := store.Domain(r.URL.Query().Get("name"))
		reply(w, a, err)
	})
	mux.HandleFunc("POST /triage", func(w http.ResponseWriter, r *http.Request) {
		var q reports.TriageRequest
		if !decode(w, r, &q) {
			return
		}
		t, err := reports.Decide(store, q, now())
		reply(w, t, err)
	})
	mux.HandleFunc("GET /audit", func(w http.ResponseWriter, r *http.Request) {
		log, err := store.Audit(r.URL.Query().Get("domain"))
		reply(w, log, err)
	})
	mux.HandleFunc("GET /accounts", func(w http.ResponseWriter, r *http.Request) {
		all, err := store.Accounts()
		reply(w, all, err)
	})
	mux.HandleFunc("POST /accounts", func(w http.ResponseWriter, r *http.Request) {
		var q accountRequest
		if !decode(w, r, &q) {
			return
		}
		q.Account.Created = now()
		err := store.AddAccount(q.Account, reports.Decision{By: q.By, At: now()})
		reply(w, q.Account.Name, err)
	})
	mux.HandleFunc("POST /accounts/remove", func(w http.ResponseWriter, r *http.Request) {
		var q accountRequest
		if !decode(w, r, &q) {
			return
		}
		err := store.RemoveAccount(q.Account.Name, reports.Decision{By: q.By, At: now()})
		reply(w, q.Account.Name, err)
	})
	mux.HandleFunc("GET /confirmed", func(w http.ResponseWriter, r *http.Request) {
		c, err := store.Confirmed()
		reply(w, c, err)
	})
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		s, err := store.Stats()
		reply(w, s, err)
	})
	return mux
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		reply(w, nil, fmt.Errorf("reading the request: %w", err))
		return false
	}
	return true
}

// reply writes v, or err as {"error": ...}: every error the store returns
// for an operator's request is the operator's to read.
func reply(w http.ResponseWriter, v any, err error) {
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		v = reports.Refusal{Error: err.Error()}
	}
	json.NewEncoder(w).Encode(v) //nolint:errcheck // the client went away
}

// adminClient calls the operators' API.
type adminClient struct {
	http  *http.Client
	close func() error
}

// openAdmin reaches the running server's control socket, or, when none
// answers, opens the database itself. A PostgreSQL store is always
// opened directly: every server and command shares it.
func openAdmin(c *config, now func() time.Time) (*adminClient, error) {
	if c.Store.Enabled() {
		store, err := openStore(context.Background(), c, 0)
		if err != nil {
			return nil, err
		}
		return &adminClient{http: &http.Client{Transport: inProcess{adminHandler(store, now)}}, close: store.Close}, nil
	}
	sock := filepath.Join(c.StateDir, controlSocket)
	if conn, err := net.DialTimeout("unix", sock, time.Second); err == nil {
		conn.Close()
		dial := func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		}
		return &adminClient{
			http:  &http.Client{Transport: &http.Transport{DialContext: dial}, Timeout: time.Minute},
			close: func() error { return nil },
		}, nil
	}
	store, err := reports.OpenStore(c.StateDir, 2*time.Second)
	if errors.Is(err, reports.ErrLocked) {
		return nil, fmt.Errorf("%w, and nothing answers on %s: is amane-helpline serve starting, or stuck?", err, sock)
	}
	if err != nil {
		return nil, err
	}
	return &adminClient{
		http:  &http.Client{Transport: inProcess{adminHandler(store, now)}},
		close: store.Close,
	}, nil
}

// inProcess is a RoundTripper that calls a handler directly.
type inProcess struct{ h http.Handler }

func (t inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	w := httptest.NewRecorder()
	t.h.ServeHTTP(w, r)
	return w.Result(), nil
}

// call sends in (nil for a GET) to path and decodes the answer into out.
func (a *adminClient) call(path string, in, out any) error {
	method, body := http.MethodGet, []byte(nil)
	if in != nil {
		method = http.MethodPost
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	req, err := http.NewRequest(method, "http://amane-helpline"+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var ref reports.Refusal
		if err := json.NewDecoder(resp.Body).Decode(&ref); err != nil || ref.Error == "" {
			return fmt.Errorf("the server answered %s", resp.Status)
		}
		return errors.New(ref.Error)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}
