package reports

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// hlIntake returns an intake over a fresh store, with small limits and a
// clock that stands still, so that no bucket refills during a test.
func hlIntake(t *testing.T) (*Intake, *BoltStore) {
	t.Helper()
	s := hlStore(t)
	c := DefaultIntakeConfig()
	c.InsecureHTTP = true
	c.KeyRate, c.KeyBurst, c.AddrRate, c.AddrBurst = 1, 3, 1, 8
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	return NewIntake(s, c, slog.New(slog.DiscardHandler), func() time.Time { return hlT0 }), s
}

// post sends body with sig from addr and returns the status, the
// Retry-After header and the decoded answer.
func hlPost(in http.Handler, addr string, body []byte, sig string) (int, string, map[string]any) {
	r := httptest.NewRequest(http.MethodPost, "/reports", bytes.NewReader(body))
	r.RemoteAddr = addr
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(SignatureHeader, sig)
	w := httptest.NewRecorder()
	in.ServeHTTP(w, r)
	var v map[string]any
	json.Unmarshal(w.Body.Bytes(), &v) //nolint:errcheck // checked by the callers' wants
	return w.Code, w.Header().Get("Retry-After"), v
}

func TestIntakeStoresABatchOnceOverHTTP(t *testing.T) {
	in, s := hlIntake(t)
	srv := httptest.NewServer(in) // on 127.0.0.1
	defer srv.Close()
	b, body, sig := hlBatch(t, hlKey(t), hlManual("bad.example", "abuse", "2026-11-20", "note", ""))
	for i, want := range []string{`{"id":"` + b.ID + `","accepted":1}`, `{"id":"` + b.ID + `","accepted":1,"duplicate":true}`} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/reports", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(SignatureHeader, sig)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(got)) != want {
			t.Fatalf("post %d = %d %s; want 200 %s", i+1, resp.StatusCode, got, want)
		}
	}
	if n, _ := s.Batches(); n != 1 {
		t.Fatalf("the store holds %d batches; want 1", n)
	}
}

func TestIntakeRefusesBadBatchesAndStoresNothing(t *testing.T) {
	key, other := hlKey(t), hlKey(t)
	good := hlManual("bad.example", "abuse", "2026-11-20", "", "")
	tests := []struct {
		name   string
		req    func(t *testing.T) *http.Request
		status int
		want   string
	}{
		{"a GET is refused with 405", func(*testing.T) *http.Request {
			return httptest.NewRequest(http.MethodGet, "/reports", nil)
		}, 405, "POST a batch"},
		{"a body that is not JSON is refused with 415", func(t *testing.T) *http.Request {
			_, body, sig := hlBatch(t, key, good)
			r := hlRequest(body, sig)
			r.Header.Set("Content-Type", "text/plain")
			return r
		}, 415, "application/json"},
		{"an oversized body is refused with 413", func(*testing.T) *http.Request {
			return hlRequest(bytes.Repeat([]byte(" "), MaxBatchBytes+1), "x")
		}, 413, "body over"},
		{"malformed JSON is refused with 400", func(*testing.T) *http.Request {
			return hlRequest([]byte(`{"schema":1,`), "x")
		}, 400, "malformed batch"},
		{"an unknown field is refused with 400", func(*testing.T) *http.Request {
			return hlRequest([]byte(`{"schema":1,"device":"kids-tablet"}`), "x")
		}, 400, `unknown field "device"`},
		{"an invalid report is refused with 400 naming its field", func(t *testing.T) *http.Request {
			body := []byte(`{"schema":1,"id":"0123456789abcdef0123456789abcdef","key":"` + key.Public().String() +
				`","reports":[{"kind":"manual","domain":"Bad.Example.","category":"abuse","day":"2026-11-20","count":1}]}`)
			return hlRequest(body, "x")
		}, 400, "reports[0].domain"},
		{"a missing signature is refused with 401", func(t *testing.T) *http.Request {
			_, body, _ := hlBatch(t, key, good)
			return hlRequest(body, "")
		}, 401, SignatureHeader},
		{"a signature by another key is refused with 401", func(t *testing.T) *http.Request {
			_, body, _ := hlBatch(t, key, good)
			_, _, sig := hlBatch(t, other, good)
			return hlRequest(body, sig)
		}, 401, "bad signature"},
		{"a body changed after signing is refused with 401", func(t *testing.T) *http.Request {
			_, body, sig := hlBatch(t, key, good)
			return hlRequest(bytes.Replace(body, []byte("bad.example"), []byte("bac.example"), 1), sig)
		}, 401, "bad signature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, s := hlIntake(t)
			w := httptest.NewRecorder()
			in.ServeHTTP(w, tt.req(t))
			var ref Refusal
			if err := json.Unmarshal(w.Body.Bytes(), &ref); err != nil || w.Code != tt.status || !strings.Contains(ref.Error, tt.want) {
				t.Fatalf("answer = %d %s; want %d and an error saying %q", w.Code, w.Body, tt.status, tt.want)
			}
			if n, _ := s.Batches(); n != 0 {
				t.Fatalf("a refused batch was stored (%d batches)", n)
			}
		})
	}
}

