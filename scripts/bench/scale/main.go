// scale: a Go program shaped like a busy service, for scripts/bench-scale.ts (built by it; not a test fixture). It holds a live
// heap of small objects built on every P, parks many goroutines (each with a grown stack),
// and keeps one goroutine allocating, so that every P has cached spans and stacks: the state
// whose reading cost grows with GOMAXPROCS.
//
// Prints {"event":"ready",...} on stdout. Commands on stdin, one per line:
//
//	procs N   runtime.GOMAXPROCS(N); replies {"event":"procs","old":M,"new":N}
//	exit      exits with status 0 (so does EOF on stdin)
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

var (
	live    [][][]byte
	liveMu  sync.Mutex
	parkC   = make(chan struct{})
	sizes   = []int{16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512}
	churned uint64
	// counter is advanced on a 1 ms ticker: the fixture checks find it by its symbol name,
	// and it shows the program makes progress.
	counter uint64
)

func progress() {
	for range time.Tick(time.Millisecond) {
		atomic.AddUint64(&counter, 1)
	}
}

// build allocates about bytes of small objects and keeps them.
func build(bytes int, seed int) {
	var mine [][]byte
	for n, i := 0, seed; n < bytes; i++ {
		b := make([]byte, sizes[i%len(sizes)])
		n += len(b)
		mine = append(mine, b)
	}
	liveMu.Lock()
	live = append(live, mine)
	liveMu.Unlock()
}

// park grows the stack a little, then blocks for good.
func park(depth int) byte {
	var pad [256]byte
	if depth > 0 {
		pad[depth%256] = park(depth - 1)
		return pad[depth%256]
	}
	<-parkC
	return pad[0]
}

// churn allocates short-lived objects forever: one goroutine, so GC cycles keep coming.
func churn() {
	ring := make([][]byte, 4096)
	for i := 0; ; i++ {
		ring[i%len(ring)] = make([]byte, sizes[i%len(sizes)])
		churned++
		if i%4096 == 0 {
			time.Sleep(time.Millisecond)
		}
	}
}

func main() {
	procs := flag.Int("procs", runtime.GOMAXPROCS(0), "GOMAXPROCS")
	heapMiB := flag.Int("heap", 64, "live heap to build, MiB, in small objects")
	goroutines := flag.Int("goroutines", 1000, "goroutines parked with grown stacks")
	alloc := flag.Bool("alloc", true, "keep one goroutine allocating")
	deadline := flag.Duration("deadline", 30*time.Minute, "exit after this long")
	flag.Parse()
	if *procs < 1 || *heapMiB < 0 || *goroutines < 0 || flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}
	runtime.GOMAXPROCS(*procs)

	// One builder per P, so every P's mcache holds spans.
	var wg sync.WaitGroup
	per := (*heapMiB << 20) / *procs
	for i := 0; i < *procs; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			build(per, i)
		}(i)
	}
	wg.Wait()
	for i := 0; i < *goroutines; i++ {
		go park(4 + i%24)
	}
	if *alloc {
		go churn()
	}
	go progress()
	fmt.Printf("{\"event\":\"ready\",\"pid\":%d,\"procs\":%d,\"heapMiB\":%d,\"goroutines\":%d,\"goVersion\":%q}\n", os.Getpid(), runtime.GOMAXPROCS(0), *heapMiB, *goroutines, runtime.Version())

	go func() {
		time.Sleep(*deadline)
		os.Exit(0)
	}()
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 0:
		case f[0] == "exit":
			os.Exit(0)
		case f[0] == "procs" && len(f) == 2:
			n, err := strconv.Atoi(f[1])
			if err != nil || n < 1 {
				fmt.Printf("{\"event\":\"error\",\"message\":%q}\n", "procs needs a positive number")
				continue
			}
			old := runtime.GOMAXPROCS(n)
			fmt.Printf("{\"event\":\"procs\",\"old\":%d,\"new\":%d}\n", old, n)
		default:
			fmt.Printf("{\"event\":\"error\",\"message\":%q}\n", "unknown command "+f[0])
		}
	}
	os.Exit(0)
}
