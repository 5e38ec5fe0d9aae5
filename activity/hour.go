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
	// Minutes has bit m set when the device was answered a name in minute
	// m, whatever its category: its time online.
	Minutes uint64
	// Apps are the minutes of use of each app (of the built-in catalog)
	// the device reached this hour, by the app's id.
	Apps []AppHour
	// Top are the most asked names, at most TopNames once written; empty
	// when the privacy mode keeps no name for the device.
	Top []NameCount
	// track counts names while the hour is being recorded (space-saving).
	track *nameTracker
	dirty bool // changed since the last flush
}

// CategoryHour is one category's share of an Hour.
type CategoryHour struct {
	Queries uint32 // answered (allowed) names of the category
	Blocked uint32
	Minutes uint64 // bit m: the device resolved a name of the category in minute m
}

// AppHour is one app's share of an Hour.
type AppHour struct {
	ID      string // the catalog id: "tiktok"
	Minutes uint64 // bit m: an answer for one of the app's names in minute m
}

// NameCount is a name and how often it was asked.
type NameCount struct {
	Name  string `json:"name"`
	Count uint32 `json:"count"`
}

// add counts ev; app is the catalog id of the app an answered name was
// for, "" for none. The name is counted apart (count), when the privacy
// mode keeps it.
func (h *Hour) add(ev *Event, app string) {
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
	if !blocked {
		h.Minutes |= minute
	}
	for cs := uint32(ev.Categories); cs != 0; cs &= cs - 1 {
		c := &h.Cats[bits.TrailingZeros32(cs)]
		if blocked {
			c.Blocked++
		} else {
			c.Queries++
			c.Minutes |= minute
		}
	}
	if app != "" {
		h.app(app).Minutes |= minute
	}
}

// app returns id's share of h, added if new: an hour holds a few apps.
func (h *Hour) app(id string) *AppHour {
	for i := range h.Apps {
		if h.Apps[i].ID == id {
			return &h.Apps[i]
		}
	}
	h.Apps = append(h.Apps, AppHour{ID: id})
	return &h.Apps[len(h.Apps)-1]
}

// count adds one to name's count, the space-saving way: when the hour
// tracks trackNames already, the new name takes the place of the rarest,
// and its count (an overestimate by at most that one's) with it. It
// returns name's counter: its Name a string of its own (name may be a
// view of a ring slot), its app matched once.
func (h *Hour) count(name string) *nameCounter {
	if h.track == nil {
		h.track = newNameTracker(h.Top) // read back after a restart
	}
	return h.track.count(name)
}

// top returns the TopNames most asked names, most asked first.
func (h *Hour) top() []NameCount {
	if h.track == nil {
		return h.Top
	}
	out := h.track.counts()
	sort.Slice(out, func(i, j int) bool {
		return out[i].Count > out[j].Count || out[i].Count == out[j].Count && out[i].Name < out[j].Name
	})
	return out[:min(len(out), TopNames)]
}

// hourVersion is the first byte of an encoded Hour. Version 1 had no
// minutes online and no apps; it is still read.
const hourVersion = 2

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
	b = binary.AppendUvarint(b, h.Minutes)
	b = binary.AppendUvarint(b, uint64(len(h.Apps)))
	for _, a := range h.Apps {
		b = appendString(b, a.ID)
		b = binary.AppendUvarint(b, a.Minutes)
	}
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
	version := r.byte()
	if version != 1 && version != hourVersion {
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
	if version >= 2 {
		h.Minutes = r.uvarint()
		n := r.uvarint()
		for i := uint64(0); i < n && r.err == nil; i++ {
			if i >= maxApps {
				return nil, errCorrupt
			}
			h.Apps = append(h.Apps, AppHour{ID: r.string(), Minutes: r.uvarint()})
		}
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