func hlRequest(body []byte, sig string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/reports", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json; charset=utf-8")
	r.Header.Set(SignatureHeader, sig)
	return r
}

func TestIntakeRefusesAnIDReusedByAnotherKeyWith409(t *testing.T) {
	in, s := hlIntake(t)
	k1, k2 := hlKey(t), hlKey(t)
	b, body, sig := hlBatch(t, k1, hlManual("a.example", "abuse", "2026-11-20", "", ""))
	if code, _, _ := hlPost(in, "192.0.2.1:1000", body, sig); code != 200 {
		t.Fatalf("first post = %d", code)
	}
	b.Schema, b.Key = 0, ""
	body2, sig2, err := SignBatch(b, k2)
	if err != nil {
		t.Fatal(err)
	}
	if code, _, v := hlPost(in, "192.0.2.1:1000", body2, sig2); code != http.StatusConflict {
		t.Fatalf("the same id under another key = %d %v; want 409", code, v)
	}
	if a, _ := s.Domain("a.example"); a.Appliances != 1 {
		t.Fatalf("the conflicting batch was stored: %+v", a)
	}
}

func TestAFloodFromOneKeyDoesNotAffectAnother(t *testing.T) {
	in, s := hlIntake(t) // a key's burst is 3
	flooder, neighbour := hlKey(t), hlKey(t)
	for i := range 3 {
		_, body, sig := hlBatch(t, flooder, hlManual("a.example", "abuse", "2026-11-20", "", ""))
		if code, _, v := hlPost(in, "192.0.2.1:1000", body, sig); code != 200 {
			t.Fatalf("batch %d within the burst = %d %v", i+1, code, v)
		}
	}
	_, body, sig := hlBatch(t, flooder, hlManual("a.example", "abuse", "2026-11-20", "", ""))
	code, retry, _ := hlPost(in, "192.0.2.2:1000", body, sig) // from another address: the key is limited
	if code != http.StatusTooManyRequests || retry == "" || retry == "0" {
		t.Fatalf("the 4th batch of one key = %d, Retry-After %q; want 429 with a delay", code, retry)
	}
	_, body, sig = hlBatch(t, neighbour, hlManual("b.example", "abuse", "2026-11-20", "", ""))
	if code, _, v := hlPost(in, "192.0.2.2:1000", body, sig); code != 200 {
		t.Fatalf("another appliance during the flood = %d %v; want 200", code, v)
	}
	if n, _ := s.Batches(); n != 4 {
		t.Fatalf("the store holds %d batches; want the 3 accepted and the neighbour's", n)
	}
}

func TestAFloodFromOneAddressIsLimited(t *testing.T) {
	in, _ := hlIntake(t) // an address's burst is 8
	for i := range 8 {
		if code, _, _ := hlPost(in, "[2001:db8:1:2::1]:1000", []byte("{}"), ""); code != 400 {
			t.Fatalf("request %d = %d; want the refusal of an empty batch", i+1, code)
		}
	}
	if code, retry, _ := hlPost(in, "[2001:db8:1:2::ffff]:1000", []byte("{}"), ""); code != 429 || retry == "" {
		t.Fatalf("the 9th request from the same /64 = %d %q; want 429 with Retry-After", code, retry)
	}
	if code, _, _ := hlPost(in, "[2001:db8:1:3::1]:1000", []byte("{}"), ""); code != 400 {
		t.Fatalf("a request from another /64 = %d; want it to be read (400)", code)
	}
}

func TestIntakeAnswers503WhenTheStoreFails(t *testing.T) {
	in, s := hlIntake(t)
	s.Close()
	_, body, sig := hlBatch(t, hlKey(t), hlManual("a.example", "abuse", "2026-11-20", "", ""))
	if code, _, v := hlPost(in, "192.0.2.1:1000", body, sig); code != http.StatusServiceUnavailable {
		t.Fatalf("post with a closed store = %d %v; want 503", code, v)
	}
}

func TestIntakeConfigValidateNamesTheKey(t *testing.T) {
	c := DefaultIntakeConfig()
	c.KeyRate = 0
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "key_rate: 0") || !strings.Contains(err.Error(), "tls_cert") {
		t.Fatalf("Validate = %v; want key_rate and tls_cert named", err)
	}
}
