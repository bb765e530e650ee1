package main

import (
	"io"
	"syscall"
	_ "unsafe" // go:linkname
)

// With -spin-control the control goroutine never blocks: it polls stdin (set non-blocking)
// in a loop, so whenever a reader stops the process that goroutine is running on a P (or
// is inside a read that keeps its P), and the next "memstats" runs ReadMemStats on that
// same P unless the scheduler moved it. That makes the caller P observable from outside
// (the P-dependent MemStats fields; memstats-internals.md, pitfall 12).

type spinReader struct{}

func (spinReader) Read(b []byte) (int, error) {
	for {
		n, err := syscall.Read(0, b)
		if err == syscall.EAGAIN || err == syscall.EINTR {
			continue
		}
		if err != nil {
			return 0, err
		}
		if n == 0 {
			return 0, io.EOF
		}
		return n, nil
	}
}

func spinStdin() (io.Reader, error) {
	if err := syscall.SetNonblock(0, true); err != nil {
		return nil, err
	}
	return spinReader{}, nil
}

// procPin returns the id of the P the goroutine runs on (and pins it until procUnpin).
//
//go:linkname procPin runtime.procPin
func procPin() int

//go:linkname procUnpin runtime.procUnpin
func procUnpin()

func currentP() int {
	p := procPin()
	procUnpin()
	return p
}

// memstatsOnP is "memstats" with the caller's P id read right before and right after
// ReadMemStats (equal: it ran on that P).
func memstatsOnP() []byte {
	before := currentP()
	line := memstatsLine()
	after := currentP()
	prefix := []byte(`{"event":"memstats","pBefore":` + itoa(before) + `,"pAfter":` + itoa(after) + `,`)
	return append(prefix, line[len(`{"event":"memstats",`):]...)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for ; n > 0; n /= 10 {
		i--
		b[i] = byte('0' + n%10)
	}
	return string(b[i:])
}
