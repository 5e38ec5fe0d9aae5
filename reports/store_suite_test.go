package reports_test

import (
	"testing"
	"time"

	"github.com/amane-dns/amane/reports"
	"github.com/amane-dns/amane/reports/storetest"
)

func TestBoltStoreSuite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) reports.Store {
		s, err := reports.OpenStore(t.TempDir(), time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
