package reports

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"reflect"
	"regexp"
	"testing"
)

func hlAggregates(t *testing.T) []Aggregate {
	t.Helper()
	s := hlStore(t)
	k1, k2 := hlKey(t), hlKey(t)
	hlPut(t, s, k1, hlManual("bad.example", "abuse", "2026-10-30", "", "9-12"), hlCounted(Watch, "odd.example", "gambling", "2026-11-01", 4))
	hlPut(t, s, k2, hlManual("bad.example", "abuse", "2026-11-02", "", ""))
	if _, err := s.Confirm("bad.example", "abuse", Decision{By: "test", At: hlT0}); err != nil {
		t.Fatal(err)
	}
	aggs, err := s.Domains(Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return aggs
}

func TestWriteCSVOneRowPerDomain(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteCSV(&buf, hlAggregates(t)); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		CSVHeader,
		{"bad.example", "confirmed", "abuse", "2", "2", "2", "2", "0", "0", "abuse:2", "9-12:1 none:1", "2026-10-30", "2026-11-02"},
		{"odd.example", "new", "", "1", "1", "4", "0", "4", "0", "gambling:4", "none:4", "2026-11-01", "2026-11-01"},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Fatalf("CSV =\n%q\nwant\n%q", rows, want)
	}
}

func TestWriteXARFOneReportPerDomain(t *testing.T) {
	rep := Reporter{Org: "EMC-Helpline", Contact: "reports@helpline.example", Domain: "helpline.example"}
	var buf bytes.Buffer
	if err := WriteXARF(&buf, hlAggregates(t), rep); err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil || len(got) != 2 {
		t.Fatalf("XARF output = %d reports, %v:\n%s", len(got), err, buf.String())
	}
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	for _, r := range got {
		for _, f := range []string{"xarf_version", "report_id", "timestamp", "reporter", "sender", "source_identifier", "category", "type"} {
			if r[f] == nil || r[f] == "" {
				t.Errorf("report on %v lacks the required XARF field %q", r["domain"], f)
			}
		}
		if !uuid.MatchString(r["report_id"].(string)) {
			t.Errorf("report_id %v is not a UUID", r["report_id"])
		}
	}
	bad := got[0]
	if bad["xarf_version"] != "4.0.0" || bad["category"] != "content" || bad["type"] != "csam" || bad["url"] != "http://bad.example/" ||
		bad["timestamp"] != "2026-10-30T00:00:00Z" || bad["reporter"].(map[string]any)["org"] != "EMC-Helpline" {
		t.Errorf("the confirmed abuse domain's report = %v", bad)
	}
	if a := bad["amane"].(map[string]any); a["appliances"] != 2.0 || a["status"] != "confirmed" {
		t.Errorf("the amane aggregate = %v", a)
	}
	if odd := got[1]; odd["category"] != "reputation" || odd["type"] != "blocklist" || odd["url"] != nil {
		t.Errorf("a gambling domain's report = %v; want reputation / blocklist", odd)
	}
	again := ToXARF(hlAggregates(t)[0], rep)
	if again.ReportID != bad["report_id"] {
		t.Errorf("exporting twice gave ids %s and %s; want the same", again.ReportID, bad["report_id"])
	}
}
