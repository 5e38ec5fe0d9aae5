// Package admin is the parents' console: the web pages (Home, Devices,
// Profiles, Why, Report, System) and the JSON API under /api/v1/ that a
// parent uses from a phone on the home network, in English, French and
// Arabic. It owns the routes, the pages' data and the login; every
// operation is a method of appliance.Appliance, which the pages and the
// API call alike, so the console has no rules of its own. What a parent
// changes is saved by Appliance.SaveConsole to state_dir/console.toml.
//
// The security rules are internal/web's: a password hashed with argon2id
// (in state_dir/admin.password, set by `amane password`), sessions in the
// appliance's bbolt file, CSRF checks on every state change, a Host
// allow-list against DNS rebinding, login throttling and a strict
// Content-Security-Policy.
package admin

import "github.com/amane-dns/amane/admin/adminconfig"

// Config is the [admin] section of the configuration file (an alias, so
// that configs composes it without importing the console).
type Config = adminconfig.Config
