package reports

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/blocklist/feed"
)

// The wire protocol between an appliance and the helpline's intake (see
// PROTOCOL.md in this directory for the worked example):
//
//	POST {helpline url}/reports
//	Content-Type: application/json
//	Amane-Signature: base64 of the batch's minisign signature file
//
//	{"schema":1,"id":"<32 hex>","key":"RW...","reports":[{...}, ...]}
//
// The body is signed exactly as sent, so a retry sends the same bytes and
// the helpline can keep them as evidence.
const (
	// SchemaVersion is the batch schema this build writes and accepts.
	SchemaVersion = 1
	// SignatureHeader carries the base64 of the minisign signature file.
	SignatureHeader = "Amane-Signature"
	// ReportsPath is where batches are posted, below the helpline's URL.
	ReportsPath = "reports"
	// FeedPath is where the helpline's feed is served, below its URL.
	FeedPath = "feed/"
	// MaxBatchReports is the most reports one batch may carry.
	MaxBatchReports = 500
	// MaxBatchBytes is the largest body the intake reads. A full batch of
	// manual reports with the longest notes fits (500 × ~1.2 KB).
	MaxBatchBytes = 1 << 20
	// MaxNoteBytes bounds the reporter's note.
	MaxNoteBytes = 1000
	// MaxCount bounds one count: more lookups of one name in one day from
	// one home than this is a loop, not information.
	MaxCount = 1_000_000
)

// Kind says where a report comes from.
type Kind string

const (
	// Manual is a report a parent or teacher made: `amane report NAME`.
	Manual Kind = "manual"
	// Watch counts one day's lookups of a name on a helpline watch list.
	Watch Kind = "watch"
	// Mandatory counts one day's attempts to reach a mandatory category.
	Mandatory Kind = "mandatory"
)

func (k Kind) valid() bool { return k == Manual || k == Watch || k == Mandatory }

// ageBands are the age bands a report may carry: policy's (a test keeps
// them in step), in the order a table shows them.
var ageBands = []string{"under-9", "9-12", "13-17", "adult"}

// Report is one thing an appliance tells the helpline. It has no field
// for a device, an address, a MAC, a hostname or a profile name, and
// Validate refuses a note that is not the reporter's text.
type Report struct {
	Kind     Kind   `json:"kind"`
	Domain   string `json:"domain"`   // lower case, no trailing dot, punycode
	Category string `json:"category"` // a category id of package blocklist
	Day      string `json:"day"`      // YYYY-MM-DD, the appliance's local date
	Count    uint32 `json:"count"`    // 1 for a manual report
	Note     string `json:"note,omitempty"`
	AgeBand  string `json:"age_band,omitempty"` // only when the owner opted in
}

// Batch is what an appliance posts: reports under one idempotency key.
type Batch struct {
	Schema  int      `json:"schema"`
	ID      string   `json:"id"`  // 32 lower-case hex digits, random: the idempotency key
	Key     string   `json:"key"` // the appliance's minisign public key ("RW...")
	Reports []Report `json:"reports"`
}

// Ack is the intake's answer to a batch it stored, or had stored before
// (Duplicate): either way the appliance may forget the batch.
type Ack struct {
	ID        string `json:"id"`
	Accepted  int    `json:"accepted"`
	Duplicate bool   `json:"duplicate,omitempty"`
}

// Refusal is the intake's answer to a batch it did not store.
type Refusal struct {
	Error string `json:"error"`
}

var batchID = regexp.MustCompile(`^[0-9a-f]{32}$`)

// Validate returns every problem with b, each naming its field
// ("reports[3].domain: ...").
func (b Batch) Validate() error {
	var errs []error
	if b.Schema != SchemaVersion {
		errs = append(errs, fmt.Errorf("schema: %d, this intake reads %d", b.Schema, SchemaVersion))
	}
	if !batchID.MatchString(b.ID) {
		errs = append(errs, errors.New("id: want 32 lower-case hex digits"))
	}
	if _, err := feed.ParsePublicKey(b.Key); err != nil || strings.ContainsAny(b.Key, "\r\n") {
		errs = append(errs, errors.New("key: want a minisign public key (\"RW...\")"))
	}
	switch n := len(b.Reports); {
	case n == 0:
		errs = append(errs, errors.New("reports: empty"))
	case n > MaxBatchReports:
		errs = append(errs, fmt.Errorf("reports: %d, at most %d a batch", n, MaxBatchReports))
	}
	for i, r := range b.Reports {
		if err := r.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("reports[%d].%w", i, err))
		}
		if len(errs) > 20 {
			errs = append(errs, errors.New("and more"))
			break
		}
	}
	return errors.Join(errs...)
}

