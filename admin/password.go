package admin

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/amane-dns/amane/internal/web"
)

// PasswordFile is the file in state_dir that holds the console's password
// hash. It is a file of its own, not a key in the bbolt state, because
// `amane password` runs while the daemon holds bbolt's lock; the daemon
// reads it at each login, so a new password needs no restart.
const PasswordFile = "admin.password"

// MinPassword is the shortest password accepted, in characters.
const MinPassword = 8

// PasswordPath is where the hash lives for stateDir.
func PasswordPath(stateDir string) string { return filepath.Join(stateDir, PasswordFile) }

// checkNewPassword says what is wrong with a password a parent chose.
func checkNewPassword(pw string) error {
	if utf8.RuneCountInString(pw) < MinPassword {
		return fmt.Errorf("a password needs at least %d characters", MinPassword)
	}
	return nil
}

// SetPassword hashes password (argon2id) and writes the hash to path
// atomically with mode 0600: a power cut leaves the old password or the
// new one, and no other user of the machine reads it.
func SetPassword(path, password string) error {
	if err := checkNewPassword(password); err != nil {
		return err
	}
	hash, err := web.HashPassword(password)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".admin-password-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	err = tmp.Chmod(0o600)
	if err == nil {
		err = giveToStateOwner(tmp, filepath.Dir(path))
	}
	if err == nil {
		_, err = tmp.WriteString(hash + "\n")
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// readHash returns the hash in path, "" when no password was set.
func readHash(path string) (string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// fingerprint names a password hash without revealing it: a session
// records the fingerprint of the password it was opened with, so that a
// new password ends every older session.
func fingerprint(hash string) string {
	sum := sha256.Sum256([]byte(hash))
	return hex.EncodeToString(sum[:8])
}
