// Package blockpage is what a child sees when a blocked name is answered
// with the appliance's address (block_mode = "address"): a page, in the
// visitor's language (English, French or Arabic, right to left), that says
// what was blocked and why for this device right now (a category, an app,
// bedtime until 07:00, today's time used up, a pause), offers to ask a
// parent, and always says how to reach the helpline.
//
// It is served by the console's HTTP server for every request whose Host
// is not one of the console's own names: a blocked name never reaches the
// console. It sets no cookie and loads nothing from outside the appliance.
// Over HTTPS a browser cannot be shown it (the certificate cannot match):
// nothing listens on port 443, so the connection is refused at once rather
// than left to hang, and NXDOMAIN remains the default block mode.
package blockpage
