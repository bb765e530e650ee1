// Command memhog is the test and demo target of mstat-bridge: a process whose
// Go runtime MemStats the tool reads from the outside through gdb.
//
// It allocates a realistic mix of objects (tiny, small pointer-free and
// pointerful, large) from -workers goroutines while keeping a bounded rolling
// live set, so the heap stays in the range of a few MB to a few tens of MB and
// the garbage collector runs regularly. Its own view of runtime.ReadMemStats
// is available on request (-control), for differential tests.
//
// It must keep compiling with go1.19: standard library only, no min/max,
// clear, range-over-int or other post-1.19 features.
//
// Protocol (stdout is JSON lines only, one write per line, never interleaved):
//
//	{"event":"ready","pid":N,"goVersion":"go1.x.y","counterAddr":"0x...","allocCountAddr":"0x..."}
//	{"event":"heartbeat","counter":N,"allocs":N}      every -heartbeat
//
// With -control, one command per stdin line, one reply line each:
//
//	pause    -> {"event":"paused"}    after every worker has parked
//	resume   -> {"event":"resumed"}
//	memstats -> {"event":"memstats","memstats":<json.Marshal(runtime.MemStats)>}
//	memstats-p -> {"event":"memstats","pBefore":N,"pAfter":N,"memstats":...}: the same, with the
//	            id of the P it ran on read right before and after (see spin.go, -spin-control)
//	runtime  -> {"event":"runtime","goroutines":N,"threads":N,"gomaxprocs":N,"gcPercent":N,"memoryLimit":N}
//	            NumGoroutine, ThreadCreateProfile's count, GOMAXPROCS, GOGC, GOMEMLIMIT (runtime.go)
//	gc       -> {"event":"gc"}        after runtime.GC() returned
//	pprof    -> {"event":"pprof","text":"..."}  pprof.Lookup("heap").WriteTo(w, 1)
//	freeos   -> {"event":"freeos"}   after debug.FreeOSMemory(): the background scavenger then
//	                                 has nothing left to return, so it stops changing HeapReleased
//	gap      -> {"event":"gap","maxGapNs":N}  largest gap between 1 ms progress ticks since the last "gap"
//	burst    -> {"event":"burst"}    workers allocate for ~15 ms, then park again
//	stacks   -> {"event":"stacks"}   after 64 goroutines grew their stacks (4-16 KiB) and exited,
//	                                 leaving freed stacks in the Ps' stack caches
//	crash    -> {"event":"crash","memstatsHex":"<runtime.MemStats as raw bytes, hex>"} then
//	            SIGABRT to itself (with GOTRACEBACK=crash: a core dump). Nothing is allocated
//	            between ReadMemStats and the dump, so the core holds the state it reported.
//	exit     -> {"event":"exit"}      then exit status 0
//	spawn, exec, panic: see harm.go (with -notify, -exec-into, -child-exit)
//	other    -> {"event":"error","message":"..."}
//
// Blank lines are ignored. The process exits with status 0 on -deadline,
// on SIGTERM/SIGINT (unless -notify says otherwise), or (with -control) when stdin reaches EOF; in those cases
// it prints {"event":"exit","reason":"deadline"|"signal"|"eof"} first.
package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// counter is advanced by the progress goroutine on a 1ms ticker (in practice
// 700-1000 times a second), whether or not the workers are paused. Tests read it through gdb (DWARF
// name main.counter) to show that the process keeps making progress.
var counter uint64

// allocCount counts the allocations made by the workers and their helper
// goroutines. It stops moving while the workers are paused.
var allocCount uint64

// sigpipeCount and segvCount count the signals raised on purpose by -signals.
var (
	sigpipeCount uint64
	segvCount    uint64
)

// ---------------------------------------------------------------- output

var outMu sync.Mutex

// writeLine writes one complete line (b must end in '\n') with a single
// write(2) under outMu, so lines never interleave. It does not allocate.
func writeLine(b []byte) {
	outMu.Lock()
	_, _ = os.Stdout.Write(b)
	outMu.Unlock()
}

// reply writes a command's answer from the control goroutine. It first grows
// that goroutine's stack to its working size: otherwise the next "memstats"
// could grow it inside ReadMemStats' caller, moving stacks between the stack
// caches after an outside reader looked and before ReadMemStats ran.
func reply(b []byte) {
	warmStack()
	writeLine(b)
}

func replyEmit(v interface{}) {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(event{Event: "error", Message: "marshal: " + err.Error()})
	}
	reply(append(b, '\n'))
}

// warmStack needs ~32 KiB of stack (more than ReadMemStats and the JSON encoder
// use) and allocates nothing on the heap.
func warmStack() {
	_ = grow(100, 1)
}

