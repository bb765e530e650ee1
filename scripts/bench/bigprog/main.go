// A large Go program for the one-shot benchmark (scripts/bench-oneshot.ts): it links a big
// part of the standard library (HTTP/TLS, SQL, encoders, templates, images, archives, the Go
// parser and type checker, debug/*) plus gRPC and the Prometheus client, as services do, built
// with uncompressed DWARF, so its binary and DWARF
// are the size of a real service (≥ 30 MB). It allocates a little, prints a ready line and
// waits. Not a test fixture.
package main

import (
	"archive/tar"
	"archive/zip"
	"compress/bzip2"
	"compress/flate"
	"compress/gzip"
	"compress/lzw"
	"compress/zlib"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"debug/dwarf"
	"debug/elf"
	"debug/gosym"
	"debug/macho"
	"debug/pe"
	"encoding/asn1"
	"encoding/csv"
	"encoding/gob"
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"flag"
	"fmt"
	"go/ast"
	"go/build"
	"go/doc"
	"go/format"
	"go/importer"
	"go/parser"
	"go/printer"
	"go/types"
	"html/template"
	"image/gif"
	"image/jpeg"
	"image/png"
	"log/slog"
	"math/big"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/http/httputil"
	"net/http/pprof"
	"net/mail"
	"net/rpc"
	"net/rpc/jsonrpc"
	"net/smtp"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"text/tabwriter"
	texttemplate "text/template"
	"time"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha512"
	"crypto/ecdh"
	"encoding/base32"
	"go/constant"
	"go/scanner"
	"image/draw"
	"index/suffixarray"
	"net/netip"
	runtimepprof "runtime/pprof"
	"runtime/trace"
	"testing/fstest"
	"expvar"
	"net/http/cgi"
	"net/http/fcgi"
	tscanner "text/scanner"
	"hash/crc64"
	"unicode/utf16"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	"google.golang.org/grpc/reflection"
)

// linked holds function and method values: the linker keeps each and all it reaches.
var linked = [...]any{
	http.ListenAndServe, http.ListenAndServeTLS, http.Get, (*http.Client).Do, (*http.Transport).RoundTrip, (*http.Server).Serve,
	httputil.DumpRequest, httputil.NewSingleHostReverseProxy, httptest.NewServer, cookiejar.New, pprof.Index, pprof.Profile,
	tls.Dial, tls.Listen, x509.ParseCertificate, (*x509.Certificate).Verify, x509.CreateCertificate,
	rsa.GenerateKey, ecdsa.GenerateKey, ed25519.GenerateKey, pem.Decode, asn1.Marshal, asn1.Unmarshal,
	json.Marshal, json.Unmarshal, xml.Marshal, xml.Unmarshal, gob.NewEncoder, gob.NewDecoder, csv.NewReader, csv.NewWriter,
	texttemplate.New, (*texttemplate.Template).Execute, template.New, (*template.Template).Execute,
	sql.Open, (*sql.DB).Query, (*sql.DB).Exec, (*sql.Tx).Commit,
	png.Decode, png.Encode, jpeg.Decode, jpeg.Encode, gif.DecodeAll, gif.EncodeAll,
	parser.ParseFile, printer.Fprint, format.Source, (*types.Config).Check, importer.Default, doc.New, build.Import, ast.Inspect,
	zip.OpenReader, zip.NewWriter, tar.NewReader, tar.NewWriter, gzip.NewReader, zlib.NewReader, flate.NewReader, bzip2.NewReader, lzw.NewReader,
	elf.Open, (*elf.File).DWARF, (*dwarf.Data).Reader, macho.Open, pe.Open, gosym.NewTable,
	rpc.Dial, rpc.NewServer, jsonrpc.Dial, smtp.SendMail, mail.ReadMessage, multipart.NewReader,
	aes.NewCipher, cipher.NewGCM, hmac.New, sha512.New, ecdh.P256, base32.StdEncoding.EncodeToString, constant.MakeFromLiteral, (*scanner.Scanner).Scan,
	draw.Draw, suffixarray.New, netip.ParseAddr, pprof.Cmdline, runtimepprof.StartCPUProfile, trace.Start, fstest.TestFS, expvar.Handler, cgi.Serve, fcgi.Serve, (*texttemplate.Template).Funcs,
	crc64.MakeTable, utf16.Encode, (*tscanner.Scanner).Scan, (*types.Checker).Files, types.Eval, types.NewChecker, (*http.Request).ParseMultipartForm,
	grpc.NewServer, grpc.NewClient, (*grpc.Server).Serve, health.NewServer, reflection.Register,
	prometheus.NewRegistry, prometheus.NewCounterVec, prometheus.NewHistogramVec, promhttp.Handler, promhttp.HandlerFor,
	regexp.Compile, (*big.Int).Exp, (*big.Float).Sqrt, exec.Command, slog.New, tabwriter.NewWriter,
}

var sink [][]byte

func main() {
	deadline := flag.Duration("deadline", 10*time.Minute, "exit after this long")
	flag.Parse()
	if len(os.Args) > 1000 {
		fmt.Println(linked[len(os.Args)%len(linked)]) // never runs: keeps `linked` reachable
	}
	for i := 0; i < 100_000; i++ {
		sink = append(sink, make([]byte, 64+i%512))
	}
	runtime.GC()
	fmt.Printf("{\"event\":\"ready\",\"pid\":%d}\n", os.Getpid())
	time.Sleep(*deadline)
}
