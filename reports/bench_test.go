package reports

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkIntakeBatch is one batch of 50 counts through the intake, from
// a distinct appliance key each time: decoding, both signatures, the rate
// limits and the bbolt commit (fsynced) that precedes the acknowledgement.
// Signing is done before the timer starts.
func BenchmarkIntakeBatch(b *testing.B) {
	b.Run("one at a time", func(b *testing.B) { benchIntake(b, 1) })
	// Appliances do not wait for each other: bbolt's Batch folds
	// concurrent receipts into one commit.
	b.Run("64 appliances at once", func(b *testing.B) { benchIntake(b, 64) })
}

func benchIntake(b *testing.B, parallel int) {
	s := hlStore(b)
	c := DefaultIntakeConfig()
	c.InsecureHTTP = true
	c.AddrRate, c.AddrBurst = 1<<30, 1<<30
	in := NewIntake(s, c, slog.New(slog.DiscardHandler), time.Now)
	type signed struct {
		body []byte
		sig  string
	}
	keys := make([]signed, b.N)
	for i := range keys {
		var rs []Report
		for j := range 50 {
			rs = append(rs, hlCounted(Watch, fmt.Sprintf("suspect%d.example", j), "cyberviolence", "2026-11-22", uint32(1+j)))
		}
		_, body, sig := hlBatch(b, hlKey(b), rs...)
		keys[i] = signed{body, sig}
	}
	b.ResetTimer()
	if parallel == 1 {
		for _, k := range keys {
			if code, _, v := hlPost(in, "127.0.0.1:4000", k.body, k.sig); code != http.StatusOK {
				b.Fatalf("%d %v", code, v)
			}
		}
		return
	}
	var next atomic.Int64
	b.SetParallelism(max(1, parallel/runtime.GOMAXPROCS(0)))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			k := keys[next.Add(1)-1]
			if code, _, v := hlPost(in, "127.0.0.1:4000", k.body, k.sig); code != http.StatusOK {
				b.Errorf("%d %v", code, v)
				return
			}
		}
	})
}
