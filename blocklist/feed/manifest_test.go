package feed

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// validManifest is the README's example, minus the contact.
const validManifest = `{
  "schema": 1,
  "name": "emc",
  "version": 1795400000,
  "issued": "2026-11-23T00:00:00Z",
  "expires": "2026-12-23T00:00:00Z",
  "lists": [
    {"file": "abuse.txt", "size": 26, "sha256": "6e9ab45302a4b6a984d2953198211d09704b2873785760828e63817fc0c5c119",
     "category": "abuse", "format": "domains", "mandatory": true},
    {"file": "cyberviolence-suspected.txt", "size": 16, "sha256": "512fceec9ec0904821170c09b46d000681b6210b11a60879a991fb2052040504",
     "category": "cyberviolence", "format": "domains", "watch": true}
  ],
  "contact": {"name": {"fr": "EMC-Helpline", "ar": "خط المساعدة"}, "phone": "+212 5 00 00 00 00", "web_chat": "https://helpline.example/chat",
              "domains": ["helpline.example"]}
}`

func TestDecodeManifest(t *testing.T) {
	m, err := DecodeManifest([]byte(validManifest), Limits{})
	if err != nil {
		t.Fatalf("DecodeManifest(valid) = %v", err)
	}
	if m.Version != 1795400000 || len(m.Lists) != 2 || !m.Lists[0].Mandatory || !m.Lists[1].Watch || m.Contact.Name["ar"] == "" {
		t.Fatalf("decoded %+v", m)
	}
	tests := []struct {
		name   string
		change func(string) string
		want   string
	}{
		{"an unknown field is refused", sub(`"schema": 1,`, `"schema": 1, "signed": true,`), `unknown field "signed"`},
		{"data after the object is refused", func(s string) string { return s + "{}" }, "data after the JSON object"},
		{"another schema is refused", sub(`"schema": 1`, `"schema": 2`), "schema is 2"},
		{"a missing name is refused", sub(`"name": "emc",`, ``), "name: required"},
		{"an upper-case name is refused", sub(`"name": "emc"`, `"name": "EMC"`), `"EMC": use a-z`},
		{"version 0 is refused", sub(`"version": 1795400000`, `"version": 0`), "version must be at least 1"},
		{"a negative version is refused", sub(`"version": 1795400000`, `"version": -1`), "cannot unmarshal"},
		{"expiry before issue is refused", sub(`"expires": "2026-12-23`, `"expires": "2026-11-22`), "must be after issued"},
		{"a missing expiry is refused", sub(`"expires": "2026-12-23T00:00:00Z",`, ``), "issued and expires are both required"},
		{"a path is refused as a file name", sub(`"abuse.txt"`, `"lists/abuse.txt"`), "no path"},
		{"a parent directory is refused as a file name", sub(`"abuse.txt"`, `"../abuse.txt"`), "must start with a letter"},
		{"an absolute path is refused as a file name", sub(`"abuse.txt"`, `"/etc/passwd"`), "must start with a letter"},
		{"a hidden file is refused", sub(`"abuse.txt"`, `".etag"`), "no hidden file"},
		{"a backslash is refused in a file name", sub(`"abuse.txt"`, `"a\\b.txt"`), "no path"},
		{"the manifest's own name is refused as a list", sub(`"abuse.txt"`, `"manifest.json"`), "reserved"},
		{"the same file twice is refused", sub(`"cyberviolence-suspected.txt"`, `"ABUSE.txt"`), "listed twice"},
		{"size 0 is refused", sub(`"size": 26`, `"size": 0`), "size must be at least 1"},
		{"a size over the limit is refused", sub(`"size": 26`, `"size": 67108865`), "over the limit of 67108864 bytes"},
		{"a short sha256 is refused", sub(`"sha256": "6e9a`, `"sha256": "`), "64 lower-case hex digits"},
		{"an upper-case sha256 is refused", sub(`"sha256": "6e9a`, `"sha256": "6E9A`), "64 lower-case hex digits"},
		{"an empty category is refused", sub(`"category": "abuse"`, `"category": ""`), "category"},
		{"a category with spaces is refused", sub(`"category": "abuse"`, `"category": "child abuse"`), "is not an id"},
		{"a list both mandatory and watch is refused", sub(`"mandatory": true`, `"mandatory": true, "watch": true`), "both mandatory and watch"},
		{"a contact URL that is not https is refused", sub(`https://helpline.example/chat`, `http://helpline.example/chat`), "web_chat"},
		{"a contact phone with letters is refused", sub(`+212 5 00 00 00 00`, `call us`), "phone"},
		{"a contact language that is not a tag is refused", sub(`"fr": "EMC`, `"French": "EMC`), "not a language tag"},
		{"a contact domain with a trailing dot is refused", sub(`"helpline.example"]`, `"helpline.example."]`), "domains[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeManifest([]byte(tt.change(validManifest)), Limits{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("DecodeManifest = %v; want an error saying %q", err, tt.want)
			}
		})
	}
}

func sub(old, new string) func(string) string {
	return func(s string) string {
		if !strings.Contains(s, old) {
			panic("the test's manifest has no " + old)
		}
		return strings.Replace(s, old, new, 1)
	}
}

func TestManifestLimits(t *testing.T) {
	m, _ := DecodeManifest([]byte(validManifest), Limits{})
	tests := []struct {
		name     string
		lim      Limits
		want     string
		tooLarge bool // wraps ErrTooLarge
	}{
		{"too many lists are refused", Limits{MaxLists: 1}, "2 lists, over the limit of 1", false},
		{"lists adding up to too much are refused", Limits{MaxTotalBytes: 41}, "add up to 42 bytes, over the limit of 41", true},
		{"one list over the file limit is refused", Limits{MaxFileBytes: 20}, "size 26 is over the limit of 20", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := m.Validate(tt.lim)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate = %v, want %q", err, tt.want)
			}
			if errors.Is(err, ErrTooLarge) != tt.tooLarge {
				t.Errorf("errors.Is(err, ErrTooLarge) = %v, want %v", !tt.tooLarge, tt.tooLarge)
			}
		})
	}
}

func TestManifestEncodeRoundTrips(t *testing.T) {
	m, _ := DecodeManifest([]byte(validManifest), Limits{})
	b, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	again, err := DecodeManifest(b, Limits{})
	if err != nil {
		t.Fatalf("DecodeManifest(Encode()) = %v\n%s", err, b)
	}
	x, _ := json.Marshal(m)
	y, _ := json.Marshal(again)
	if string(x) != string(y) {
		t.Errorf("round trip changed the manifest:\n%s\n%s", x, y)
	}
}
