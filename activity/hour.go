package activity

import (
	"encoding/binary"
	"errors"
	"math/bits"
	"sort"

	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/policy"
)

// Hour is one device's aggregate for one hour.
type Hour struct {
	Device    string
	Profile   string
	Queries   uint32
	Blocked   uint32
	Mandatory uint32                                // blocked by a mandatory category
	ByReason  [len(reasons)]uint32                  // blocked, indexed by policy.Why
	Cats      [blocklist.NumCategories]CategoryHour // by category
	// Top are the most asked names, at most TopNames once written; empty
	// when the privacy mode keeps no name for the device.
	Top []NameCount
	// track counts names while the hour is being recorded (space-saving).
	track map[string]uint32
}

// CategoryHour is one category's share of an Hour.
type CategoryHour struct {
	Queries uint32 // answered (allowed) names of the category
	Blocked uint32
	Minutes uint64 // bit m: the device resolved a name of the category in minute m
}

// NameCount is a name and how often it was asked.
type NameCount struct {
	Name  string `json:"name"`
	Count uint32 `json:"count"`
}

// add counts ev; name is "" when the privacy mode keeps none.
func (h *Hour) add(ev *Event, name string) {
	h.Queries++
	blocked := ev.Action == policy.Block
	if blocked {
		h.Blocked++
		if ev.Mandatory {
			h.Mandatory++
		}
		if int(ev.Why) < len(h.ByReason) {
			h.ByReason[ev.Why]++
		}
	}
	minute := uint64(1) << (ev.At.Unix() / 60 % 60)
	for cs := uint32(ev.Categories); cs != 0; cs &= cs - 1 {
		c := &h.Cats[bits.TrailingZeros32(cs)]
		if blocked {
			c.Blocked++
		} else {
			c.Queries++
			c.Minutes |= minute
		}
	}
	if name != "" {
		h.count(name)
	}
}

// count adds one to name's count, the space-saving way: when the hour
// tracks trackNames already, the new name takes the place of the rarest,
// and its count (an overestimate by at most that one's) with it.
func (h *Hour) count(name string) {
	if h.track == nil {
		h.track = make(map[string]uint32, trackNames)
		for _, t := range h.Top { // read back after a restart
			h.track[t.Name] = t.Count
		}
	}
	if _, ok := h.track[name]; !ok && len(h.track) >= trackNames {
		var rare string
		least := ^uint32(0)
		for n, c := range h.track {
			if c < least {
				rare, least = n, c
			}
		}
		delete(h.track, rare)
		h.track[name] = least
	}
	h.track[name]++
}

// top returns the TopNames most asked names, most asked first.
func (h *Hour) top() []NameCount {
	if h.track == nil {
		return h.Top
	}
	out := make([]NameCount, 0, len(h.track))
	for n, c := range h.track {
		out = append(out, NameCount{n, c})
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Count > out[j].Count || out[i].Count == out[j].Count && out[i].Name < out[j].Name
	})
	return out[:min(len(out), TopNames)]
}

// hourVersion is the first byte of an encoded Hour.
const hourVersion = 1

// encode writes h compactly (varints; categories only when used): an SD
// card keeps a month of them for every device.
func (h *Hour) encode() []byte {
	b := []byte{hourVersion}
	b = appendString(b, h.Profile)
	for _, v := range [...]uint32{h.Queries, h.Blocked, h.Mandatory} {
		b = binary.AppendUvarint(b, uint64(v))
	}
	for _, v := range h.ByReason {
		b = binary.AppendUvarint(b, uint64(v))
	}
	for i, c := range h.Cats {
		if c != (CategoryHour{}) {
			b = append(b, byte(i)+1)
			b = binary.AppendUvarint(b, uint64(c.Queries))
			b = binary.AppendUvarint(b, uint64(c.Blocked))
			b = binary.AppendUvarint(b, c.Minutes)
		}
	}
	b = append(b, 0)
	top := h.top()
	b = binary.AppendUvarint(b, uint64(len(top)))
	for _, t := range top {
		b = appendString(b, t.Name)
		b = binary.AppendUvarint(b, uint64(t.Count))
	}
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

var errCorrupt = errors.New("corrupt activity record")

// decodeHour reads what encode wrote.
func decodeHour(b []byte) (*Hour, error) {
	r := reader{b: b}
	if r.byte() != hourVersion {
		return nil, errCorrupt
	}
	h := &Hour{Profile: r.string()}
	h.Queries, h.Blocked, h.Mandatory = r.u32(), r.u32(), r.u32()
	for i := range h.ByReason {
		h.ByReason[i] = r.u32()
	}
	for {
		i := r.byte()
		if i == 0 || r.err != nil {
			break
		}
		if int(i-1) >= len(h.Cats) {
			return nil, errCorrupt
		}
		c := &h.Cats[i-1]
		c.Queries, c.Blocked, c.Minutes = r.u32(), r.u32(), r.uvarint()
	}
	n := r.uvarint()
	for i := uint64(0); i < n && r.err == nil; i++ {
		h.Top = append(h.Top, NameCount{Name: r.string(), Count: r.u32()})
	}
	return h, r.err
}

// reader reads varints and strings, remembering the first error.
type reader struct {
	b   []byte
	err error
}

func (r *reader) byte() byte {
	if len(r.b) == 0 {
		r.err = errCorrupt
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *reader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errCorrupt
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) u32() uint32 { return uint32(r.uvarint()) }

func (r *reader) string() string {
	n := r.uvarint()
	if uint64(len(r.b)) < n {
		r.err = errCorrupt
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}