func emit(v interface{}) {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(event{Event: "error", Message: "marshal: " + err.Error()})
	}
	writeLine(append(b, '\n'))
}

type event struct {
	Event   string `json:"event"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
}

type readyEvent struct {
	Event          string `json:"event"`
	PID            int    `json:"pid"`
	GoVersion      string `json:"goVersion"`
	CounterAddr    string `json:"counterAddr"`
	AllocCountAddr string `json:"allocCountAddr"`
}

func addrOf(p *uint64) string {
	return fmt.Sprintf("0x%x", uintptr(unsafe.Pointer(p)))
}

// ------------------------------------------------------------------ gate

// gate parks the workers. pause() returns only once every worker has parked;
// a worker parks at the top of its loop, after its helper goroutines have
// finished, so nothing but the runtime itself allocates while paused.
type gate struct {
	mu      sync.Mutex
	cond    sync.Cond
	paused  bool
	parked  int
	members int
}

func newGate(members int, paused bool) *gate {
	g := &gate{members: members, paused: paused}
	g.cond.L = &g.mu
	return g
}

// checkpoint blocks the calling worker while the gate is paused.
func (g *gate) checkpoint() {
	g.mu.Lock()
	if g.paused {
		g.parked++
		g.cond.Broadcast()
		for g.paused {
			g.cond.Wait()
		}
		g.parked--
	}
	g.mu.Unlock()
}

func (g *gate) pause() {
	g.mu.Lock()
	g.paused = true
	for g.parked < g.members {
		g.cond.Wait()
	}
	g.mu.Unlock()
}

func (g *gate) resume() {
	g.mu.Lock()
	g.paused = false
	g.cond.Broadcast()
	g.mu.Unlock()
}

// --------------------------------------------------------------- workers

const (
	batch      = 24   // allocations between two sleeps
	liveSlots  = 2048 // rolling live set of small objects, per worker
	largeSlots = 6    // rolling live set of large objects, per worker
)

// smallSizes spans the runtime's small size classes (up to 32 KiB).
var smallSizes = [...]int{
	16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240,
	256, 288, 320, 352, 384, 416, 448, 480, 512, 576, 640, 704, 768, 896,
	1024, 1152, 1280, 1408, 1536, 1792, 2048, 2304, 2688, 3072, 3200, 3456,
	4096, 4864, 5376, 6144, 6528, 6784, 6912, 8192, 9472, 9728, 10240, 10880,
	12288, 13568, 14336, 16384, 18432, 19072, 20480, 21760, 24576, 27264,
	28672, 32768,
}

type node struct {
	left, right *node
	payload     []byte
	name        string
	vals        [4]uint64
}

type record struct {
	id    int
	tags  []string
	attrs map[string]int
	next  *record
}

func count(n int) { atomic.AddUint64(&allocCount, uint64(n)) }

// smallSize picks a size class, biased towards the small end, with a random
// offset inside the class.
func smallSize(rng *rand.Rand) int {
	var i int
	switch r := rng.Intn(100); {
	case r < 55:
		i = rng.Intn(17) // 16..256
	case r < 90:
		i = 17 + rng.Intn(26) // 288..4096
	default:
		i = 43 + rng.Intn(len(smallSizes)-43) // 4864..32768
	}
	s := smallSizes[i]
	if i > 0 {
		prev := smallSizes[i-1]
		s = prev + 1 + rng.Intn(s-prev)
	}
	return s
}

// tree builds a small, bounded pointer graph of n nodes.
func tree(rng *rand.Rand, n int) *node {
	if n <= 0 {
		return nil
	}
	nd := &node{payload: make([]byte, 8+rng.Intn(120)), name: strconv.Itoa(rng.Int())}
	nd.vals[0] = uint64(n)
	count(3)
	l := (n - 1) / 2
	nd.left = tree(rng, l)
	nd.right = tree(rng, n-1-l)
	return nd
}

// allocOne performs one allocation "event" and returns the object to keep.
func allocOne(rng *rand.Rand) interface{} {
	switch r := rng.Intn(1000); {
	case r < 250: // tiny, pointer-free (< 16 B, served by the tiny allocator)
		count(1)
		return make([]byte, 1+rng.Intn(15))
	case r < 330: // tiny strings
		count(1)
		return strconv.Itoa(rng.Intn(1 << 30))
	case r < 600: // small, pointer-free
		count(1)
		if rng.Intn(2) == 0 {
			return make([]byte, smallSize(rng))
		}
		return make([]uint64, (smallSize(rng)+7)/8)
	case r < 750: // small, pointerful slices
		count(1)
		n := smallSize(rng) / 8
		if n < 2 {
			n = 2
		}
		s := make([]*node, n)
		s[0] = &node{}
		count(1)
		return s
	case r < 900: // small pointer graphs
		return tree(rng, 1+rng.Intn(8))
	case r < 960: // records with strings and maps
		rec := &record{id: rng.Int(), tags: make([]string, 1+rng.Intn(6))}
		for i := range rec.tags {
			rec.tags[i] = "tag-" + strconv.Itoa(rng.Intn(100000))
		}
		rec.attrs = make(map[string]int, 1+rng.Intn(12))
		for i := 0; i < 4; i++ {
			rec.attrs[rec.tags[rng.Intn(len(rec.tags))]] = i
		}
		rec.next = &record{id: rec.id + 1}
		count(4 + 2*len(rec.tags))
		return rec
	default: // growing a slice through several size classes
		var s []int64
		for i, n := 0, 16+rng.Intn(1500); i < n; i++ {
			s = append(s, int64(i))
		}
		count(1)
		return s
	}
}

// grow recurses with a 256-byte frame so the goroutine stack has to grow.
//
//go:noinline
func grow(depth int, salt byte) uint64 {
	var buf [256]byte
	buf[depth%len(buf)] = salt
	if depth <= 0 {
		return uint64(buf[0])
	}
	return grow(depth-1, salt+1) + uint64(buf[(depth*7)%len(buf)])
}

// spawnStackGrowers starts a few short-lived goroutines that grow their
// stacks and waits for all of them before returning.
func spawnStackGrowers(rng *rand.Rand, live []interface{}) {
	n := 1 + rng.Intn(3)
	results := make(chan []uint64, n)
	count(1)
	for i := 0; i < n; i++ {
		depth := 32 + rng.Intn(1000)
		go func(depth int) {
			v := grow(depth, byte(depth))
			out := make([]uint64, 1+depth/16)
			out[0] = v
			count(1)
			results <- out
		}(depth)
	}
	for i := 0; i < n; i++ {
		live[rng.Intn(len(live))] = <-results
	}
}

func worker(id int, g *gate) {
	rng := rand.New(rand.NewSource(time.Now().UnixNano() + int64(id)*7919))
	live := make([]interface{}, liveSlots)
	large := make([][]byte, largeSlots)
	for {
		g.checkpoint()
		for j := 0; j < batch; j++ {
			live[rng.Intn(len(live))] = allocOne(rng)
		}
		if rng.Intn(40) == 0 { // large objects (> 32 KiB)
			b := make([]byte, 32<<10+1+rng.Intn(480<<10))
			b[0], b[len(b)-1] = 1, 1
			large[rng.Intn(len(large))] = b
			count(1)
		}
		if rng.Intn(200) == 0 {
			spawnStackGrowers(rng, live)
		}
		time.Sleep(time.Millisecond)
	}
}

// ------------------------------------------------------ other goroutines

// maxGapNs is the largest gap between two progress ticks since the last "gap"
// command: the target's own view of how long it was kept from running (a
// debugger's stop, an attach), for benchmarks and tests.
var maxGapNs int64

func progress() {
	t := time.NewTicker(time.Millisecond)
	last := time.Now()
	for range t.C {
		now := time.Now() // when this goroutine ran, not when the tick was due
		atomic.AddUint64(&counter, 1)
		gap := int64(now.Sub(last))
		for old := atomic.LoadInt64(&maxGapNs); gap > old && !atomic.CompareAndSwapInt64(&maxGapNs, old, gap); old = atomic.LoadInt64(&maxGapNs) {
		}
		last = now
	}
}

type gapEvent struct {
	Event    string `json:"event"`
	MaxGapNs int64  `json:"maxGapNs"`
}

// heartbeats does not allocate per beat, so it can keep running while the
// workers are paused without disturbing MemStats.
func heartbeats(every time.Duration) {
	buf := make([]byte, 0, 128)
	t := time.NewTicker(every)
	for range t.C {
		buf = append(buf[:0], `{"event":"heartbeat","counter":`...)
		buf = strconv.AppendUint(buf, atomic.LoadUint64(&counter), 10)
		buf = append(buf, `,"allocs":`...)
		buf = strconv.AppendUint(buf, atomic.LoadUint64(&allocCount), 10)
		buf = append(buf, "}\n"...)
		writeLine(buf)
	}
}

// nilTarget is always nil; writing through it faults (SIGSEGV), which the
// runtime turns into a recoverable panic.
var nilTarget *node

//go:noinline
func nilDeref() (recovered bool) {
	defer func() {
		if recover() != nil {
			recovered = true
		}
	}()
	nilTarget.vals[1] = 1
	return false
}

// raiseSignals raises a SIGPIPE (write to a pipe whose read end is closed;
// the Go runtime ignores SIGPIPE for fds other than 1 and 2 and the write
// fails with EPIPE) and a SIGSEGV (recovered nil dereference) every 50ms.
// It does not allocate per round, and it keeps running while paused.
func raiseSignals() {
	var fds [2]int
	if err := syscall.Pipe(fds[:]); err != nil {
		emit(event{Event: "error", Message: "pipe: " + err.Error()})
		return
	}
	_ = syscall.Close(fds[0])
	one := []byte{'x'}
	t := time.NewTicker(50 * time.Millisecond)
	for range t.C {
		if _, err := syscall.Write(fds[1], one); err == syscall.EPIPE {
			atomic.AddUint64(&sigpipeCount, 1)
		}
		if nilDeref() {
			atomic.AddUint64(&segvCount, 1)
		}
	}
}

// crashStats and crashLine are static so that the crash command allocates nothing.
var (
	crashStats runtime.MemStats
	crashLine  [2*unsafe.Sizeof(runtime.MemStats{}) + 64]byte
)

// crash reports ReadMemStats as raw bytes and dumps core without allocating in between.
func crash() {
	runtime.ReadMemStats(&crashStats)
	raw := (*[unsafe.Sizeof(runtime.MemStats{})]byte)(unsafe.Pointer(&crashStats))
	n := copy(crashLine[:], `{"event":"crash","memstatsHex":"`)
	n += hex.Encode(crashLine[n:], raw[:])
	n += copy(crashLine[n:], "\"}\n")
	syscall.Write(1, crashLine[:n])
	syscall.Kill(syscall.Getpid(), syscall.SIGABRT)
	select {}
}

func memstatsLine() []byte {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	raw, err := json.Marshal(m)
	if err != nil {
		b, _ := json.Marshal(event{Event: "error", Message: "marshal memstats: " + err.Error()})
		return append(b, '\n')
	}
	line := make([]byte, 0, len(raw)+40)
	line = append(line, `{"event":"memstats","memstats":`...)
	line = append(line, raw...)
	return append(line, "}\n"...)
}

type pprofEvent struct {
	Event string `json:"event"`
	Text  string `json:"text"`
}

// pprofHeap returns the text heap profile of /debug/pprof/heap?debug=1, which
// ends with the "# runtime.MemStats" block (pprof reads MemStats first).
func pprofHeap() interface{} {
	var buf bytes.Buffer
	if err := pprof.Lookup("heap").WriteTo(&buf, 1); err != nil {
		return event{Event: "error", Message: "pprof: " + err.Error()}
	}
	return pprofEvent{Event: "pprof", Text: buf.String()}
}

// stacks runs goroutines that grow their stacks to 4-16 KiB and exit, on
// several Ps, so freed stacks land in the per-P stack caches (the stack-cache
// correction of the reader is exercised by this).
func stacks() {
	var wg sync.WaitGroup
	for i := 0; i < 64; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			grow(8+(i%5)*12, byte(i))
		}(i)
	}
	wg.Wait()
}

