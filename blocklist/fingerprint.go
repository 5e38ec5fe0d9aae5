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
// 16 bytes at a time folded by a 64×64→128-bit multiply, the last block
// padded with zeros and the length folded in at the end. The seed enters every multiply, so without it
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
	var buf [MaxNameLength + fpPad]byte
	if len(p) > MaxNameLength { // never for a normalized name; keep the result the same
		var tail [2 * fpPad]byte
		whole := len(p) &^ (fpPad - 1)
		copy(tail[:], p[whole:])
		return fpFinish(fpBlocks(seed, p, whole), tail[:], len(p))
	}
	copy(buf[:], p)
	return fingerprintPadded(seed, buf[:len(p)+fpPad], len(p))
}

// fpPad is the block: the hash reads whole 16-byte blocks, the last one
// padded with zeros, and the length at the end tells "a" from "a\x00".
const fpPad = 16

// fingerprintPadded is fingerprint of b[:n], where b holds n+fpPad bytes
// and the ones after n are zero. Lookup hashes straight from its zeroed
// stack buffer this way: no copy, and no branch on the length's class.
func fingerprintPadded(seed uint64, b []byte, n int) uint64 {
	whole := n &^ (fpPad - 1)
	return fpFinish(fpBlocks(seed, b, whole), b[whole:], n)
}

// fpBlocks folds the whole blocks of b[:whole] into seed.
func fpBlocks(h uint64, b []byte, whole int) uint64 {
	for i := 0; i < whole; i += fpPad {
		h = fpMix(binary.LittleEndian.Uint64(b[i:])^fpK1, binary.LittleEndian.Uint64(b[i+8:])^h)
	}
	return h
}

// fpFinish folds the last, zero-padded block and the length.
func fpFinish(h uint64, last []byte, n int) uint64 {
	_ = last[fpPad-1]
	h = fpMix(binary.LittleEndian.Uint64(last)^fpK1, binary.LittleEndian.Uint64(last[8:])^h)
	return fpMix(h^fpK0^uint64(n), fpK1)
}
