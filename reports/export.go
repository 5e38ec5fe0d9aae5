package reports

import (
	"cmp"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// CSVHeader is the first row that WriteCSV writes.
var CSVHeader = []string{
	"domain", "status", "confirmed_category", "appliances", "reports", "count",
	"manual", "watch", "mandatory", "categories", "age_bands", "first_seen", "last_seen",
}

// WriteCSV writes one row per aggregate under CSVHeader. Multi-valued
// cells are "name:count" pairs joined with spaces, most counted first.
func WriteCSV(w io.Writer, aggs []Aggregate) error {
	cw := csv.NewWriter(w)
	cw.Write(CSVHeader) //nolint:errcheck // Flush reports it
	for _, a := range aggs {
		cw.Write([]string{ //nolint:errcheck // Flush reports it
			a.Domain, string(a.Triage.Status), a.Triage.Category,
			strconv.Itoa(a.Appliances), strconv.Itoa(a.Reports), u64(a.Count),
			u64(a.Kinds[Manual]), u64(a.Kinds[Watch]), u64(a.Kinds[Mandatory]),
			Pairs(a.Categories), Pairs(a.AgeBands), a.First, a.Last,
		})
	}
	cw.Flush()
	return cw.Error()
}

func u64(n uint64) string { return strconv.FormatUint(n, 10) }

// Pairs formats counts as "name:count" pairs, most counted first, then by
// name; an empty name (no age band) is written "none".
func Pairs(m map[string]uint64) string {
	named := make(map[string]uint64, len(m))
	for k, n := range m {
		if k == "" {
			k = NoAgeBand
		}
		named[k] += n
	}
	keys := slices.SortedFunc(maps.Keys(named), func(a, b string) int {
		return cmp.Or(cmp.Compare(named[b], named[a]), strings.Compare(a, b))
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ":" + u64(named[k])
	}
	return strings.Join(parts, " ")
}

// Reporter is who the helpline is, in an exported report.
type Reporter struct {
	Org     string `json:"org" toml:"org"`         // "EMC-Helpline"
	Contact string `json:"contact" toml:"contact"` // an e-mail address
	Domain  string `json:"domain" toml:"domain"`   // the helpline's own domain
}

// XARF is one report in the shape of XARF v4 (xarf.org, schema
// xarf-core.json, version 4.0.0): the core fields, the "content" class's
// url and domain, and amane's aggregate under "amane", since XARF allows
// additional properties.
type XARF struct {
	Version            string        `json:"xarf_version"`
	ReportID           string        `json:"report_id"`
	Timestamp          string        `json:"timestamp"`
	Reporter           Reporter      `json:"reporter"`
	Sender             Reporter      `json:"sender"`
	SourceIdentifier   string        `json:"source_identifier"`
	Category           string        `json:"category"`
	Type               string        `json:"type"`
	URL                string        `json:"url,omitempty"`
	Domain             string        `json:"domain"`
	EvidenceSource     string        `json:"evidence_source"`
	VerificationMethod string        `json:"verification_method,omitempty"`
	Description        string        `json:"description"`
	Tags               []string      `json:"tags,omitempty"`
	Amane              XARFAggregate `json:"amane"`
}

// XARFAggregate is amane's own part of an exported report.
type XARFAggregate struct {
	Appliances int               `json:"appliances"`
	Reports    int               `json:"reports"`
	Count      uint64            `json:"count"`
	Kinds      map[Kind]uint64   `json:"kinds"`
	Categories map[string]uint64 `json:"categories"`
	AgeBands   map[string]uint64 `json:"age_bands"`
	FirstSeen  string            `json:"first_seen"`
	LastSeen   string            `json:"last_seen"`
	Status     TriageStatus      `json:"status"`
	Confirmed  string            `json:"confirmed_category,omitempty"`
}

// xarfTypes maps amane's categories to XARF v4 content types; every other
// category is exported as reputation / blocklist (a name on a child
// protection blocklist).
var xarfTypes = map[string]string{"abuse": "csam", "phishing": "phishing", "malware": "malware", "scam": "fraud"}

// ToXARF returns the XARF report of one aggregate. Its category is the
// confirmed one, else the one most reported; its report id is derived from
// the reporter and the domain, so exporting twice gives the same id.
func ToXARF(a Aggregate, rep Reporter) XARF {
	cat := a.Triage.Category
	if cat == "" {
		cat, _, _ = strings.Cut(Pairs(a.Categories), ":")
	}
	x := XARF{
		Version: "4.0.0", ReportID: reportID(rep.Domain, a.Domain),
		Reporter: rep, Sender: rep, SourceIdentifier: a.Domain, Domain: a.Domain,
		Category: "reputation", Type: "blocklist",
		EvidenceSource: "user_report",
		Description: fmt.Sprintf("%s reported by %d appliances (%d reports), category %s, %s to %s; triage: %s",
			a.Domain, a.Appliances, a.Reports, cat, a.First, a.Last, a.Triage.Status),
		Tags: []string{"amane:" + cat},
		Amane: XARFAggregate{
			Appliances: a.Appliances, Reports: a.Reports, Count: a.Count, Kinds: a.Kinds,
			Categories: a.Categories, AgeBands: a.AgeBands, FirstSeen: a.First, LastSeen: a.Last,
			Status: a.Triage.Status, Confirmed: a.Triage.Category,
		},
	}
	if t, ok := xarfTypes[cat]; ok {
		x.Category, x.Type, x.URL = "content", t, "http://"+a.Domain+"/"
	}
	if a.Triage.Status == StatusConfirmed {
		x.VerificationMethod = "manual"
	}
	if d, err := time.Parse(time.DateOnly, a.First); err == nil {
		x.Timestamp = d.UTC().Format(time.RFC3339)
	}
	return x
}

// reportID is a UUID (version 8, RFC 9562: made by the application) from
// the SHA-256 of the reporter's domain and the reported domain.
func reportID(reporter, domain string) string {
	h := sha256.Sum256([]byte("amane xarf\x00" + reporter + "\x00" + domain))
	h[6] = h[6]&0x0f | 0x80 // version 8
	h[8] = h[8]&0x3f | 0x80 // variant 10
	s := hex.EncodeToString(h[:16])
	return s[:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:]
}

// WriteXARF writes the aggregates as a JSON array of XARF reports.
func WriteXARF(w io.Writer, aggs []Aggregate, rep Reporter) error {
	out := make([]XARF, len(aggs))
	for i, a := range aggs {
		out[i] = ToXARF(a, rep)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