// control serves stdin commands; it reports "exit" or "eof" on done.
//
// Commands are matched on the scanner's bytes without converting them to a
// string, so nothing is allocated between reading the "memstats" line and
// runtime.ReadMemStats (the reply's JSON encoding allocates afterwards).
func control(g *gate, done chan<- string, in io.Reader) {
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		cmd := bytes.TrimSpace(sc.Bytes())
		switch {
		case len(cmd) == 0:
			continue
		case string(cmd) == "memstats":
			reply(memstatsLine())
		case string(cmd) == "runtime":
			replyEmit(runtimeStats())
		case string(cmd) == "memstats-p":
			reply(memstatsOnP())
		case string(cmd) == "pause":
			g.pause()
			replyEmit(event{Event: "paused"})
		case string(cmd) == "resume":
			g.resume()
			replyEmit(event{Event: "resumed"})
		case string(cmd) == "gc":
			runtime.GC()
			replyEmit(event{Event: "gc"})
		case string(cmd) == "pprof":
			replyEmit(pprofHeap())
		case string(cmd) == "freeos":
			debug.FreeOSMemory()
			replyEmit(event{Event: "freeos"})
		case string(cmd) == "gap":
			replyEmit(gapEvent{Event: "gap", MaxGapNs: atomic.SwapInt64(&maxGapNs, 0)})
		case string(cmd) == "burst":
			g.resume()
			time.Sleep(15 * time.Millisecond)
			g.pause()
			replyEmit(event{Event: "burst"})
		case string(cmd) == "stacks":
			stacks()
			replyEmit(event{Event: "stacks"})
		case string(cmd) == "crash":
			crash()
		case string(cmd) == "spawn":
			replyEmit(spawn())
		case string(cmd) == "exec":
			replyEmit(execSelf())
		case string(cmd) == "panic":
			panic("memhog: panic on request")
		case bytes.HasPrefix(cmd, []byte("procs ")):
			// runtime.GOMAXPROCS(n) between samples: allp and the set of Ps change.
			n, err := strconv.Atoi(string(bytes.TrimSpace(cmd[len("procs "):])))
			if err != nil || n < 1 {
				replyEmit(event{Event: "error", Message: "procs needs a positive number"})
				continue
			}
			old := runtime.GOMAXPROCS(n)
			replyEmit(event{Event: "procs", Message: fmt.Sprintf("%d->%d", old, n)})
		case string(cmd) == "exit":
			done <- "exit"
			select {} // main prints the reply and exits
		default:
			replyEmit(event{Event: "error", Message: fmt.Sprintf("unknown command %q", cmd)})
		}
	}
	done <- "eof"
}

