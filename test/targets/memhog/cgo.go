//go:build cgo_fixture

// Built only with -tags cgo_fixture and CGO_ENABLED=1: links a trivial C
// function so the binary is a dynamically linked cgo program.

package main

/*
static int mstat_fixture_answer(void) { return 42; }
*/
import "C"

// cgoAnswer keeps the C call observable; it is 42 after init.
var cgoAnswer int

func init() {
	cgoAnswer = int(C.mstat_fixture_answer())
}
