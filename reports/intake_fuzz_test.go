package reports

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"testing"
	"time"
)

// FuzzIntakeBody posts arbitrary bodies and signature headers to the
// intake: it never panics, answers only with the protocol's statuses, and
// stores a batch only if its body decodes and its signature holds.
func FuzzIntakeBody(f *testing.F) {
	key := hlKey(f)
	_, body, sig := hlBatch(f, key, hlManual("bad.example", "abuse", "2026-11-20", "a note\nsecond line", "13-17"),
		hlCounted(Watch, "xn--mnchen-3ya.example", "cyberviolence", "2026-11-21", 12))
	f.Add(body, sig)
	f.Add([]byte(`{"schema":1,"id":"0123456789abcdef0123456789abcdef","key":"RW","reports":[]}`), "")
	f.Add([]byte(`{"schema":1}{}`), "x")
	f.Add([]byte(`[]`), sig)
	s := hlStore(f) // one store for every input: opening one per input is slow
	c := DefaultIntakeConfig()
	c.KeyRate, c.KeyBurst, c.AddrRate, c.AddrBurst = 1, 1<<30, 1, 1<<30
	in := NewIntake(s, c, slog.New(slog.DiscardHandler), func() time.Time { return hlT0 })
	f.Fuzz(func(t *testing.T, body []byte, sig string) {
		before, _ := s.Batches()
		code, _, v := hlPost(in, "192.0.2.1:1000", body, sig)
		n, err := s.Batches()
		if err != nil {
			t.Fatal(err)
		}
		switch code {
		case http.StatusOK:
			if _, err := VerifyBatch(body, sig); err != nil || n != before+1 && v["duplicate"] != true {
				t.Fatalf("accepted a batch that VerifyBatch refuses (%v), or stored %d new ones", err, n-before)
			}
		case http.StatusBadRequest, http.StatusUnauthorized, http.StatusRequestEntityTooLarge, http.StatusConflict:
			if n != before {
				t.Fatalf("refused with %d but stored %d batches", code, n-before)
			}
			if _, ok := v["error"].(string); !ok {
				raw, _ := json.Marshal(v)
				t.Fatalf("refusal %d without an error: %s", code, raw)
			}
		default:
			t.Fatalf("status %d %v", code, v)
		}
	})
}