// ------------------------------------------------------------------ main

func main() {
	// Linking runtime/pprof (for the "pprof" command) keeps runtime.MemProfile
	// reachable, so the linker no longer sets runtime.disableMemoryProfiling and
	// heap profiling would sample the workers' allocations at the default rate
	// (stack unwinding in mallocgc, BuckHashSys growing with every new stack).
	// Turn it off again as early as a program can. Allocations made by the
	// runtime before main may still have been sampled, so BuckHashSys includes
	// the profiling hash table (~1.4 MB) unlike builds without runtime/pprof.
	// The "pprof" reply's heap records are (nearly) empty; its
	// "# runtime.MemStats" block is complete.
	runtime.MemProfileRate = 0
	deadline := flag.Duration("deadline", 2*time.Minute, "exit with status 0 after this long (0 = never)")
	workers := flag.Int("workers", 4, "number of allocating goroutines")
	heartbeat := flag.Duration("heartbeat", 50*time.Millisecond, "heartbeat interval (0 = off)")
	ctl := flag.Bool("control", false, "read commands from stdin; exit when stdin reaches EOF")
	spin := flag.Bool("spin-control", false, "with -control: poll stdin without blocking, so the control goroutine stays on its P (burns a CPU)")
	signals := flag.Bool("signals", false, "raise a SIGPIPE and a recovered SIGSEGV every 50ms")
	startPaused := flag.Bool("start-paused", false, "start with the workers paused")
	flag.Parse()
	if *workers < 0 || flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}

	if *childExit >= 0 {
		childMain(*childExit)
	}
	sigc := make(chan os.Signal, 1)
	if *notifyFlag == "" {
		signal.Notify(sigc, syscall.SIGTERM, syscall.SIGINT)
	} else {
		sigs, err := parseNotify(*notifyFlag)
		if err != nil {
			fmt.Fprintln(os.Stderr, "memhog:", err)
			os.Exit(2)
		}
		reportSignals(sigs)
	}
	var deadlineC <-chan time.Time
	if *deadline > 0 {
		deadlineC = time.After(*deadline)
	}

	// Build encoding/json's encoder for MemStats now (a few hundred one-time
	// allocations) rather than in the first "memstats" reply.
	_, _ = json.Marshal(runtime.MemStats{})

	g := newGate(*workers, *startPaused)
	go progress()
	for i := 0; i < *workers; i++ {
		go worker(i, g)
	}
	if *signals {
		go raiseSignals()
	}

	emit(readyEvent{
		Event:          "ready",
		PID:            os.Getpid(),
		GoVersion:      runtime.Version(),
		CounterAddr:    addrOf(&counter),
		AllocCountAddr: addrOf(&allocCount),
	})
	if *heartbeat > 0 {
		go heartbeats(*heartbeat)
	}
	done := make(chan string, 1)
	if *ctl {
		var in io.Reader = os.Stdin
		if *spin {
			r, err := spinStdin()
			if err != nil {
				fmt.Fprintln(os.Stderr, "memhog: -spin-control:", err)
				os.Exit(2)
			}
			in = r
		}
		go control(g, done, in)
	}

	var reason string
	select {
	case <-deadlineC:
		reason = "deadline"
	case <-sigc:
		reason = "signal"
	case reason = <-done:
		if reason == "exit" {
			reason = "" // reply to the exit command: exactly {"event":"exit"}
		}
	}
	emit(event{Event: "exit", Reason: reason})
	os.Exit(0)
}
