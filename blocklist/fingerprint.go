package blocklist

import (
	"crypto/rand"
	"encoding/binary"
	"math/bits"
)

// A name's fingerprint is a seeded 64-bit hash of its text. It is written
// here rather than taken from hash/maphash because a compiled Set is kept
// on disk (compiled.go) and its fingerprints must mean the same after a
// restart: a maphash.Seed cannot be saved, a uint64 can.
//
// The function has the shape of wyhash (Wang Yi's, public domain; it is
// also what Go's runtime hashes with where it has no AES instructions):
// 16 bytes at a time folded by a 64×64→128-bit multiply, the tail read as
// two overlapping words. The seed enters every multiply, so without it
// nobody can compute which names collide; it is drawn from crypto/rand for
// each build (newSeed) and is stored only in the compiled file, which is
// as private as the state directory that holds it.

// Odd constants with balanced bits, wyhash's defaults.
const (
	fpK0 = 0xa0761d6478bd642f
	fpK1 = 0xe7037ed1a0b428db
)

// newSeed draws a fingerprint seed. crypto/rand.Read does not fail.
func newSeed() uint64 {
	var b [8]byte
	rand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:])
}

// fpMix multiplies a by b to 128 bits and folds the halves.
func fpMix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// fingerprint returns the seeded hash of p. It does not allocate, and costs
// a few nanoseconds for a host name. seed comes from newSeed: uniformly
// random already, it needs none of the premixing wyhash gives user seeds.
func fingerprint(seed uint64, p []byte) uint64 {
	n := len(p)
	h := seed
	var a, b uint64
	switch {
	case n > 16:
		for q := p; len(q) > 16; q = q[16:] {
			h = fpMix(binary.LittleEndian.Uint64(q)^fpK1, binary.LittleEndian.Uint64(q[8:])^h)
		}
		a, b = binary.LittleEndian.Uint64(p[n-16:]), binary.LittleEndian.Uint64(p[n-8:])
	case n >= 8:
		a, b = binary.LittleEndian.Uint64(p), binary.LittleEndian.Uint64(p[n-8:])
	case n >= 4:
		a, b = uint64(binary.LittleEndian.Uint32(p)), uint64(binary.LittleEndian.Uint32(p[n-4:]))
	case n > 0:
		a = uint64(p[0])<<16 | uint64(p[n>>1])<<8 | uint64(p[n-1])
	}
	hi, lo := bits.Mul64(a^fpK1, b^h)
	return fpMix(lo^fpK0^uint64(n), hi^fpK1)
}
