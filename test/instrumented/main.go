// Command instrumented is a Go program that exports its own metrics the usual way: the
// client_golang default registry (Go and process collectors) on /metrics. Tests read it
// through the bridge too, and compare the bridge's series with the program's own: names,
// types, HELP texts and values. Not a memhog: it only idles.
//
// Usage: instrumented -listen 127.0.0.1:0. It prints {"event":"ready","pid":N,"addr":"HOST:PORT"}
// once it listens, and exits on stdin EOF.
package main

import (
	"encoding/json"
	"flag"
	"io"
	"net"
	"net/http"
	"os"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address of /metrics")
	flag.Parse()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.Handler())
	go func() { _ = http.Serve(ln, mux) }()
	ready, _ := json.Marshal(map[string]interface{}{"event": "ready", "pid": os.Getpid(), "addr": ln.Addr().String()})
	os.Stdout.Write(append(ready, '\n'))
	_, _ = io.Copy(io.Discard, os.Stdin)
}