// Validate returns the first problem with r, naming its field.
func (r Report) Validate() error {
	if !r.Kind.valid() {
		return fmt.Errorf("kind: %q is not manual, watch or mandatory", r.Kind)
	}
	if err := CheckDomain(r.Domain); err != nil {
		return fmt.Errorf("domain: %w", err)
	}
	if c, err := blocklist.ParseCategory(r.Category); err != nil || c.String() != r.Category {
		return fmt.Errorf("category: %q is not a category id", r.Category)
	}
	if d, err := time.Parse(time.DateOnly, r.Day); err != nil || d.Format(time.DateOnly) != r.Day {
		return fmt.Errorf("day: %q is not a date (YYYY-MM-DD)", r.Day)
	}
	switch {
	case r.Count == 0 || r.Count > MaxCount:
		return fmt.Errorf("count: %d, want 1 to %d", r.Count, MaxCount)
	case r.Kind == Manual && r.Count != 1:
		return fmt.Errorf("count: %d, a manual report counts 1", r.Count)
	}
	if r.Note != "" {
		if r.Kind != Manual {
			return errors.New("note: only a manual report has a note")
		}
		if err := CheckNote(r.Note); err != nil {
			return fmt.Errorf("note: %w", err)
		}
	}
	if r.AgeBand != "" && !validAgeBand(r.AgeBand) {
		return fmt.Errorf("age_band: %q is not %s", r.AgeBand, strings.Join(ageBands, ", "))
	}
	return nil
}

func validAgeBand(s string) bool {
	for _, b := range ageBands {
		if s == b {
			return true
		}
	}
	return false
}

// CheckDomain refuses a name that is not in normal form (lower case, no
// trailing dot, punycode): the helpline aggregates by exact name.
func CheckDomain(name string) error {
	n, why := blocklist.Normalize(name)
	switch {
	case why != blocklist.ReasonNone:
		return fmt.Errorf("%q is not a domain name: %s", name, why)
	case n != name:
		return fmt.Errorf("%q is not in normal form (want %q)", name, n)
	case !strings.Contains(n, "."):
		return fmt.Errorf("%q is a top-level domain, not a site", name)
	}
	return nil
}

// CheckNote refuses a note that is too long, not UTF-8, or carries control
// characters other than line breaks and tabs.
func CheckNote(s string) error {
	if len(s) > MaxNoteBytes {
		return fmt.Errorf("%d bytes, at most %d", len(s), MaxNoteBytes)
	}
	if !utf8.ValidString(s) {
		return errors.New("not UTF-8 text")
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return fmt.Errorf("control character %U", r)
		}
	}
	return nil
}

// DecodeBatch reads one batch strictly: one JSON object, no unknown field,
// nothing after it, every field valid.
func DecodeBatch(body []byte) (Batch, error) {
	var b Batch
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return Batch{}, fmt.Errorf("malformed batch: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Batch{}, errors.New("malformed batch: data after the object")
	}
	if err := b.Validate(); err != nil {
		return Batch{}, err
	}
	return b, nil
}

// ErrBadSignature is wrapped by VerifyBatch's error when the signature
// does not hold.
var ErrBadSignature = feed.ErrBadSignature

// SignBatch encodes b and signs it with key; it returns the body to post
// and the SignatureHeader value.
func SignBatch(b Batch, key feed.SecretKey) (body []byte, sig string, err error) {
	b.Schema, b.Key = SchemaVersion, key.Public().String()
	if err := b.Validate(); err != nil {
		return nil, "", err
	}
	if body, err = encode(b); err != nil {
		return nil, "", err
	}
	s := key.Sign(body, "amane report batch "+b.ID)
	return body, base64.StdEncoding.EncodeToString(s.Encode()), nil
}

// VerifyBatch decodes body and checks that header is the signature of
// body by the key the batch names.
func VerifyBatch(body []byte, header string) (Batch, error) {
	b, err := DecodeBatch(body)
	if err != nil {
		return Batch{}, err
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(header))
	if err != nil {
		return Batch{}, fmt.Errorf("%s: not base64: %w", SignatureHeader, ErrBadSignature)
	}
	sig, err := feed.ParseSignature(raw)
	if err != nil {
		return Batch{}, fmt.Errorf("%s: %v: %w", SignatureHeader, err, ErrBadSignature)
	}
	pub, _ := feed.ParsePublicKey(b.Key) // Validate checked it
	if err := feed.Verify(pub, body, sig); err != nil {
		return Batch{}, err
	}
	return b, nil
}

// encode is json.Marshal without HTML escaping: a note's "<" stays one
// byte, and the body stays as readable as the reporter wrote it.
func encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
