// Package bench holds amane's measurements beside other resolvers: the load
// test (cmd/loadtest, run by run.sh), its synthetic upstream (fakeupstream,
// cmd/fakeupstream), and a conformance test that asks amane and unbound the
// same questions through dig and kdig. See README.md.
package bench
