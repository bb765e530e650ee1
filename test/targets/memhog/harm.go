package main

// What the target-harm tests need from a target (test/integration/harm-*.test.ts): its own
// signal handlers, children started with os/exec, replacing itself with exec, and dying in
// the ways a real program dies.
//
//	-notify LIST   handle these signals with signal.Notify and report each one instead of
//	               exiting: {"event":"signal","signo":N}. LIST is comma-separated names
//	               without SIG (TERM, INT, HUP, QUIT, USR1, USR2, PIPE, ALRM, WINCH, CHLD)
//	               or numbers (40: a real-time signal). "none": no handler at all, so every
//	               signal has its default action (SIGTERM ends the process, SIGQUIT dumps
//	               goroutines and exits 2). Unset: SIGTERM and SIGINT end it with status 0.
//	-exec-into P   the program the "exec" command replaces this one with (same flags)
//	-child-exit K  child mode: allocate for ~50 ms, print the TracerPid of its own
//	               /proc/self/status as {"event":"child","tracer":N}, exit with status K
//
// Commands (with -control):
//
//	spawn -> {"event":"spawned","children":[{"kind":"sh"|"go","want":K,"exit":K,"tracer":N,"ran":true}...]}
//	         after 8 children (4 shells, 4 Go children: this binary with -child-exit) ran
//	         concurrently and were waited for
//	exec  -> {"event":"exec","path":P} then syscall.Exec(P, same args): the new image prints "ready"
//	panic -> an unrecovered panic: goroutine dump on stderr, exit status 2

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

var (
	notifyFlag = flag.String("notify", "", "signals to handle and report instead of exiting (comma-separated: TERM,INT,...,40), or none")
	execInto   = flag.String("exec-into", "", "the program the exec command replaces this one with")
	childExit  = flag.Int("child-exit", -1, "child mode: report TracerPid, then exit with this status")
)

var signalNames = map[string]syscall.Signal{
	"TERM": syscall.SIGTERM, "INT": syscall.SIGINT, "HUP": syscall.SIGHUP, "QUIT": syscall.SIGQUIT,
	"USR1": syscall.SIGUSR1, "USR2": syscall.SIGUSR2, "PIPE": syscall.SIGPIPE, "ALRM": syscall.SIGALRM,
	"WINCH": syscall.SIGWINCH, "CHLD": syscall.SIGCHLD,
}

// parseNotify turns -notify into signals; none is an empty, non-nil list.
func parseNotify(list string) ([]os.Signal, error) {
	if list == "none" {
		return []os.Signal{}, nil
	}
	var out []os.Signal
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimPrefix(strings.TrimSpace(name), "SIG")
		if s, ok := signalNames[name]; ok {
			out = append(out, s)
			continue
		}
		n, err := strconv.Atoi(name)
		if err != nil || n < 1 || n > 64 {
			return nil, fmt.Errorf("-notify: unknown signal %q", name)
		}
		out = append(out, syscall.Signal(n))
	}
	return out, nil
}

type signalEvent struct {
	Event string `json:"event"`
	Signo int    `json:"signo"`
}

// reportSignals reports every signal in sigs as it arrives; none of them ends the program.
func reportSignals(sigs []os.Signal) {
	if len(sigs) == 0 {
		return
	}
	c := make(chan os.Signal, 64)
	signal.Notify(c, sigs...)
	go func() {
		for s := range c {
			emit(signalEvent{Event: "signal", Signo: int(s.(syscall.Signal))})
		}
	}()
}

// childMain is the whole program in -child-exit mode.
func childMain(status int) {
	end := time.Now().Add(50 * time.Millisecond)
	var keep [][]byte
	for time.Now().Before(end) {
		keep = append(keep, make([]byte, 64<<10))
		if len(keep) > 16 {
			keep = keep[1:]
		}
		runtime.Gosched()
	}
	emit(map[string]interface{}{"event": "child", "tracer": tracerPid("/proc/self/status")})
	os.Exit(status)
}

func tracerPid(statusFile string) int {
	b, err := os.ReadFile(statusFile)
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v := strings.TrimPrefix(line, "TracerPid:"); v != line {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return -1
			}
			return n
		}
	}
	return -1
}

type childResult struct {
	Kind   string `json:"kind"`
	Want   int    `json:"want"`
	Exit   int    `json:"exit"`
	Tracer int    `json:"tracer"`
	Ran    bool   `json:"ran"`
	Error  string `json:"error,omitempty"`
}

// spawn runs 4 shell and 4 Go children at once and reports how each ended.
func spawn() interface{} {
	self, err := os.Executable()
	if err != nil {
		return event{Event: "error", Message: "executable: " + err.Error()}
	}
	results := make([]childResult, 8)
	var wg sync.WaitGroup
	for i := range results {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			want := 3 + i
			r := childResult{Kind: "sh", Want: want, Tracer: -1}
			var cmd *exec.Cmd
			if i%2 == 0 {
				// $$ is the shell itself: its TracerPid, then its exit status.
				cmd = exec.Command("/bin/sh", "-c", `sed -n 's/^TracerPid:[[:space:]]*//p' /proc/$$/status; exit `+strconv.Itoa(want))
			} else {
				r.Kind = "go"
				cmd = exec.Command(self, "-child-exit", strconv.Itoa(want))
			}
			out, err := cmd.Output()
			if ee, ok := err.(*exec.ExitError); ok {
				r.Exit = ee.ExitCode()
			} else if err != nil {
				r.Error = err.Error()
				r.Exit = -1
			}
			text := strings.TrimSpace(string(out))
			if r.Kind == "go" {
				var e struct {
					Tracer *int `json:"tracer"`
				}
				if json.Unmarshal([]byte(text), &e) == nil && e.Tracer != nil {
					r.Tracer, r.Ran = *e.Tracer, true
				}
			} else if n, err := strconv.Atoi(text); err == nil {
				r.Tracer, r.Ran = n, true
			}
			results[i] = r
		}(i)
	}
	wg.Wait()
	return map[string]interface{}{"event": "spawned", "children": results}
}

// execSelf replaces the process image with -exec-into, keeping the arguments.
func execSelf() interface{} {
	if *execInto == "" {
		return event{Event: "error", Message: "exec: no -exec-into"}
	}
	replyEmit(map[string]interface{}{"event": "exec", "path": *execInto})
	err := syscall.Exec(*execInto, append([]string{*execInto}, os.Args[1:]...), os.Environ())
	return event{Event: "error", Message: "exec: " + err.Error()}
}
