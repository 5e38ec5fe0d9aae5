package resolver

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/miekg/dns"
)

// cacheMagic starts a saved cache file; the digit is the format version.
const cacheMagic = "amane-cache 1\n"

// SaveCache writes the cache to path atomically (a temporary file renamed
// over the old one), leaving out what is too old to serve even stale.
func (h *Handler) SaveCache(path string) (int, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".cache-*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name())
	now, staleFor := h.now(), h.settings.Load().staleFor
	w := bufio.NewWriter(tmp)
	w.WriteString(cacheMagic)
	n := 0
	h.cache.each(func(e *entry) {
		if now.Sub(e.expires) >= staleFor && !now.Before(e.expires) {
			return
		}
		writeEntry(w, e)
		n++
	})
	if err := w.Flush(); err != nil {
		tmp.Close()
		return 0, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return 0, err
	}
	if err := tmp.Close(); err != nil {
		return 0, err
	}
	return n, os.Rename(tmp.Name(), path)
}

func writeEntry(w *bufio.Writer, e *entry) {
	var hdr [19]byte
	hdr[0] = b2u8(e.do) | b2u8(e.cd)<<1
	binary.BigEndian.PutUint16(hdr[1:], e.qtype)
	binary.BigEndian.PutUint16(hdr[3:], e.qclass)
	binary.BigEndian.PutUint64(hdr[5:], uint64(e.stored.UnixNano()))
	binary.BigEndian.PutUint32(hdr[13:], e.ttl)
	binary.BigEndian.PutUint16(hdr[17:], uint16(len(e.name)))
	w.Write(hdr[:])
	w.WriteString(e.name)
	w.Write(binary.BigEndian.AppendUint16(nil, uint16(len(e.msg))))
	w.Write(e.msg)
}

// LoadCache reads a file written by SaveCache. Ages are measured on the
// wall clock, which a Pi without a real-time clock may not have yet: an
// entry that seems to come from the future is dropped, never trusted.
func (h *Handler) LoadCache(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	magic := make([]byte, len(cacheMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != cacheMagic {
		return 0, fmt.Errorf("%s is not a saved amane cache", path)
	}
	now, staleFor := h.now(), h.settings.Load().staleFor
	n := 0
	for {
		e, err := readEntry(r)
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("reading %s after %d entries: %w", path, n, err)
		}
		age := now.Sub(e.stored)
		if age < 0 || age >= time.Duration(e.ttl)*time.Second+staleFor {
			continue
		}
		e.stored = now.Add(-age) // back on the monotonic clock
		e.expires = e.stored.Add(time.Duration(e.ttl) * time.Second)
		k := cacheKey{name: []byte(e.name), qtype: e.qtype, qclass: e.qclass, do: e.do, cd: e.cd}
		h.cache.hashKey(&k)
		h.cache.add(&k, e)
		n++
	}
}

func readEntry(r *bufio.Reader) (*entry, error) {
	var hdr [19]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	e := &entry{
		do: hdr[0]&1 != 0, cd: hdr[0]&2 != 0,
		qtype: binary.BigEndian.Uint16(hdr[1:]), qclass: binary.BigEndian.Uint16(hdr[3:]),
		stored: time.Unix(0, int64(binary.BigEndian.Uint64(hdr[5:]))),
		ttl:    binary.BigEndian.Uint32(hdr[13:]),
	}
	name := make([]byte, binary.BigEndian.Uint16(hdr[17:]))
	if _, err := io.ReadFull(r, name); err != nil {
		return nil, io.ErrUnexpectedEOF
	}
	var l [2]byte
	if _, err := io.ReadFull(r, l[:]); err != nil {
		return nil, io.ErrUnexpectedEOF
	}
	e.name = string(name)
	e.msg = make([]byte, binary.BigEndian.Uint16(l[:]))
	if _, err := io.ReadFull(r, e.msg); err != nil {
		return nil, io.ErrUnexpectedEOF
	}
	var err error
	if e.ttls, err = recordTTLOffsets(e.msg, nil); err != nil {
		return nil, fmt.Errorf("saved answer for %q: %w", e.name, err)
	}
	if !questionIs(e.msg, name) {
		return nil, fmt.Errorf("saved answer for %q: question does not match", e.name)
	}
	if e.ttl > maxNegativeTTL*100 {
		return nil, fmt.Errorf("saved answer for %q: TTL %d", e.name, e.ttl)
	}
	e.rcode = int(e.msg[3] & 0xF)
	m := new(dns.Msg)
	if err := m.Unpack(e.msg); err != nil {
		return nil, fmt.Errorf("saved answer for %q: %w", e.name, err)
	}
	e.cnames = cnameTargets(m)
	return e, nil
}
