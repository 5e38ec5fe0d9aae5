// Package web is what the appliance's parents' console (admin), the
// helpline's operators' console and the block page share, so that neither
// console copies from the other:
//
//   - i18n: message catalogs for English, French and Arabic with CLDR plural
//     rules, language negotiation, right-to-left direction, and clock,
//     weekday and number formatting (Catalogs, Localizer, PluralForm);
//   - pages: html/template with a small func map and a base layout, and
//     static assets embedded and served under their content hash
//     (Renderer, Assets);
//   - security: sessions kept in bbolt (Sessions), argon2id passwords
//     (HashPassword), login throttling (Throttle), CSRF and Origin checks,
//     the Host allow-list that defeats DNS rebinding, security headers, and
//     route groups whose authorization is applied once (Router);
//   - forms: errors that name their field, shown next to it on a page and
//     returned as {"field": ..., "error": ...} by a JSON API (FieldErrors).
//
// The package holds no global state: every value is built by its New
// function and passed in. Package webtest proves a handler's routes refuse
// a request without a session; package browsertest drives a real Chromium.
package web
