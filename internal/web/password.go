package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Passwords are hashed with argon2id (RFC 9106) rather than bcrypt: it is
// memory-hard, so a stolen state file is costly to attack with GPUs, and
// it hashes the whole password where bcrypt silently drops bytes past 72
// (a long Arabic pass-phrase is 2 bytes a letter). golang.org/x/crypto is
// already a dependency. The cost is OWASP's lowest argon2id setting,
// 19 MiB and 2 passes, about 50 ms on a Pi Zero 2 W; hashSlots bounds how
// many run at once so that a flood of logins cannot exhaust a 512 MB
// router's memory (the throttle stops the flood sooner still).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024 // KiB
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
	hashSlots    = 2
)

// hashSem admits hashSlots hashes at once. It is the one package-level
// value: a bound on the process's memory, not state anything reads.
var hashSem = make(chan struct{}, hashSlots)

func argonKey(password string, salt []byte, t, m uint32, p uint8, n uint32) []byte {
	hashSem <- struct{}{}
	defer func() { <-hashSem }()
	return argon2.IDKey([]byte(password), salt, t, m, p, n)
}

// HashPassword returns password's argon2id hash in the PHC string format
// ("$argon2id$v=19$m=19456,t=2,p=1$salt$key"), which records its own cost
// so that a later, dearer setting still verifies old hashes.
func HashPassword(password string) (string, error) {
	if password == "" {
		return "", errors.New("the password is empty")
	}
	salt := make([]byte, argonSaltLen)
	rand.Read(salt)
	key := argonKey(password, salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches hash (from HashPassword).
// A malformed hash is an error, not a mismatch, so that a damaged file is
// told rather than taken for a wrong password.
func CheckPassword(hash, password string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return false, errors.New("the password hash is not an argon2id PHC string")
	}
	var v int
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false, fmt.Errorf("the password hash has version %q, want v=%d", parts[2], argon2.Version)
	}
	// Bounds on the cost: a damaged hash must not make a login allocate
	// gigabytes on a router.
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || t == 0 || t > 16 || p == 0 || p > 8 || m < 8 || m > 256*1024 {
		return false, fmt.Errorf("the password hash has parameters %q", parts[3])
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	key, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(key) == 0 || len(key) > 128 {
		return false, errors.New("the password hash's salt or key is not base64")
	}
	got := argonKey(password, salt, t, m, p, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}
