package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
)

// runtimeEvent is what client_golang's Go collector reports beside MemStats, taken in
// process: the reference for the bridge's go_goroutines, go_threads, go_sched_gomaxprocs_threads,
// go_gc_gogc_percent and go_gc_gomemlimit_bytes.
type runtimeEvent struct {
	Event       string `json:"event"`
	Goroutines  int    `json:"goroutines"`
	Threads     int    `json:"threads"`
	Gomaxprocs  int    `json:"gomaxprocs"`
	GCPercent   int64  `json:"gcPercent"`
	MemoryLimit int64  `json:"memoryLimit"`
}

func runtimeStats() runtimeEvent {
	threads, _ := runtime.ThreadCreateProfile(nil)
	return runtimeEvent{
		Event:       "runtime",
		Goroutines:  runtime.NumGoroutine(),
		Threads:     threads,
		Gomaxprocs:  runtime.GOMAXPROCS(0),
		GCPercent:   gcPercent(),
		MemoryLimit: debug.SetMemoryLimit(-1), // a negative limit only reads it
	}
}

// gcPercent reads GOGC without changing it: runtime/metrics from Go 1.21; before that the
// environment as the runtime parsed it at start (the fixture never calls SetGCPercent).
func gcPercent() int64 {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	if s[0].Value.Kind() == metrics.KindUint64 {
		return int64(int32(s[0].Value.Uint64()))
	}
	switch v := os.Getenv("GOGC"); v {
	case "":
		return 100
	case "off":
		return -1
	default:
		n, err := strconv.Atoi(v)
		if err != nil {
			return 100
		}
		return int64(n)
	}
}
